"""Markdown for a run: the tables printed at the end, and the full benchmark document."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

from reef.companion.evaluation.results import CharacterResult, EvalResults
from reef.companion.evaluation.scorers import PERSONA_CRITERIA, PERSONA_CRITERIA_HELP

REPLY_EXCERPT_CHARS = 160
FAILURE_EXAMPLES = 3

_CRITERION_HEADERS = {
    "replied": "replied",
    "own_identity": "own identity",
    "no_assistant_speak": "no assistant-speak",
    "no_fourth_wall": "no fourth wall",
    "no_user_impersonation": "no user lines",
    "trait_vocabulary": "trait words",
    "names_self": "names self",
}


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    def cell(value: Any) -> str:
        return str(value).replace("|", "\\|").replace("\n", " ")

    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(cell(value) for value in row) + " |" for row in rows]
    return "\n".join(lines)


def pct(rate: float | None) -> str:
    return "n/a" if rate is None else f"{rate * 100:.0f}%"


def count(hits: int, total: int) -> str:
    return f"{hits}/{total} ({pct(hits / total if total else None)})"


def num(value: float | int | None, unit: str = "") -> str:
    if value is None:
        return "n/a"
    return f"{value:,.0f}{unit}"


def mark(ok: bool) -> str:
    return "✓" if ok else "✗"


def _excerpt(text: str) -> str:
    flat = " ".join(text.split())
    if len(flat) <= REPLY_EXCERPT_CHARS:
        return flat
    return flat[: REPLY_EXCERPT_CHARS - 1] + "…"


# -- sections ---------------------------------------------------------------------------------


def summary_table(summary: dict[str, Any]) -> str:
    memory, emotion = summary["memory"], summary["emotion"]
    persona, tokens, ttft = summary["persona"]["overall"], summary["tokens"], summary["ttft"]
    ttft_cell = (
        f"{num(ttft['turn1_ttft_ms'], ' ms')} / {num(ttft['later_median_ttft_ms'], ' ms')}"
        f" ({ttft['speedup']}x)"
        if ttft["speedup"] is not None
        else "n/a"
    )
    rows = [
        (
            "Memory recall, retrieval exact-match: session-1 facts in the memories the API lists",
            count(memory["stored"], memory["facts"]),
        ),
        (
            "Memory recall, reply exact-match: session-3 answers that contain the fact",
            count(memory["replied"], memory["facts"]),
        ),
        (
            "Persona consistency: mean rubric score per reply (share of criteria passed)",
            "n/a" if persona["score"] is None else f"{persona['score']:.2f}",
        ),
        (
            "Emotional consistency: scripted turns that moved the tracked emotion as expected",
            count(emotion["passed"], emotion["turns"]),
        ),
        (
            f"TTFT with a {num(ttft['turn1_prompt_tokens'])}-token first prompt: turn 1 / "
            f"median of turns 2-{ttft['later_turns'] + 1}",
            ttft_cell,
        ),
        (
            f"Prefix cache, long card: prompt tokens served from cache, turn 1 / turns "
            f"2-{ttft['later_turns'] + 1} (mean)",
            f"{num(ttft['turn1_cached_tokens'])} of {num(ttft['turn1_prompt_tokens'])} / "
            f"{num(ttft['later_mean_cached_tokens'])} of {num(ttft['later_mean_prompt_tokens'])}",
        ),
        (
            "Prompt tokens per turn in session 3: sent / whole history",
            f"{num(tokens['last_session_prompt_tokens'])} / "
            f"{num(tokens['last_session_whole_history_tokens'])} "
            f"({pct(tokens['last_session_ratio'])})",
        ),
    ]
    return table(("metric", "result"), rows)


def memory_table(characters: list[CharacterResult]) -> str:
    fact_ids = list(dict.fromkeys(f.fact_id for c in characters for f in c.facts))
    rows = []
    for character in characters:
        by_id = {fact.fact_id: fact for fact in character.facts}
        cells = [
            f"{mark(by_id[i].stored)} / {mark(by_id[i].replied)}" if i in by_id else "-"
            for i in fact_ids
        ]
        stored = sum(f.stored for f in character.facts)
        replied = sum(f.replied for f in character.facts)
        total = len(character.facts)
        rows.append((character.name, *cells, f"{stored}/{total}", f"{replied}/{total}"))
    return table(("character", *fact_ids, "stored", "in reply"), rows)


def persona_table(summary: dict[str, Any], names: dict[str, str]) -> str:
    per_character = summary["persona"]["per_character"]
    rows = []
    for scenario, rates in [*per_character.items(), ("overall", summary["persona"]["overall"])]:
        label = names.get(scenario, scenario)
        cells = [pct(rates[criterion]) for criterion in PERSONA_CRITERIA]
        score = "n/a" if rates["score"] is None else f"{rates['score']:.2f}"
        rows.append((label, rates["replies"], *cells, score))
    headers = ("character", "replies", *(_CRITERION_HEADERS[c] for c in PERSONA_CRITERIA), "score")
    return table(headers, rows)


def persona_failures(results: EvalResults) -> str:
    turns = [t for c in results.characters for t in c.turns] + list(results.long_card.turns)
    rows = []
    for criterion in PERSONA_CRITERIA:
        evidence = Counter(
            t.persona_evidence[criterion] for t in turns if not t.persona.get(criterion, True)
        )
        if not evidence:
            continue
        examples = "; ".join(
            f'"{_excerpt(text)}" (x{n})' for text, n in evidence.most_common(FAILURE_EXAMPLES)
        )
        rows.append((_CRITERION_HEADERS[criterion], sum(evidence.values()), examples))
    if not rows:
        return "No reply failed any criterion."
    return table(("criterion", "failures", "most frequent evidence"), rows)


def _expected(expected: dict[str, Any]) -> str:
    parts = [f"{axis} {expected[axis]}" for axis in ("valence", "arousal") if axis in expected]
    if expected.get("emotions"):
        parts.append("label in " + "/".join(expected["emotions"]))
    return ", ".join(parts)


def _state(state: dict[str, Any]) -> str:
    if not state:
        return "n/a"
    return f"{state['valence']:+.2f} / {state['arousal']:+.2f} {state['emotion']}"


def emotion_tables(results: EvalResults, summary: dict[str, Any]) -> str:
    kind_rows = []
    for kind, row in summary["emotion"]["per_kind"].items():
        example = next(e for c in results.characters for e in c.emotions if e.kind == kind)
        checks = row["checks"]
        cells = [
            f"{checks[name]['passed']}/{checks[name]['n']}" if name in checks else "-"
            for name in ("valence", "arousal", "emotion")
        ]
        kind_rows.append((kind, _expected(example.expected), f"{row['passed']}/{row['n']}", *cells))
    detail_rows = [
        (c.name, e.kind, _state(e.before), _state(e.after), mark(e.passed))
        for c in results.characters
        for e in c.emotions
    ]
    by_kind = table(
        ("scripted turn", "expected", "passed", "valence", "arousal", "label"), kind_rows
    )
    detail = table(
        ("character", "turn", "before (valence / arousal label)", "after", "ok"), detail_rows
    )
    return f"{by_kind}\n\n{detail}"


def token_table(summary: dict[str, Any], names: dict[str, str]) -> str:
    rows = []
    for scenario, sessions in summary["tokens"]["per_character"].items():
        for number, row in sessions.items():
            sent, whole = row["prompt_tokens"], row["whole_history_tokens"]
            ratio = pct(sent / whole) if sent is not None and whole else "n/a"
            rows.append(
                (
                    names.get(scenario, scenario),
                    number,
                    row["turns"],
                    num(sent),
                    num(row["cached_tokens"]),
                    num(whole),
                    ratio,
                )
            )
    return table(
        (
            "character",
            "session",
            "turns",
            "prompt tokens sent (mean)",
            "cached (mean)",
            "whole history (mean)",
            "sent / whole",
        ),
        rows,
    )


def ttft_table(results: EvalResults) -> str:
    rows = [
        (
            index,
            num(turn.ttft_ms),
            num(turn.total_ms),
            turn.prompt_tokens,
            turn.cached_tokens,
            turn.prompt_tokens - turn.cached_tokens,
            turn.completion_tokens,
        )
        for index, turn in enumerate(results.long_card.turns, start=1)
    ]
    return table(
        (
            "turn",
            "TTFT ms",
            "total ms",
            "prompt tokens",
            "cached tokens",
            "computed (prompt - cached)",
            "completion tokens",
        ),
        rows,
    )


def session3_excerpts(characters: list[CharacterResult]) -> str:
    rows = [
        (c.name, f.question, f.answer, mark(f.stored), mark(f.replied), _excerpt(f.reply))
        for c in characters
        for f in c.facts
    ]
    return table(("character", "question", "expected", "stored", "in reply", "reply"), rows)


# -- whole outputs ----------------------------------------------------------------------------


def _names(results: EvalResults) -> dict[str, str]:
    names = {c.scenario: c.name for c in results.characters}
    names[results.long_card.scenario] = f"{results.long_card.name} (long card)"
    return names


def results_markdown(results: EvalResults, summary: dict[str, Any]) -> str:
    """The tables printed at the end of a run."""
    names = _names(results)
    meta = results.meta
    return "\n\n".join(
        [
            f"## Companion evaluation: `{meta['model']}`",
            summary_table(summary),
            "### Memory recall (stored / in reply, per fact)",
            memory_table(results.characters),
            "### Persona consistency (share of replies passing each criterion)",
            persona_table(summary, names),
            "### Emotional consistency",
            emotion_tables(results, summary),
            "### Tokens per turn: sent to the model vs the whole history",
            token_table(summary, names),
            f"### Prefix cache: {results.long_card.name}'s long card, one session",
            ttft_table(results),
        ]
    )


def _machine_lines(meta: dict[str, Any]) -> str:
    machine = meta["machine"]
    load = meta.get("load_average") or {}
    return "\n".join(
        [
            f"- Date: {machine['date_utc']}",
            f"- CPU: {machine['cpu_model']}, {machine['usable_cpus']} usable of "
            f"{machine['logical_cpus']} logical cores; RAM {machine['ram_gib']} GiB",
            f"- OS: {machine['os']}; Python {machine['python']}; reef {machine['reef']}; "
            f"llama-cpp-python {machine['llama_cpp_python']}",
            f"- Load average (1/5/15 min) at start {load.get('start')}, at end {load.get('end')}",
            f"- Server: {meta['server']}; model `{meta['model']}`; temperature "
            f"{meta['temperature']}, seed {meta['seed']}, max_tokens {meta['max_tokens']} per "
            f"reply; run took {meta['duration_s']:.0f} s",
        ]
    )


METHOD = """\
How it works: every turn goes through the companion HTTP API (`POST
/v1/companion/sessions/{{id}}/messages` with `stream: true`), exactly as an application would use
it. Each dialogue character gets three sessions with one end user: session 1, the user tells five
facts (name, pet, job, city, something they love); session 2, small talk, then four scripted
emotional turns (good news, insult, scary news, apology); session 3, "who are you?", then one
question per fact. Sessions set no `user_name`, so the user's name reaches the model only through
memory. A fourth character with a long card has one ten-turn session for the prefix-cache
measurement. Scenarios are data files in `reef/companion/evaluation/scenarios/`.

- **Memory recall, retrieval exact-match**: before session 3, the expected answer (e.g.
  "Biscuit") appears, ignoring case, as whole words in the text or value of a memory that `GET
  /v1/companion/memories` lists for the user and character (or the user's shared profile).
- **Memory recall, reply exact-match**: the expected answer appears the same way in the reply to
  the session-3 question. It rewards a reply that contains the string, even a muddled one; the
  excerpts below show what the replies say.
- **Persona consistency**: a rule-based rubric (`reef/companion/evaluation/rubric.toml`), each
  reply judged on every criterion that applies to it; the score of a reply is the share of its
  criteria it passes. Criteria:
{criteria}
- **Emotional consistency**: for each scripted emotional turn, the emotion the character was in
  when the message arrived (the API stores it with the user's message) is compared with the one
  stored with its reply: valence / arousal must move the expected way (any amount) and, where the
  scenario lists labels, the new label must be one of them. A turn passes when every check does.
- **TTFT**: time from sending the message to the first streamed `delta` event, measured at the
  client. Turn 1 is the first time the engine sees the long card; on turns 2-10 the card's prompt
  prefix can be served from the engine's prefix cache (`cached tokens`, reported by the API's
  usage). The memory and emotion section follows the card in the prompt; on a turn where it
  changes (another memory recalled, the mood's label or degree moves) the history after it is
  recomputed, otherwise the history is served from the cache too. TTFT depends on how busy
  the machine is (see the load average above: on a shared 2-core machine llama.cpp slows down
  several times when other processes take a core); the cached and computed token counts do
  not, and are the machine-independent part of the result.
- **Tokens per turn**: `prompt_tokens` the API reports per turn (what was sent to the model)
  against the whole-history alternative: the same prompt plus every message of the earlier
  sessions, counted with the model's own tokenizer (each message's `token_count`) plus
  {overhead} template tokens per message. It keeps the memory section, so it slightly overstates
  the whole-history prompt (by the memory section's size: at most the memory token budget)."""


def report_document(results: EvalResults, summary: dict[str, Any]) -> str:
    """The benchmark document: how it was run, on what, how each number is made, the tables."""
    meta = results.meta
    criteria = "\n".join(
        f"  - *{_CRITERION_HEADERS[name]}*: {PERSONA_CRITERIA_HELP[name]}"
        for name in PERSONA_CRITERIA
    )
    method = METHOD.format(criteria=criteria, overhead=meta["message_overhead_tokens"])
    return (
        "\n\n".join(
            [
                "# Companion evaluation",
                f"Generated by:\n\n```bash\n{meta['command']}\n```",
                _machine_lines(meta),
                method,
                results_markdown(results, summary).replace(
                    "## Companion evaluation", "## Results", 1
                ),
                "### Why replies failed the persona rubric",
                persona_failures(results),
                "### Session-3 questions and replies",
                session3_excerpts(results.characters),
            ]
        )
        + "\n"
    )

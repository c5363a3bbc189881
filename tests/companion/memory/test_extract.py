"""LLM and combined extraction: the prompt and schema sent, and what survives validation.

A model's answers are scripted here (ScriptedCompletion) because the point is what the
extractor does with good, malformed and hallucinated output; the bundled 135M model cannot be
made to produce each case on purpose.
"""

from __future__ import annotations

from reef.companion.memory import CombinedExtractor, Exchange, LLMExtractor, RuleExtractor
from reef.companion.memory.extract import is_grounded, parse_facts
from reef.companion.memory.types import CandidateFact
from reef.errors import Overloaded
from reef.settings import MemorySettings
from tests.companion.memory.support import ScriptedCompletion

EXCHANGE = Exchange(
    user_message="I finally got the job at the aquarium! I start Monday. My dog Rex is thrilled.",
    reply="Congratulations! The aquarium is lucky to have you.",
    character_name="Mira",
    user_name="Sam",
    context=[
        {"role": "user", "content": "I have an interview today."},
        {"role": "assistant", "content": "Good luck, Sam!"},
    ],
)


def fact(text: str, subject: str = "", value: str = "", negated: bool = False) -> dict[str, object]:
    return {"text": text, "subject": subject, "value": value, "negated": negated}


async def test_prompt_carries_names_context_and_exchange_and_schema_bounds_the_output() -> None:
    complete = ScriptedCompletion({"facts": []})
    settings = MemorySettings(max_facts_per_exchange=5, max_fact_chars=150)
    await LLMExtractor(complete, settings).extract(EXCHANGE)

    (messages, schema) = complete.calls[0]
    system, user = messages[0]["content"], messages[1]["content"]
    assert "Sam" in system and "Mira" in system and "The user" in system
    assert "Sam: I have an interview today." in user
    assert "Mira: Good luck, Sam!" in user
    assert f"Sam: {EXCHANGE.user_message}" in user and f"Mira: {EXCHANGE.reply}" in user
    facts_schema = schema["properties"]["facts"]
    assert facts_schema["maxItems"] == 5
    assert facts_schema["items"]["properties"]["text"]["maxLength"] == 150
    assert set(facts_schema["items"]["required"]) == {"text", "subject", "value", "negated"}


async def test_only_well_formed_grounded_facts_survive() -> None:
    complete = ScriptedCompletion(
        {
            "facts": [
                fact("The user got a job at the aquarium.", "user.employer", "the aquarium"),
                fact("The user starts work on Monday.", "", "Monday"),
                fact("User has a dog named Rex.", "user.pet.dog", "Rex"),
                fact("The user lives in Paris.", "user.location", "Paris"),  # never said
                fact("I got the job!", "", ""),  # not third person
                fact("The user has a cat named Tom.", "user.pet.cat", "Tom"),  # hallucinated
                fact("The user is happy.", "Not A Key!", ""),
                {"text": 42},
                "nonsense",
            ]
        }
    )
    facts = await LLMExtractor(complete).extract(EXCHANGE)
    assert facts == [
        CandidateFact(
            "The user got a job at the aquarium.", "user.employer", "the aquarium", source="llm"
        ),
        CandidateFact("The user starts work on Monday.", None, "Monday", source="llm"),
        CandidateFact("The user has a dog named Rex.", "user.pet.dog", "Rex", source="llm"),
    ]


async def test_grounding_can_be_switched_off() -> None:
    complete = ScriptedCompletion(
        {"facts": [fact("The user lives in Paris.", "user.location", "Paris")]}
    )
    settings = MemorySettings(require_grounding=False)
    facts = await LLMExtractor(complete, settings).extract(EXCHANGE)
    assert [f.value for f in facts] == ["Paris"]


def test_output_without_a_facts_list_gives_nothing() -> None:
    assert parse_facts({"facts": "none"}, max_chars=200) == []
    assert parse_facts(["The user likes jazz."], max_chars=200) == []
    assert parse_facts({"facts": [fact("The user " + "x" * 300)]}, max_chars=200) == []


def test_grounding_uses_the_value_or_the_texts_own_words() -> None:
    said = "My hamster Biscuit escaped again"
    assert is_grounded(CandidateFact("The user has a hamster.", value="Biscuit"), said)
    assert not is_grounded(CandidateFact("The user has a hamster.", value="Cookie"), said)
    assert is_grounded(CandidateFact("The user has a hamster."), said)
    assert not is_grounded(CandidateFact("The user owns a boat."), said)


async def test_combined_prefers_rules_and_adds_what_they_missed() -> None:
    exchange = Exchange("My name is Sam and I live in Oslo. I start at the aquarium on Monday.", "")
    complete = ScriptedCompletion(
        {
            "facts": [
                fact("The user's name is Samuel.", "user.name", "Samuel"),  # rules said Sam
                fact("The user lives in Oslo.", "user.location", "Oslo"),  # duplicate
                fact("The user starts at the aquarium on Monday.", "user.employer", "aquarium"),
            ]
        }
    )
    settings = MemorySettings(require_grounding=False)
    combined = CombinedExtractor(RuleExtractor(), LLMExtractor(complete, settings), settings)
    facts = await combined.extract(exchange)
    assert [(f.subject, f.value, f.source) for f in facts] == [
        ("user.name", "Sam", "rule"),
        ("user.location", "Oslo", "rule"),
        ("user.employer", "aquarium", "llm"),
    ]


async def test_combined_keeps_rule_facts_when_the_model_fails() -> None:
    complete = ScriptedCompletion(Overloaded("engine queue is full"))
    combined = CombinedExtractor(RuleExtractor(), LLMExtractor(complete))
    facts = await combined.extract(Exchange("I have a dog named Rex", ""))
    assert [(f.subject, f.value) for f in facts] == [("user.pet.dog", "Rex")]

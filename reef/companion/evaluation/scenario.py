"""Scripted evaluation scenarios, kept as TOML data files beside this module.

A *dialogue* scenario is one character and three sessions built from its sections:
1. the user tells facts (`[[facts]]`, each message `tell`);
2. small talk (`small_talk`), then scripted emotional turns (`[[emotional_turns]]`);
3. persona probes (`probes`), then the questions that need the facts (each fact's `ask`).

A *long_card* scenario is one character with a long card (about `card_tokens` tokens) and the
user messages of one session, for measuring the prefix cache.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError, model_validator

from reef.companion.emotion import EmotionName
from reef.errors import InvalidRequest

SCENARIO_DIR = Path(__file__).with_name("scenarios")
Direction = Literal["up", "down"]
Text = Annotated[str, Field(min_length=1)]


class ScenarioError(InvalidRequest):
    code = "invalid_scenario"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class CharacterSpec(_Strict):
    """Card fields, sent as they are to `POST /v1/companion/characters`."""

    name: Text
    description: Text
    personality: str = ""
    scenario: str = ""
    first_mes: Text
    mes_example: str = ""
    system_prompt: str = ""
    post_history_instructions: str = ""
    nickname: str | None = None

    def card_fields(self) -> dict[str, str]:
        return {key: value for key, value in self.model_dump().items() if value}


class PersonaSpec(_Strict):
    """What staying in character means for this character, for the rule-based scorer."""

    aliases: list[Text] = Field(default_factory=list, description="other names it may use")
    traits: list[Text] = Field(
        min_length=3, description="words (exact forms) an in-character reply tends to use"
    )


class FactSpec(_Strict):
    id: Text
    tell: Text = Field(description="the user's message in session 1")
    ask: Text = Field(description="the user's question in session 3")
    answer: Text = Field(description="the string a correct memory and reply contain")
    accept: list[Text] = Field(default_factory=list, description="other accepted strings")

    @property
    def answers(self) -> list[str]:
        return [self.answer, *self.accept]


class EmotionalTurnSpec(_Strict):
    """A user message and which way the character's tracked emotion should move."""

    kind: Text
    say: Text
    valence: Direction | None = None
    arousal: Direction | None = None
    emotions: list[EmotionName] = Field(
        default_factory=list, description="accepted emotion labels after the turn"
    )

    @model_validator(mode="after")
    def _expects_something(self) -> EmotionalTurnSpec:
        if self.valence is None and self.arousal is None and not self.emotions:
            raise ValueError(f"emotional turn {self.kind!r} expects nothing")
        return self


class DialogueScenario(_Strict):
    kind: Literal["dialogue"]
    id: Text
    character: CharacterSpec
    persona: PersonaSpec
    facts: list[FactSpec] = Field(min_length=1)
    small_talk: list[Text] = Field(min_length=1)
    emotional_turns: list[EmotionalTurnSpec] = Field(min_length=1)
    probes: list[Text] = Field(min_length=1, description="questions about who the character is")

    @model_validator(mode="after")
    def _unique_facts(self) -> DialogueScenario:
        ids = [fact.id for fact in self.facts]
        if len(set(ids)) != len(ids):
            raise ValueError("fact ids must be unique")
        return self

    def turn_count(self) -> int:
        return (
            2 * len(self.facts)
            + len(self.small_talk)
            + len(self.emotional_turns)
            + len(self.probes)
        )


class LongCardScenario(_Strict):
    kind: Literal["long_card"]
    id: Text
    character: CharacterSpec
    persona: PersonaSpec
    card_tokens: int = Field(gt=0, description="the card's intended size in model tokens")
    turns: list[Text] = Field(min_length=2)


Scenario = Annotated[DialogueScenario | LongCardScenario, Field(discriminator="kind")]
_SCENARIO = TypeAdapter[DialogueScenario | LongCardScenario](Scenario)


def _problem(exc: ValidationError) -> str:
    first = exc.errors()[0]
    where = ".".join(str(part) for part in first["loc"]) or "(top level)"
    return f"{where}: {first['msg']}"


def load_scenario(path: Path) -> DialogueScenario | LongCardScenario:
    """One scenario file; its id is the file name without `.toml`."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ScenarioError(f"scenario {path}: cannot read it ({exc})", param="scenario") from exc
    try:
        return _SCENARIO.validate_python({**data, "id": path.stem})
    except ValidationError as exc:
        raise ScenarioError(f"scenario {path}: {_problem(exc)}", param="scenario") from exc


def load_scenarios(
    directory: Path = SCENARIO_DIR,
) -> tuple[list[DialogueScenario], LongCardScenario]:
    """Every dialogue scenario (by file name) and the one long-card scenario of `directory`."""
    files = sorted(directory.glob("*.toml")) if directory.is_dir() else []
    if not files:
        raise ScenarioError(f"no scenario files (*.toml) in {directory}", param="scenarios")
    loaded = [load_scenario(path) for path in files]
    dialogues = [s for s in loaded if isinstance(s, DialogueScenario)]
    long_cards = [s for s in loaded if isinstance(s, LongCardScenario)]
    if not dialogues:
        raise ScenarioError(f"{directory} holds no dialogue scenario", param="scenarios")
    if len(long_cards) != 1:
        raise ScenarioError(
            f"{directory} must hold exactly one long_card scenario, found {len(long_cards)}",
            param="scenarios",
        )
    return dialogues, long_cards[0]


def select_dialogues(
    dialogues: list[DialogueScenario], names: list[str] | None
) -> list[DialogueScenario]:
    """The dialogues named (by id), in the order given; all of them when none are named."""
    if not names:
        return dialogues
    by_id = {scenario.id: scenario for scenario in dialogues}
    unknown = [name for name in names if name not in by_id]
    if unknown:
        raise ScenarioError(
            f"unknown scenario {unknown[0]!r}; known: {', '.join(sorted(by_id))}",
            param="scenario",
        )
    return [by_id[name] for name in names]

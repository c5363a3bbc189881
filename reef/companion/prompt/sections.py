"""The text of each prompt section, rendered deterministically from a card.

Everything here is a pure function of its inputs (no clock, no randomness) so the stable
prefix of a chat renders to the same bytes every turn.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from reef.companion.cards.macros import apply_macros
from reef.companion.cards.model import Card
from reef.companion.lore.book import LoreScan
from reef.errors import InvalidRequest

PERSONALITY_LABEL = "{{char}}'s personality: "
SCENARIO_LABEL = "Scenario: "
EXAMPLES_HEADING = "Example dialogue of {{char}}:"
PARTICIPANTS_HEADING = "Other participants in this chat:"
MEMORIES_HEADING = "What {{char}} remembers:"
SECTION_SEPARATOR = "\n\n"

_START_MARKER = re.compile(r"<START>", re.IGNORECASE)


@dataclass(frozen=True)
class Names:
    """Who `{{char}}` and `{{user}}` are in one rendering."""

    char: str
    user: str

    def fill(self, text: str, *, original: str | None = None) -> str:
        return apply_macros(text, char=self.char, user=self.user, original=original)


def system_prompt(card: Card, default: str, names: Names) -> str:
    """The card's system prompt, the default when it is empty; `{{original}}` is the default."""
    expanded_default = names.fill(default)
    own = card.data.system_prompt
    if not own.strip():
        return expanded_default
    return names.fill(own, original=expanded_default)


def post_history(card: Card, names: Names) -> str:
    """`post_history_instructions`; `{{original}}` is empty because Reef adds none of its own."""
    return names.fill(card.data.post_history_instructions, original="").strip()


def example_blocks(card: Card, names: Names) -> list[str]:
    """`mes_example` split on `<START>` into non-empty blocks, in card order."""
    blocks = (block.strip() for block in _START_MARKER.split(card.data.mes_example))
    return [names.fill(block) for block in blocks if block]


def select_greeting(card: Card, greeting_index: int, *, group: bool = False) -> str:
    """Greeting `greeting_index`: 0 is `first_mes`, i >= 1 is `alternate_greetings[i - 1]`
    (the V3 `@@is_greeting` numbering); in group chats `group_only_greetings` follow."""
    greetings = card.greetings(group=group)
    if not 0 <= greeting_index < len(greetings):
        raise InvalidRequest(
            f"greeting_index {greeting_index} is out of range: {card.name!r} has "
            f"{len(greetings)} greetings",
            param="greeting_index",
            code="greeting_out_of_range",
        )
    return greetings[greeting_index]


def persona_sections(card: Card, names: Names, lore: LoreScan) -> list[str]:
    """Lore placed before the character, the character's definition, lore placed after."""
    sections = [_join_lore(lore, "before_char")]
    data = card.data
    sections.append(names.fill(data.description.strip()))
    if data.personality.strip():
        sections.append(names.fill(PERSONALITY_LABEL + data.personality.strip()))
    if data.scenario.strip():
        sections.append(names.fill(SCENARIO_LABEL + data.scenario.strip()))
    sections.append(_join_lore(lore, "after_char"))
    return [section for section in sections if section]


def examples_section(blocks: Sequence[str], names: Names) -> str:
    if not blocks:
        return ""
    return names.fill(EXAMPLES_HEADING) + "\n" + SECTION_SEPARATOR.join(blocks)


def participants_section(cards: Sequence[Card], user: str, max_chars: int) -> str:
    """One short line per other character, so their personas stay theirs."""
    if not cards:
        return ""
    lines = [PARTICIPANTS_HEADING]
    for card in cards:
        names = Names(card.display_name, user)
        summary = _summary(names.fill(card.data.personality or card.data.description), max_chars)
        lines.append(f"- {card.display_name}: {summary}" if summary else f"- {card.display_name}")
    return "\n".join(lines)


def context_section(memories: Sequence[str], emotion_line: str | None, names: Names) -> str:
    """The per-turn system message: recalled memories, then the emotional state."""
    sections = [memories_section(memories, names), mood_section(emotion_line, names)]
    return SECTION_SEPARATOR.join(section for section in sections if section)


def memories_section(memories: Sequence[str], names: Names) -> str:
    kept = [names.fill(memory.strip()) for memory in memories if memory.strip()]
    if not kept:
        return ""
    bullets = "\n".join(f"- {memory}" for memory in kept)
    return names.fill(MEMORIES_HEADING) + "\n" + bullets


def mood_section(emotion_line: str | None, names: Names) -> str:
    return names.fill(emotion_line.strip()) if emotion_line and emotion_line.strip() else ""


def _join_lore(lore: LoreScan, position: str) -> str:
    return "\n".join(item.content.strip() for item in lore.fired if item.position == position)


def _summary(text: str, max_chars: int) -> str:
    first_line = next((line.strip() for line in text.splitlines() if line.strip()), "")
    if len(first_line) <= max_chars:
        return first_line
    return first_line[: max(max_chars - 1, 0)].rstrip() + "…"

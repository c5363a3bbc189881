"""Who speaks next in a group chat.

Strategies (SillyTavern's, reduced to picking one speaker):

* ``mention``: a character named in the last message answers (the earliest named wins);
  otherwise the next character in list order after the last one who spoke.
* ``talkativeness``: a mention still wins; otherwise characters are visited in random order and
  each speaks with probability ``extensions.talkativeness`` (SillyTavern's field, default 0.5);
  if nobody volunteers, a random one.
* ``list``: strict round robin in list order; mentions are ignored.

In every strategy the character who wrote the last message does not speak again, unless it is
the only one in the chat.
"""

from __future__ import annotations

import random
import re
from collections.abc import Sequence
from typing import Literal

from reef.companion.cards.model import Card
from reef.companion.prompt.types import ChatTurn
from reef.errors import InvalidRequest

SpeakerStrategy = Literal["mention", "talkativeness", "list"]
DEFAULT_TALKATIVENESS = 0.5  # SillyTavern's default when a card sets none

_STRATEGIES = ("mention", "talkativeness", "list")


def talkativeness(card: Card) -> float:
    """`extensions.talkativeness` as SillyTavern stores it (a number or a numeric string),
    clamped to [0, 1]; 0.5 when missing or unreadable."""
    raw = card.data.extensions.get("talkativeness")
    if isinstance(raw, bool):
        return DEFAULT_TALKATIVENESS
    try:
        value = float(raw) if isinstance(raw, int | float | str) else DEFAULT_TALKATIVENESS
    except ValueError:
        return DEFAULT_TALKATIVENESS
    if value != value:  # NaN
        return DEFAULT_TALKATIVENESS
    return min(max(value, 0.0), 1.0)


def choose_next_speaker(
    cards: Sequence[Card],
    history: Sequence[ChatTurn],
    last_message: ChatTurn | None = None,
    strategy: SpeakerStrategy = "mention",
    rng: random.Random | None = None,
) -> int:
    """Index into `cards` of the next speaker. `last_message` defaults to `history[-1]`."""
    if not cards:
        raise InvalidRequest(
            "a group chat needs at least one character", param="cards", code="invalid_value"
        )
    if strategy not in _STRATEGIES:
        raise InvalidRequest(
            f"unknown speaker strategy {strategy!r}: expected one of {', '.join(_STRATEGIES)}",
            param="strategy",
            code="invalid_value",
        )
    if len(cards) == 1:
        return 0
    last = last_message if last_message is not None else (history[-1] if history else None)
    banned = _author_index(cards, last)
    candidates = [index for index in range(len(cards)) if index != banned]
    if strategy != "list" and last is not None:
        mentioned = _first_mentioned(cards, last.content, candidates)
        if mentioned is not None:
            return mentioned
    if strategy == "talkativeness":
        chooser = rng or random.Random()
        order = list(candidates)
        chooser.shuffle(order)
        for index in order:
            if chooser.random() < talkativeness(cards[index]):
                return index
        return chooser.choice(candidates)
    return _next_in_list(cards, [*history, *([last] if last else [])], candidates)


def _aliases(card: Card) -> list[str]:
    return [alias for alias in dict.fromkeys((card.data.name, card.display_name)) if alias.strip()]


def _author_index(cards: Sequence[Card], turn: ChatTurn | None) -> int | None:
    if turn is None or turn.role != "assistant" or not turn.name:
        return None
    for index, card in enumerate(cards):
        if turn.name in _aliases(card):
            return index
    return None


def _first_mentioned(cards: Sequence[Card], text: str, candidates: list[int]) -> int | None:
    best: tuple[int, int] | None = None
    for index in candidates:
        for alias in _aliases(cards[index]):
            pattern = rf"(?<!\w){re.escape(alias.strip())}(?!\w)"
            found = re.search(pattern, text, re.IGNORECASE)
            if found and (best is None or (found.start(), index) < best):
                best = (found.start(), index)
    return best[1] if best else None


def _next_in_list(cards: Sequence[Card], turns: Sequence[ChatTurn], candidates: list[int]) -> int:
    previous = next(
        (index for turn in reversed(turns) if (index := _author_index(cards, turn)) is not None),
        None,
    )
    if previous is None:
        return candidates[0]
    for step in range(1, len(cards) + 1):
        index = (previous + step) % len(cards)
        if index in candidates:
            return index
    return candidates[0]

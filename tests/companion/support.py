"""Helpers shared by the companion tests."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from reef.companion.cards.codec import Card, card_from_dict
from reef.companion.cards.model import CharacterBook

DATA = Path(__file__).parent / "data"


def words(text: str) -> int:
    """Whitespace token counter: predictable enough to reason about budgets in tests."""
    return len(text.split())


def load_json(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((DATA / name).read_text(encoding="utf-8"))
    return loaded


def make_book(*entries: dict[str, Any], **book: Any) -> CharacterBook:
    """A lorebook from entry dicts; entries get the spec-required fields filled in."""
    full = [
        {"keys": [], "content": "", "extensions": {}, "enabled": True, "insertion_order": 0, **e}
        for e in entries
    ]
    return CharacterBook.model_validate({"extensions": {}, "entries": full, **book})


def make_card(name: str = "Sera", book: CharacterBook | None = None, **data: Any) -> Card:
    payload: dict[str, Any] = {"name": name, **data}
    if book is not None:
        payload["character_book"] = book.model_dump(exclude_unset=True)
    return card_from_dict({"spec": "chara_card_v2", "spec_version": "2.0", "data": payload})

"""SillyTavern world info entries as the lorebook entries Reef's lore engine fires.

A world book entry and a card's `character_book` entry say the same things under different
names (`key`/`keys`, `disable`/`enabled`, `order`/`insertion_order`, a numeric `position`...).
Converting one into the other the way SillyTavern itself does when it embeds a world book in a
card lets attached world books fire through `reef.companion.lore` exactly like embedded ones:
the engine already reads SillyTavern's per-entry settings (`position`, `depth`, `role`,
`selectiveLogic`, `scan_depth`, `match_whole_words`, recursion flags) from entry `extensions`.
Settings the engine has no notion of (probability, inclusion groups, timed effects, vector
matching, character filters) are kept in the file but have no effect on prompts. Entries for an
outlet (position 7) only appear where a `{{outlet::name}}` macro asks for them in SillyTavern;
Reef has no such macro, so they never fire.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from reef.companion.cards.model import CharacterBook, LoreEntry
from reef.errors import InvalidRequest

Number = int | float
WORLD_POSITION_BEFORE_CHAR = 0
WORLD_POSITION_OUTLET = 7
INVALID_CODE = "worldbook_invalid"


class WorldInfoEntry(BaseModel):
    """One `entries` value of a SillyTavern world info file, with SillyTavern's defaults
    (`newWorldInfoEntryDefinition`); a JSON null means the default, other keys are allowed."""

    model_config = ConfigDict(extra="allow")

    uid: int | str | None = None
    key: list[str] = Field(default_factory=list)
    keysecondary: list[str] = Field(default_factory=list)
    comment: str = ""
    content: str = ""
    constant: bool = False
    selective: bool = True
    selectiveLogic: int = 0
    order: Number = 100
    position: int = WORLD_POSITION_BEFORE_CHAR
    disable: bool = False
    depth: int = 4
    role: int | None = None
    scanDepth: int | None = None
    caseSensitive: bool | None = None
    matchWholeWords: bool | None = None
    excludeRecursion: bool = False
    preventRecursion: bool = False
    extensions: dict[str, Any] = Field(default_factory=dict)

    @model_validator(mode="before")
    @classmethod
    def _null_means_default(cls, value: Any) -> Any:
        if not isinstance(value, dict):
            return value
        return {
            name: item
            for name, item in value.items()
            if item is not None or name not in cls.model_fields
        }

    @field_validator("key", "keysecondary", mode="before")
    @classmethod
    def _keys(cls, value: Any) -> Any:
        """Old files hold keys as one comma-separated string; numbers are keys too."""
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        if isinstance(value, list):
            return [str(item) if isinstance(item, int | float) else item for item in value]
        return value


def to_lore_entry(entry: WorldInfoEntry) -> LoreEntry:
    """The card-book entry SillyTavern writes for this world info entry."""
    extensions: dict[str, Any] = {
        **entry.extensions,
        "position": entry.position,
        "depth": entry.depth,
        "selectiveLogic": entry.selectiveLogic,
        "role": entry.role,
        "exclude_recursion": entry.excludeRecursion,
        "prevent_recursion": entry.preventRecursion,
    }
    if entry.scanDepth is not None:
        extensions["scan_depth"] = entry.scanDepth
    if entry.matchWholeWords is not None:
        extensions["match_whole_words"] = entry.matchWholeWords
    return LoreEntry(
        keys=entry.key,
        content=entry.content,
        extensions=extensions,
        enabled=not entry.disable and entry.position != WORLD_POSITION_OUTLET,
        insertion_order=entry.order,
        case_sensitive=entry.caseSensitive,
        constant=entry.constant,
        comment=entry.comment or None,
        id=entry.uid,
        selective=entry.selective,
        secondary_keys=entry.keysecondary,
        position="before_char" if entry.position == WORLD_POSITION_BEFORE_CHAR else "after_char",
    )


def parse_entry(uid: str, raw: Any) -> WorldInfoEntry:
    """One entry, validated; InvalidRequest names the entry and field that is wrong."""
    if not isinstance(raw, dict):
        raise InvalidRequest(
            f"world book entry {uid!r} must be an object, not {type(raw).__name__}",
            param=f"entries.{uid}",
            code=INVALID_CODE,
        )
    try:
        return WorldInfoEntry.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = str(first["loc"][0]) if first["loc"] else ""
        raise InvalidRequest(
            f"world book entry {uid!r}: {field or 'entry'}: {first['msg']}",
            param=f"entries.{uid}.{field}" if field else f"entries.{uid}",
            code=INVALID_CODE,
        ) from exc


def world_book_lore(name: str, book: Mapping[str, Any]) -> CharacterBook:
    """A whole world info file (already checked to have an `entries` object) as a lorebook."""
    entries = book.get("entries")
    if not isinstance(entries, dict):
        raise InvalidRequest(
            "a world book needs an 'entries' object", param="entries", code=INVALID_CODE
        )
    lore = [to_lore_entry(parse_entry(str(uid), raw)) for uid, raw in entries.items()]
    return CharacterBook(name=name, entries=lore)

"""SillyTavern world info files (world books) in and out: reading an upload, refusing what
cannot be used, and writing the file back unchanged.

A world book is one JSON object whose `entries` maps uid strings to entry objects, often with
more top-level keys (`name`, `originalData`, `extensions`, a vendor's own). Reef stores the
decoded object as it came, so an export gives every key back; `convert` turns the entries into
lorebook entries for prompts. Every check runs before anything is stored.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import PurePath
from typing import Any

from reef.companion.cards.codec import MAX_CARD_NESTING, json_nesting
from reef.companion.tables import NAME_LENGTH
from reef.companion.worldbooks.convert import INVALID_CODE, world_book_lore
from reef.errors import InvalidRequest
from reef.settings import CompanionSettings

TOO_LARGE_CODE = "worldbook_too_large"
NAME_REQUIRED_CODE = "worldbook_name_required"
_UTF8_BOM = b"\xef\xbb\xbf"
_JSON_SUFFIXES = (".json", ".lorebook")


@dataclass(frozen=True)
class WorldBookFile:
    """A checked world book: its name, the file's object, and how big it is."""

    name: str
    book: dict[str, Any]
    entry_count: int
    size_bytes: int


def read_worldbook(
    data: bytes,
    *,
    name: str | None,
    filename: str | None,
    settings: CompanionSettings,
) -> WorldBookFile:
    """The world book in `data`; its name is `name`, else the file's own `name` key, else the
    file name without its extension (what SillyTavern calls an imported world)."""
    if len(data) > settings.worldbook_max_bytes:
        raise InvalidRequest(
            f"the world book file is {len(data)} bytes; at most {settings.worldbook_max_bytes}",
            param="file",
            code=TOO_LARGE_CODE,
        )
    book = _decode(data)
    entries = book.get("entries")
    if "entries" not in book:
        raise InvalidRequest(
            "this JSON is not a SillyTavern world book: it has no 'entries' object",
            param="entries",
            code=INVALID_CODE,
        )
    if not isinstance(entries, dict):
        raise InvalidRequest(
            "a world book's 'entries' must be an object keyed by entry uid, "
            f"not {_json_type(entries)}",
            param="entries",
            code=INVALID_CODE,
        )
    if len(entries) > settings.worldbook_max_entries:
        raise InvalidRequest(
            f"the world book has {len(entries)} entries; at most {settings.worldbook_max_entries}",
            param="entries",
            code=TOO_LARGE_CODE,
        )
    chosen = _name(name, book, filename)
    world_book_lore(chosen, book)  # every entry must convert, or nothing is stored
    return WorldBookFile(chosen, book, len(entries), len(export_worldbook(book)))


def export_worldbook(book: dict[str, Any]) -> bytes:
    """The file as SillyTavern writes it (4-space indent, UTF-8, every key kept)."""
    return json.dumps(book, ensure_ascii=False, indent=4).encode("utf-8")


def export_filename(name: str) -> str:
    stem = "".join(c if c.isalnum() or c in "._- " else "_" for c in name).strip(" ._")
    return f"{stem or 'worldbook'}.json"


def _decode(data: bytes) -> dict[str, Any]:
    raw = data.removeprefix(_UTF8_BOM)
    if not raw.strip():
        raise InvalidRequest("the world book file is empty", param="file", code=INVALID_CODE)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidRequest(
            f"the world book is not UTF-8 JSON (bad byte at {exc.start})",
            param="file",
            code=INVALID_CODE,
        ) from exc
    try:
        obj = json.loads(text, parse_constant=_refuse_constant)
    except json.JSONDecodeError as exc:
        raise InvalidRequest(
            f"the world book is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}",
            param="file",
            code=INVALID_CODE,
        ) from exc
    except RecursionError as exc:
        raise _too_deep() from exc
    if not isinstance(obj, dict):
        raise InvalidRequest(
            f"a world book is a JSON object, not {_json_type(obj)}",
            param="file",
            code=INVALID_CODE,
        )
    if json_nesting(obj) > MAX_CARD_NESTING:
        raise _too_deep()
    try:
        export_worldbook(obj)
    except UnicodeEncodeError as exc:  # a lone surrogate escape (\ud800) cannot be written back
        raise InvalidRequest(
            "the world book holds text that is not valid Unicode (a lone surrogate escape)",
            param="file",
            code=INVALID_CODE,
        ) from exc
    return obj


def _name(given: str | None, book: dict[str, Any], filename: str | None) -> str:
    own = book.get("name")
    stem = PurePath(filename).name if filename else ""
    for suffix in _JSON_SUFFIXES:
        if stem.lower().endswith(suffix):
            stem = stem[: -len(suffix)]
    for candidate in (given, own if isinstance(own, str) else None, stem):
        if candidate and candidate.strip():
            chosen = candidate.strip()
            if len(chosen) > NAME_LENGTH:
                raise InvalidRequest(
                    f"the world book name is {len(chosen)} characters; at most {NAME_LENGTH}",
                    param="name",
                    code="invalid_value",
                )
            return chosen
    raise InvalidRequest(
        "the world book has no name: pass 'name' (or upload it as a named file)",
        param="name",
        code=NAME_REQUIRED_CODE,
    )


def _refuse_constant(token: str) -> Any:
    raise InvalidRequest(
        f"the world book is not valid JSON: {token} is not a JSON number",
        param="file",
        code=INVALID_CODE,
    )


def _too_deep() -> InvalidRequest:
    return InvalidRequest(
        f"the world book JSON is nested deeper than {MAX_CARD_NESTING} levels",
        param="file",
        code=INVALID_CODE,
    )


def _json_type(value: Any) -> str:
    if isinstance(value, list):
        return "an array"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    return "null" if value is None else "an object"

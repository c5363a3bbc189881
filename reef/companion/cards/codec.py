"""Import and export Character Cards (V1, V2, V3) as JSON, PNG or CHARX, losslessly.

`parse_card` accepts any of the formats users already have; `export_card_json` and
`export_card_png` give them back. Exporting a card in the version it came as yields JSON equal to
what was imported: unknown keys are kept, spec-required fields are filled in when missing. A V2
card exported to PNG reads back as V3 (readers prefer `ccv3`), and its V2 export still equals the
original, because backfilling V2 from V3 drops V3-only fields left empty.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Any, Literal

from pydantic import BaseModel, ValidationError

from reef.companion.cards.formats import default_portrait, embed_card_json, extract_card_json
from reef.companion.cards.model import (
    ASSET_FIELDS,
    BOOK_FIELDS,
    SPEC_V2,
    SPEC_V3,
    SPEC_VERSION_V2,
    SPEC_VERSION_V3,
    V2_DATA_FIELDS,
    V2_ENTRY_FIELDS,
    V3_DATA_FIELDS,
    V3_ENTRY_FIELDS,
    Card,
    CardAsset,
    CardData,
    CharacterBook,
    LoreEntry,
)
from reef.companion.errors import CardTooLarge, InvalidCard
from reef.companion.lore.decorators import strip_decorators
from reef.errors import InvalidRequest
from reef.settings import CompanionSettings

__all__ = [
    "Card",
    "CardAsset",
    "CardData",
    "CardVersion",
    "CharacterBook",
    "LoreEntry",
    "card_from_dict",
    "card_to_dict",
    "export_card_json",
    "export_card_png",
    "json_nesting",
    "parse_card",
]

CardVersion = Literal["v2", "v3"]

# Spec-required fields the model keeps optional (V2 cards lack them): their value when unset.
_REQUIRED_WHEN_UNSET: dict[str, Any] = {"use_regex": False}
# Real cards nest a handful of levels; far deeper JSON could be imported but not exported
# (the serializer gives up near 300 levels), so it is refused up front.
MAX_CARD_NESTING = 100
WORLDBOOK_NOT_CARD = "worldbook_not_card"
_V1_FIELDS = ("name", "description", "personality", "scenario", "first_mes", "mes_example")
# SillyTavern's V1 keys that have a V2 home; the rest stay at the top level untouched.
_V1_TO_EXTENSIONS = ("talkativeness", "fav")
_V1_TO_DATA = {"creatorcomment": "creator_notes", "tags": "tags"}


def parse_card(
    data: bytes, filename: str | None = None, *, settings: CompanionSettings | None = None
) -> Card:
    """The card in a JSON, PNG (`ccv3` preferred over `chara`) or CHARX file; V1 is upgraded."""
    limits = settings or CompanionSettings()
    if len(data) > limits.card_max_file_bytes:
        raise CardTooLarge(f"card file is larger than {limits.card_max_file_bytes} bytes")
    raw = extract_card_json(data, filename, max_json_bytes=limits.card_max_json_bytes)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidCard(f"card JSON is not valid UTF-8 (byte {exc.start})") from exc
    try:
        obj = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidCard(
            f"card JSON is invalid: {exc.msg} at line {exc.lineno} column {exc.colno}"
        ) from exc
    except RecursionError as exc:
        raise InvalidCard(f"card JSON is nested deeper than {MAX_CARD_NESTING} levels") from exc
    return card_from_dict(obj)


def card_from_dict(obj: Any) -> Card:
    """Validate a decoded card object (V1, V2 or V3) into a `Card`."""
    if not isinstance(obj, dict):
        raise InvalidCard("card JSON must be an object")
    if json_nesting(obj) > MAX_CARD_NESTING:
        raise InvalidCard(f"card JSON is nested deeper than {MAX_CARD_NESTING} levels")
    spec = obj.get("spec")
    if spec is None and isinstance(obj.get("entries"), dict):
        raise InvalidRequest(
            "this file is a SillyTavern world book (lorebook), not a character card: import it "
            "with POST /v1/companion/worldbooks, then attach it to characters",
            param="file",
            code=WORLDBOOK_NOT_CARD,
        )
    if spec is None:
        if "data" in obj or "name" not in obj:
            raise InvalidCard("card has no 'spec': expected chara_card_v2 or chara_card_v3")
        obj = _upgrade_v1(obj)
    elif spec not in (SPEC_V2, SPEC_V3):
        raise InvalidCard(
            f"unsupported card spec {spec!r}: expected chara_card_v2 or chara_card_v3"
        )
    data = obj.get("data")
    if not isinstance(data, dict):
        raise InvalidCard("card has no 'data' object")
    name = data.get("name")
    if not isinstance(name, str) or not name.strip():
        raise InvalidCard("card has no name (data.name is missing or empty)")
    try:
        return Card.model_validate(obj)
    except ValidationError as exc:
        raise InvalidCard(_describe(exc)) from exc


def card_to_dict(card: Card, version: CardVersion = "v2") -> dict[str, Any]:
    """The card as a spec object of `version`, with every unknown key it came with."""
    target = SPEC_V3 if version == "v3" else SPEC_V2
    same_version = card.spec == target
    default_version = SPEC_VERSION_V3 if version == "v3" else SPEC_VERSION_V2
    backfill_v2 = card.spec == SPEC_V3 and version == "v2"
    top_level = card.model_dump(mode="json", exclude_unset=True, exclude={"spec", "data"})
    top_level.pop("spec_version", None)
    return {
        "spec": target,
        "spec_version": card.spec_version if same_version else default_version,
        "data": _data_to_dict(card.data, version, strip=backfill_v2),
        **top_level,
    }


def export_card_json(
    card: Card, version: CardVersion = "v2", *, indent: int | None = None
) -> bytes:
    """UTF-8 JSON of the card in `version` (non-ASCII text is written as is)."""
    return json.dumps(card_to_dict(card, version), ensure_ascii=False, indent=indent).encode()


def export_card_png(card: Card, portrait_png: bytes | None = None) -> bytes:
    """The portrait (or a generated one) carrying the card as `chara` (V2) and `ccv3` (V3)."""
    portrait = portrait_png if portrait_png is not None else default_portrait(card.name)
    return embed_card_json(
        portrait,
        v2_json=export_card_json(card, "v2"),
        v3_json=export_card_json(card, "v3"),
    )


def _upgrade_v1(flat: dict[str, Any]) -> dict[str, Any]:
    data: dict[str, Any] = {key: flat[key] for key in _V1_FIELDS if key in flat}
    extensions = {key: flat[key] for key in _V1_TO_EXTENSIONS if key in flat}
    data["extensions"] = extensions
    for v1_key, v2_key in _V1_TO_DATA.items():
        if flat.get(v1_key) is not None:
            data[v2_key] = flat[v1_key]
    consumed = {*_V1_FIELDS, *_V1_TO_EXTENSIONS, *_V1_TO_DATA}
    rest = {key: value for key, value in flat.items() if key not in consumed}
    return {**rest, "spec": SPEC_V2, "spec_version": SPEC_VERSION_V2, "data": data}


def _data_to_dict(data: CardData, version: CardVersion, *, strip: bool) -> dict[str, Any]:
    """`strip` backfills V2 from a V3 card: decorators go (V2 readers would show them) and so
    do V3-only fields left at their empty defaults."""
    entry_fields = V3_ENTRY_FIELDS if version == "v3" else V2_ENTRY_FIELDS

    def entry(item: LoreEntry) -> dict[str, Any]:
        dumped = _dump(item, entry_fields, {})
        if strip:
            dumped["content"] = strip_decorators(item.content)
            if not dumped.get("use_regex"):
                dumped.pop("use_regex", None)
        return dumped

    def book(item: CharacterBook) -> dict[str, Any]:
        return _dump(item, BOOK_FIELDS, {"entries": lambda entries: [entry(e) for e in entries]})

    def assets(items: list[CardAsset]) -> list[dict[str, Any]]:
        return [_dump(asset, ASSET_FIELDS, {}) for asset in items]

    required = V3_DATA_FIELDS if version == "v3" else V2_DATA_FIELDS
    dumped = _dump(data, required, {"character_book": book, "assets": assets})
    if strip and not dumped.get("group_only_greetings"):
        dumped.pop("group_only_greetings", None)
    return dumped


def _dump(
    model: BaseModel, required: Iterable[str], nested: dict[str, Callable[[Any], Any]]
) -> dict[str, Any]:
    """Fields the input had (plus extras), spec-required fields always, nested objects via
    their own dumpers."""
    out = model.model_dump(mode="json", exclude_unset=True, exclude=set(nested))
    for name in required:
        if name not in out and name not in nested:
            value = model.model_dump(mode="json", include={name})[name]
            out[name] = _REQUIRED_WHEN_UNSET.get(name, value) if value is None else value
    for name, dump_nested in nested.items():
        value = getattr(model, name)
        if value is not None:
            out[name] = dump_nested(value)
        elif name in model.model_fields_set:
            out[name] = None
    return out


def json_nesting(obj: Any) -> int:
    """Depth of nested objects/arrays, without recursion (the input is untrusted)."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(obj, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict | list):
            deepest = max(deepest, depth)
            if deepest > MAX_CARD_NESTING:
                return deepest
            children = value.values() if isinstance(value, dict) else value
            stack.extend((child, depth + 1) for child in children)
    return deepest


def _describe(exc: ValidationError) -> str:
    errors = exc.errors()
    first = errors[0]
    where = ".".join(str(part) for part in first["loc"]) or "card"
    more = f" (and {len(errors) - 1} more problems)" if len(errors) > 1 else ""
    return f"invalid character card: {where}: {first['msg']}{more}"

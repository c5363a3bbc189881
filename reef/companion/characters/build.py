"""Characters as the API writes them: cards built from bodies, temperaments, import, export."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Literal

from reef.companion.cards.codec import (
    Card,
    CardVersion,
    card_from_dict,
    card_to_dict,
    export_card_json,
    export_card_png,
)
from reef.companion.cards.png import is_png
from reef.companion.emotion import Temperament
from reef.companion.http.schemas import CharacterFields, TemperamentBody
from reef.companion.records import CharacterRecord
from reef.errors import InvalidRequest
from reef.settings import EmotionSettings

ExportFormat = Literal["json", "png"]
_UNSAFE_FILENAME = re.compile(r"[^A-Za-z0-9._-]+")


def card_from_fields(card: dict[str, Any] | None, fields: CharacterFields) -> Card:
    """A whole card, a card with some fields overridden, or a V2 card from fields alone."""
    overrides = fields.data_fields()
    if card is None:
        if not overrides.get("name"):
            raise InvalidRequest(
                "a character needs a 'name' (or a whole 'card')",
                param="name",
                code="missing_required_parameter",
            )
        return card_from_dict({"spec": "chara_card_v2", "spec_version": "2.0", "data": overrides})
    parsed = card_from_dict(card)
    return with_fields(parsed, overrides) if overrides else parsed


def with_fields(card: Card, overrides: dict[str, Any]) -> Card:
    """`card` with some `data` fields replaced (everything else, unknown keys included, kept)."""
    raw = card_to_dict(card, "v3" if card.spec == "chara_card_v3" else "v2")
    raw["data"] = {**raw["data"], **overrides}
    return card_from_dict(raw)


def temperament_for(
    body: TemperamentBody | None, current: dict[str, Any] | None, settings: EmotionSettings
) -> dict[str, float]:
    """The temperament to store: `body` over `current` over the emotion settings."""
    base = Temperament.from_settings(settings)
    if current:
        base = Temperament.from_dict(current, base)
    given = body.model_dump(exclude_none=True) if body is not None else {}
    return Temperament.from_dict(given, base).to_dict()


def temperament_of(record: CharacterRecord, settings: EmotionSettings) -> Temperament:
    return Temperament.from_dict(record.temperament, Temperament.from_settings(settings))


@dataclass(frozen=True)
class ExportedCard:
    content: bytes
    media_type: str
    filename: str


def export_character(
    record: CharacterRecord,
    portrait: bytes | None,
    fmt: ExportFormat,
    version: CardVersion,
) -> ExportedCard:
    """JSON in the version asked; PNG carries both versions (`chara` and `ccv3`)."""
    stem = _UNSAFE_FILENAME.sub("_", record.name).strip("_") or "character"
    if fmt == "png":
        return ExportedCard(export_card_png(record.card, portrait), "image/png", f"{stem}.png")
    return ExportedCard(export_card_json(record.card, version), "application/json", f"{stem}.json")


def portrait_of(upload: bytes) -> bytes | None:
    """An imported PNG becomes the character's portrait (for PNG export)."""
    return upload if is_png(upload) else None

"""Typed Character Card V2/V3 model that keeps every unknown key for lossless export.

One model covers both versions (V3 is a superset of V2); `Card.spec` remembers which one the
card came as. Every object the specs allow extra keys in (`extensions`, but in practice every
object: SillyTavern writes V1 fields next to `data`, editors add entry keys) is `extra="allow"`,
so an import followed by an export gives the same JSON back.
"""

from __future__ import annotations

from typing import Any, Final, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

SPEC_V2: Final = "chara_card_v2"
SPEC_V3: Final = "chara_card_v3"
SPEC_VERSION_V2: Final = "2.0"
SPEC_VERSION_V3: Final = "3.0"

CardSpec = Literal["chara_card_v2", "chara_card_v3"]
Number = int | float


class _CardObject(BaseModel):
    """Base: extra keys survive; a JSON null where the spec wants a value means 'use default'."""

    model_config = ConfigDict(extra="allow", validate_assignment=True)

    @model_validator(mode="before")
    @classmethod
    def _null_means_default(cls, value: Any) -> Any:
        if not isinstance(value, dict):
            return value
        cleaned = dict(value)
        for field_name, field in cls.model_fields.items():
            if cleaned.get(field_name, 0) is None and field.default is not None:
                del cleaned[field_name]
        return cleaned


class LoreEntry(_CardObject):
    """One `character_book` entry with every V2 and V3 field."""

    keys: list[str] = Field(default_factory=list)
    content: str = ""
    extensions: dict[str, Any] = Field(default_factory=dict)
    enabled: bool = True
    insertion_order: Number = 0
    case_sensitive: bool | None = None
    use_regex: bool | None = None
    constant: bool | None = None
    name: str | None = None
    priority: Number | None = None
    id: int | str | None = None
    comment: str | None = None
    selective: bool | None = None
    secondary_keys: list[str] | None = None
    position: str | None = None


class CharacterBook(_CardObject):
    """The lorebook embedded in a card."""

    name: str | None = None
    description: str | None = None
    scan_depth: int | None = None
    token_budget: int | None = None
    recursive_scanning: bool | None = None
    extensions: dict[str, Any] = Field(default_factory=dict)
    entries: list[LoreEntry] = Field(default_factory=list)


class CardAsset(_CardObject):
    """A V3 asset: `type` is icon, background, user_icon, emotion or an `x_...` type."""

    type: str
    uri: str
    name: str = ""
    ext: str = ""


class CardData(_CardObject):
    """The `data` object: V2 fields, then the V3 additions."""

    name: str
    description: str = ""
    personality: str = ""
    scenario: str = ""
    first_mes: str = ""
    mes_example: str = ""
    creator_notes: str = ""
    system_prompt: str = ""
    post_history_instructions: str = ""
    alternate_greetings: list[str] = Field(default_factory=list)
    tags: list[str] = Field(default_factory=list)
    creator: str = ""
    character_version: str = ""
    extensions: dict[str, Any] = Field(default_factory=dict)
    character_book: CharacterBook | None = None
    # V3 additions
    nickname: str | None = None
    creator_notes_multilingual: dict[str, str] | None = None
    source: list[str] | None = None
    group_only_greetings: list[str] = Field(default_factory=list)
    creation_date: Number | None = None
    modification_date: Number | None = None
    assets: list[CardAsset] | None = None


class Card(_CardObject):
    """A character card as imported: `spec` is the version it arrived as."""

    spec: CardSpec = SPEC_V2
    spec_version: str = SPEC_VERSION_V2
    data: CardData

    @property
    def name(self) -> str:
        return self.data.name

    @property
    def display_name(self) -> str:
        """What `{{char}}` becomes: the V3 nickname when set, else the name."""
        return self.data.nickname or self.data.name

    def greetings(self, *, group: bool = False) -> list[str]:
        """Greetings by index: 0 is `first_mes`, then `alternate_greetings` (V3 `@@is_greeting`
        numbering), then, in group chats, `group_only_greetings`."""
        found = [self.data.first_mes, *self.data.alternate_greetings]
        if group:
            found.extend(self.data.group_only_greetings)
        return found


V2_DATA_FIELDS = (
    "name",
    "description",
    "personality",
    "scenario",
    "first_mes",
    "mes_example",
    "creator_notes",
    "system_prompt",
    "post_history_instructions",
    "alternate_greetings",
    "tags",
    "creator",
    "character_version",
    "extensions",
)
V3_DATA_FIELDS = (*V2_DATA_FIELDS, "group_only_greetings")
V2_ENTRY_FIELDS = ("keys", "content", "extensions", "enabled", "insertion_order")
V3_ENTRY_FIELDS = (*V2_ENTRY_FIELDS, "use_regex")
BOOK_FIELDS = ("extensions", "entries")
ASSET_FIELDS = ("type", "uri", "name", "ext")

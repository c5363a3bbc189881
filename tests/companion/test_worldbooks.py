"""SillyTavern world books without a server: reading the file (and refusing bad ones), its
entries firing through the lore engine by SillyTavern's rules, and the store on SQLite and
PostgreSQL (per-organisation, names unique, attachments, `extensions.world` resolution).

The world book under data/ is Reef's own text in SillyTavern's world info format: an `entries`
map keyed by uid strings with every field SillyTavern writes, plus top-level and vendor keys."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import func, select

from reef.companion.cards.codec import card_from_dict
from reef.companion.cards.model import CharacterBook
from reef.companion.characters import repository as chars
from reef.companion.lore.book import LoreChat, LoreScan, scan_lorebook
from reef.companion.lore.merge import with_world_books
from reef.companion.records import CharacterRecord
from reef.companion.tables import CharacterWorldBook, WorldBook
from reef.companion.worldbooks import repository as books
from reef.companion.worldbooks.convert import world_book_lore
from reef.companion.worldbooks.files import export_worldbook, read_worldbook
from reef.companion.worldbooks.lore import WorldBookLore
from reef.companion.worldbooks.repository import WorldBookNameTaken
from reef.errors import InvalidRequest, NotFound
from reef.platform import accounts
from reef.settings import CompanionSettings
from reef.store.db import Database
from tests.companion.support import DATA, make_book, make_card, words

FILE = DATA / "worldbook_saltmere.json"
SETTINGS = CompanionSettings()
VOICE = {"voice_id": "reef-joe", "speed": 1.0, "pitch": 0.0, "volume": 1.0}
TEMPERAMENT = {"valence": 0.1, "arousal": 0.0, "reactivity": 0.5, "decay_rate": 0.25}


def saltmere() -> CharacterBook:
    return world_book_lore("Saltmere Coast", json.loads(FILE.read_text(encoding="utf-8")))


def scan(book: CharacterBook | None, *messages: str) -> LoreScan:
    chat = LoreChat(messages=list(messages), char_name="Mira", user_name="Ann")
    return scan_lorebook(book, chat, count_tokens=words, settings=SETTINGS)


def labels(result: LoreScan) -> list[str]:
    return [item.label for item in result.fired]


def read(data: bytes, **options: Any) -> Any:
    options = {"name": None, "filename": None, "settings": SETTINGS, **options}
    return read_worldbook(data, **options)


# --- the file ------------------------------------------------------------------------------


def test_a_sillytavern_world_book_reads_whole_and_writes_back_unchanged() -> None:
    raw = FILE.read_bytes()
    file = read(raw)
    assert file.name == "Saltmere Coast"  # the file's own `name`
    assert file.entry_count == 8
    assert json.loads(export_worldbook(file.book)) == json.loads(raw)
    assert file.size_bytes == len(export_worldbook(file.book))
    assert read(raw, name="Given").name == "Given"
    unnamed = json.loads(raw)
    del unnamed["name"]
    as_file = read(json.dumps(unnamed).encode(), filename="Saltmere Lore.json")
    assert as_file.name == "Saltmere Lore"


@pytest.mark.parametrize(
    ("data", "param", "problem"),
    [
        (b"", "file", "empty"),
        (b"\xff\xfe{}", "file", "UTF-8"),
        (b"{not json", "file", "not valid JSON"),
        (b'{"entries": {"0": {"key": ["a"], "order": NaN}}}', "file", "NaN"),
        (b'["entries"]', "file", "not an array"),
        (b'{"name": "x", "spec": "chara_card_v2"}', "entries", "no 'entries'"),
        (b'{"name": "x", "entries": [{"key": ["a"]}]}', "entries", "not an array"),
        (b'{"name": "x", "entries": {"7": "text"}}', "entries.7", "must be an object"),
        (
            b'{"name": "x", "entries": {"7": {"key": ["a"], "order": "high"}}}',
            "entries.7.order",
            "'7'",
        ),
        (b'{"name": "x", "entries": {"7": {"content": ["a"]}}}', "entries.7.content", "'7'"),
        (b'{"entries": {}}', "name", "no name"),
        (b'{"name": "x", "entries": {"0": {"content": "\\ud800"}}}', "file", "lone surrogate"),
    ],
)
def test_bad_world_book_files_are_refused_with_a_code_naming_the_problem(
    data: bytes, param: str, problem: str
) -> None:
    with pytest.raises(InvalidRequest) as caught:
        read(data)
    assert caught.value.param == param, caught.value.message
    assert caught.value.code in ("worldbook_invalid", "worldbook_name_required")
    assert problem in caught.value.message


def test_size_and_entry_caps_come_from_the_settings() -> None:
    raw = FILE.read_bytes()
    small = CompanionSettings(worldbook_max_bytes=len(raw) - 1)
    with pytest.raises(InvalidRequest) as too_big:
        read(raw, settings=small)
    assert (too_big.value.code, too_big.value.param) == ("worldbook_too_large", "file")
    few = CompanionSettings(worldbook_max_entries=7)
    with pytest.raises(InvalidRequest) as too_many:
        read(raw, settings=few)
    assert (too_many.value.code, too_many.value.param) == ("worldbook_too_large", "entries")
    deep = b'{"name": "x", "entries": {}, "deep": ' + b"[" * 150 + b"]" * 150 + b"}"
    with pytest.raises(InvalidRequest, match="nested deeper"):
        read(deep)


def test_a_world_book_offered_as_a_card_is_named_as_such() -> None:
    with pytest.raises(InvalidRequest) as caught:
        card_from_dict(json.loads(FILE.read_text(encoding="utf-8")))
    assert caught.value.code == "worldbook_not_card"
    assert (
        "world book" in caught.value.message and "/v1/companion/worldbooks" in caught.value.message
    )


# --- its entries in the lore engine ----------------------------------------------------------


def test_entries_fire_by_sillytavern_rules() -> None:
    book = saltmere()
    # constant fires always; a disabled entry never, even on its key
    assert labels(scan(book, "Tell me about the kraken.")) == ["Coast law"]
    assert "The Saltmere light" in labels(scan(book, "Is the lighthouse lit?"))
    # selectiveLogic 2 (NOT ANY): a storm fires unless it is calm or quiet
    assert "Storm warning" in labels(scan(book, "A storm is coming."))
    assert "Storm warning" not in labels(scan(book, "A storm, but the sea is calm."))
    # selectiveLogic 3 (AND ALL): the bell needs both brass and tower
    assert "The bell" not in labels(scan(book, "I hear a brass bell."))
    assert "The bell" in labels(scan(book, "The brass bell rings in the tower."))
    # caseSensitive: "Wren" but not "wren"
    assert "Wren the ferryman" in labels(scan(book, "Wren is here."))
    assert "Wren the ferryman" not in labels(scan(book, "a wren sings"))
    # scanDepth 6 on the entry reaches further back than the default depth of 2
    old = ["We need lamp oil.", "ok", "ok", "ok", "ok"]
    assert "Supplies" in labels(scan(book, *old))
    assert "Supplies" not in labels(scan(book, "We need lamp oil.", *["ok"] * 6))


def test_outlet_entries_never_fire_without_their_macro() -> None:
    raw = json.loads(FILE.read_text(encoding="utf-8"))
    raw["entries"]["0"]["position"] = 7
    book = world_book_lore("Outlets", raw)
    assert "The Saltmere light" not in labels(scan(book, "Is the lighthouse lit?"))
    raw["entries"]["0"]["position"] = 2  # author's note top: placed after the character
    placed = {item.label: item for item in scan(world_book_lore("AN", raw), "lighthouse").fired}
    assert placed["The Saltmere light"].position == "after_char"


def test_position_order_depth_role_and_macros_carry_over() -> None:
    fired = {item.label: item for item in scan(saltmere(), "The tide and the lighthouse").fired}
    assert fired["The Saltmere light"].position == "before_char"
    assert fired["Coast law"].position == "after_char"
    tide = fired["Tide tables"]
    assert (tide.position, tide.depth, tide.role) == ("at_depth", 1, "system")
    assert fired["The Saltmere light"].content.startswith("Mira tends the Saltmere light")
    # emitted by `order` (SillyTavern's insertion order), lower first
    assert [item.label for item in scan(saltmere(), "The tide and the lighthouse").fired] == [
        "Coast law",
        "Tide tables",
        "The Saltmere light",
    ]


def test_world_books_join_the_cards_own_book_and_its_budget() -> None:
    own = make_book({"keys": ["glade"], "content": "GLADE"}, token_budget=12)
    merged = with_world_books(own, [saltmere()])
    assert merged is not None and merged.token_budget == 12
    assert len(merged.entries) == 1 + 8 and own.entries == merged.entries[:1]
    result = scan(merged, "The glade and the lighthouse")
    assert "GLADE" in [item.content for item in result.fired]
    assert result.tokens <= 12 and result.over_budget  # the shared budget leaves some out
    assert with_world_books(None, []) is None
    assert with_world_books(None, [saltmere()]) is not None


def test_an_entry_both_embedded_and_in_the_named_world_book_is_placed_once() -> None:
    own = make_book({"keys": ["lighthouse", "beacon"], "content": "LIGHT"})
    raw = json.loads(FILE.read_text(encoding="utf-8"))
    raw["entries"]["0"]["content"] = "LIGHT"
    merged = with_world_books(own, [world_book_lore("Copy", raw), world_book_lore("Copy", raw)])
    assert merged is not None and len(merged.entries) == 8
    assert [item.content for item in scan(merged, "lighthouse").fired].count("LIGHT") == 1


# --- the store -------------------------------------------------------------------------------


def new_org(db: Database, name: str) -> int:
    return accounts.create_org(db, name).id


def import_file(db: Database, org: int, name: str | None = None) -> str:
    file = read(FILE.read_bytes(), name=name)
    return books.create_worldbook(db, org, file).id


def new_character(db: Database, org: int, **card: Any) -> CharacterRecord:
    return chars.create_character(
        db,
        org,
        card=make_card("Mira", **card),
        owner=None,
        visibility="private",
        voice=VOICE,
        temperament=TEMPERAMENT,
    )


def test_world_books_are_stored_whole_paged_and_kept_per_organisation(db: Database) -> None:
    acme, globex = new_org(db, "acme"), new_org(db, "globex")
    first = import_file(db, acme)
    second = import_file(db, acme, name="Second")
    record, book = books.worldbook_file(db, acme, first)
    assert record.name == "Saltmere Coast" and record.entry_count == 8
    assert book == json.loads(FILE.read_bytes())

    page = books.list_worldbooks(db, acme, limit=1)
    assert [r.id for r in page] == [second]
    assert [r.id for r in books.list_worldbooks(db, acme, limit=5, after=second)] == [first]
    with pytest.raises(WorldBookNameTaken):
        import_file(db, acme)
    assert import_file(db, globex)  # another organisation may use the same name

    for call in (books.get_worldbook, books.worldbook_file, books.delete_worldbook):
        with pytest.raises(NotFound) as caught:
            call(db, globex, first)
        assert caught.value.code == "worldbook_not_found"
    with pytest.raises(InvalidRequest):
        books.list_worldbooks(db, globex, after=first)
    assert books.get_worldbook(db, acme, first).name == "Saltmere Coast"


def test_attaching_is_all_or_nothing_and_deleting_detaches(db: Database) -> None:
    acme, globex = new_org(db, "acme"), new_org(db, "globex")
    first, second = import_file(db, acme), import_file(db, acme, name="Second")
    foreign = import_file(db, globex)
    mira = new_character(db, acme)

    attached = chars.set_worldbooks(db, acme, mira.id, [second, first])
    assert attached.lorebooks == (second, first)
    assert chars.get_character(db, acme, mira.id).lorebooks == (second, first)
    assert [c.lorebooks for c in chars.list_characters(db, acme)] == [(second, first)]

    with pytest.raises(NotFound) as caught:
        chars.set_worldbooks(db, acme, mira.id, [first, foreign])
    assert caught.value.code == "worldbook_not_found"
    with pytest.raises(NotFound) as other_org:
        chars.set_worldbooks(db, globex, mira.id, [foreign])
    assert other_org.value.code == "character_not_found"
    with pytest.raises(InvalidRequest):
        chars.set_worldbooks(db, acme, mira.id, [first, first])
    assert chars.get_character(db, acme, mira.id).lorebooks == (second, first)

    books.delete_worldbook(db, acme, second)
    assert chars.get_character(db, acme, mira.id).lorebooks == (first,)
    chars.delete_character(db, acme, mira.id)
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(CharacterWorldBook)) == 0
        assert session.scalar(select(func.count()).select_from(WorldBook)) == 2


def test_a_turn_scans_attached_books_then_the_one_its_card_names(db: Database) -> None:
    acme, globex = new_org(db, "acme"), new_org(db, "globex")
    saltmere_id = import_file(db, acme)
    named = books.create_worldbook(
        db, acme, read(b'{"entries": {"0": {"key": ["glade"], "content": "G"}}}', name="Glade")
    ).id
    import_file(db, globex, name="Glade")  # a namesake elsewhere is never used
    linked = new_character(db, acme, extensions={"world": "Glade"})
    lore = WorldBookLore(db, capacity=4)

    assert [b.name for b in lore.for_character(acme, linked)] == ["Glade"]
    both = chars.set_worldbooks(db, acme, linked.id, [saltmere_id])
    assert [b.name for b in lore.for_character(acme, both)] == ["Saltmere Coast", "Glade"]
    again = chars.set_worldbooks(db, acme, linked.id, [named, saltmere_id])
    assert [b.name for b in lore.for_character(acme, again)] == ["Glade", "Saltmere Coast"]
    unknown = new_character(db, acme, extensions={"world": "Nowhere"})
    assert lore.for_character(acme, unknown) == []
    # the same books come from memory the second time, a deleted one is gone
    assert lore.for_character(acme, both)[0] is lore.for_character(acme, both)[0]
    books.delete_worldbook(db, acme, saltmere_id)
    assert [b.name for b in lore.for_character(acme, both)] == ["Glade"]

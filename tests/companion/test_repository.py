"""The companion store on SQLite and PostgreSQL: characters, sessions, messages and the SQL
`MemoryStore`, each always inside one organisation; deletion is real and cascades."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from reef.companion.characters import repository as chars
from reef.companion.memory import (
    HashingEmbedder,
    Memory,
    MemoryScope,
    Reconciler,
    RelationshipSummary,
    RuleExtractor,
)
from reef.companion.memory.sql_store import SqlMemoryStore, memory_scope
from reef.companion.records import NewMessage, Swipe
from reef.companion.sessions import repository as sessions
from reef.companion.tables import MemoryRevisionRow, MemoryRow, Message
from reef.errors import InvalidRequest, NotFound, PermissionDenied
from reef.platform import accounts
from reef.store.db import Database
from tests.companion.support import make_card

VOICE = {"voice_id": "reef-joe", "speed": 1.0, "pitch": 0.0, "volume": 1.0}
TEMPERAMENT = {"valence": 0.1, "arousal": 0.0, "reactivity": 0.5, "decay_rate": 0.25}


def new_org(db: Database, name: str) -> int:
    return accounts.create_org(db, name).id


def character(db: Database, org: int, name: str = "Mira", **kwargs: object) -> str:
    options: dict[str, object] = {"owner": None, "visibility": "private", **kwargs}
    record = chars.create_character(
        db,
        org,
        card=make_card(name, description=f"{name} keeps a lighthouse."),
        voice=VOICE,
        temperament=TEMPERAMENT,
        **options,  # type: ignore[arg-type]
    )
    return record.id


def message(role: str, text: str, speaker: str | None = None) -> NewMessage:
    return NewMessage(f"msg_{role}_{text[:8]}_{id(text)}", role, speaker, "X", [Swipe(text)])  # type: ignore[arg-type]


def test_characters_are_scoped_to_their_organisation_and_owner(db: Database) -> None:
    acme, globex = new_org(db, "acme"), new_org(db, "globex")
    house = character(db, acme, "House")
    secret = character(db, acme, "Secret", owner="alice")
    shared = character(db, acme, "Shared", owner="alice", visibility="public")

    assert chars.get_character(db, acme, house).card.name == "House"
    with pytest.raises(NotFound):
        chars.get_character(db, globex, house)
    assert chars.list_characters(db, globex) == []
    assert {c.id for c in chars.list_characters(db, acme)} == {house, secret, shared}
    assert [c.id for c in chars.list_characters(db, acme, public_only=True)] == [shared]
    assert {c.id for c in chars.list_characters(db, acme, owner="alice")} == {secret, shared}
    assert chars.list_characters(db, acme, owner="nobody") == []

    # bob sees the organisation's and the public characters, not alice's private one
    assert chars.get_character(db, acme, house, viewer="bob").id == house
    assert chars.get_character(db, acme, shared, viewer="bob").owner == "alice"
    with pytest.raises(NotFound):
        chars.get_character(db, acme, secret, viewer="bob")
    with pytest.raises(PermissionDenied):
        chars.update_character(
            db, acme, shared, chars.CharacterChanges(visibility="private"), editor="bob"
        )
    with pytest.raises(NotFound):
        chars.delete_character(db, globex, house)
    renamed = chars.update_character(
        db, acme, shared, chars.CharacterChanges(card=make_card("Renamed")), editor="alice"
    )
    assert renamed.name == "Renamed" and renamed.card_dict["data"]["name"] == "Renamed"
    assert chars.get_or_create_end_user(db, acme, "alice") == chars.get_or_create_end_user(
        db, acme, "alice"
    )
    assert chars.find_end_user(db, globex, "alice") is None


def test_messages_append_in_order_and_racing_writers_conflict(db: Database) -> None:
    org = new_org(db, "acme")
    mira = character(db, org)
    session, greetings = sessions.create_session(
        db,
        org,
        user="alice",
        character_ids=[mira],
        title="t",
        user_name="Ann",
        model="m",
        speaker_strategy="mention",
        greetings=[message("assistant", "Hello!", mira)],
    )
    assert session.character_ids == [mira] and [g.seq for g in greetings] == [0]
    first = sessions.append_messages(
        db,
        org,
        session.id,
        [message("user", "hi"), message("assistant", "hey", mira)],
        expected_last=greetings[0].id,
    )
    assert [m.seq for m in first] == [1, 2]
    with pytest.raises(sessions.SessionConflict):
        sessions.append_messages(
            db, org, session.id, [message("user", "late")], expected_last=greetings[0].id
        )
    swiped = sessions.add_swipe(db, org, session.id, first[1].id, Swipe("hello again"))
    assert swiped.active_swipe == 1 and swiped.content == "hello again"
    with pytest.raises(sessions.SessionConflict):
        sessions.add_swipe(db, org, session.id, first[0].id, Swipe("not newest"))
    edited = sessions.edit_message(db, org, session.id, first[1].id, active_swipe=0)
    assert edited.content == "hey" and edited.edited_at is None
    with pytest.raises(InvalidRequest):
        sessions.edit_message(db, org, session.id, first[1].id, active_swipe=2)
    assert [m.content for m in sessions.list_messages(db, org, session.id)] == [
        "Hello!",
        "hi",
        "hey",
    ]
    assert [m.content for m in sessions.list_messages(db, org, session.id, newest=2)] == [
        "hi",
        "hey",
    ]
    other = new_org(db, "globex")
    for call in (
        lambda: sessions.get_session(db, other, session.id),
        lambda: sessions.list_messages(db, other, session.id),
        lambda: sessions.delete_message(db, other, session.id, first[0].id),
        lambda: sessions.get_session(db, org, session.id, user="bob"),
    ):
        with pytest.raises(NotFound):
            call()
    assert sessions.list_sessions(db, other) == []
    assert [s.id for s in sessions.list_sessions(db, org, user="alice")] == [session.id]
    assert sessions.list_sessions(db, org, user="bob") == []


def test_deleting_a_character_cascades_to_its_chats_memories_and_summaries(
    db: Database,
) -> None:
    org = new_org(db, "acme")
    mira, juno = character(db, org, "Mira"), character(db, org, "Juno")
    alone, _ = sessions.create_session(
        db,
        org,
        user="alice",
        character_ids=[mira],
        title="",
        user_name="Ann",
        model="m",
        speaker_strategy="mention",
        greetings=[message("assistant", "Hi", mira)],
    )
    group, _ = sessions.create_session(
        db,
        org,
        user="alice",
        character_ids=[mira, juno],
        title="",
        user_name="Ann",
        model="m",
        speaker_strategy="list",
        greetings=[message("assistant", "Yo", mira)],
    )
    chars.delete_character(db, org, mira)
    with pytest.raises(NotFound):
        sessions.get_session(db, org, alone.id)
    survivor = sessions.get_session(db, org, group.id)
    assert survivor.character_ids == [juno]
    (greeting,) = sessions.list_messages(db, org, group.id)
    assert greeting.speaker_id is None and greeting.content == "Yo"
    with db.session() as session:
        assert session.scalar(select(func.count()).where(Message.session_id == alone.id)) == 0


# --- the SQL MemoryStore --------------------------------------------------------------------


def at(minutes: int) -> datetime:
    return datetime(2025, 1, 1, tzinfo=UTC) + timedelta(minutes=minutes)


def memory(scope: MemoryScope, memory_id: str, text: str, minute: int = 0, **kw: object) -> Memory:
    return Memory(
        id=memory_id,
        scope=scope,
        text=text,
        subject=kw.get("subject"),  # type: ignore[arg-type]
        value=kw.get("value"),  # type: ignore[arg-type]
        embedding=kw.get("embedding"),  # type: ignore[arg-type]
        created_at=at(minute),
        updated_at=at(minute),
    )


async def test_sql_memory_store_keeps_the_contract_within_one_scope(db: Database) -> None:
    org = new_org(db, "acme")
    mira, juno = character(db, org, "Mira"), character(db, org, "Juno")
    alice = chars.get_or_create_end_user(db, org, "alice").id
    bob = chars.get_or_create_end_user(db, org, "bob").id
    store = SqlMemoryStore(db, org)
    pair, profile = memory_scope(alice, mira), memory_scope(alice, None)
    other_pair, bobs = memory_scope(alice, juno), memory_scope(bob, mira)

    dog = memory(
        pair,
        "m1",
        "The user has a dog.",
        0,
        subject="user.pet.dog",
        value="Rex",
        embedding=(1.0, 0.0),
    )
    await store.add(dog)
    await store.add(memory(pair, "m2", "The user likes jazz.", 1, embedding=(0.0, 1.0)))
    await store.add(memory(profile, "m3", "The user is called Ann.", 2))
    assert [m.id for m in await store.list(pair)] == ["m1", "m2"]
    assert [m.id for m in await store.list(pair, subject="user.pet.dog")] == ["m1"]
    assert [m.id for m in await store.list(profile)] == ["m3"]
    assert await store.list(other_pair) == [] and await store.list(bobs) == []
    assert await store.get(bobs, "m1") is None and await store.get(pair, "m3") is None
    got = await store.get(pair, "m1")
    assert got == dog
    best = await store.search(pair, [0.9, 0.1], limit=1)
    assert [(m.id, round(score, 3)) for m, score in best] == [("m1", 0.994)]

    revised = dog.revised(
        text="The user has a dog named Rexy.",
        subject="user.pet.dog",
        value="Rexy",
        embedding=(1.0, 0.0),
        now=at(5),
        reason="changed",
        source="user",
        max_history=5,
    )
    await store.update(revised)
    stored = await store.get(pair, "m1")
    assert stored == revised and stored.history[0].value == "Rex"
    with pytest.raises(NotFound):
        await store.update(memory(bobs, "m1", "hijack"))
    assert not await store.delete(bobs, "m1")
    assert not await store.delete(memory_scope(999_999, mira), "m1")

    summary = RelationshipSummary("They just met.", 1, at(6), "narrative")
    await store.set_summary(pair, summary)
    await store.set_summary(pair, RelationshipSummary("Friends now.", 2, at(7)))
    assert (await store.get_summary(pair)).text == "Friends now."  # type: ignore[union-attr]
    assert await store.get_summary(other_pair) is None

    assert await store.delete(pair, "m1")
    with db.session() as session:
        assert session.get(MemoryRow, "m1") is None
        assert session.scalar(select(func.count()).where(MemoryRevisionRow.memory_id == "m1")) == 0
    assert await store.clear(pair) == 1
    assert await store.list(pair) == [] and await store.get_summary(pair) is None
    assert [m.id for m in await store.list(profile)] == ["m3"]


async def test_another_organisation_can_neither_read_nor_write_a_scope(db: Database) -> None:
    acme, globex = new_org(db, "acme"), new_org(db, "globex")
    mira = character(db, acme)
    alice = chars.get_or_create_end_user(db, acme, "alice").id
    pair = memory_scope(alice, mira)
    await SqlMemoryStore(db, acme).add(memory(pair, "m1", "The user is Ann."))
    intruder = SqlMemoryStore(db, globex)
    assert await intruder.list(pair) == [] and await intruder.get(pair, "m1") is None
    assert not await intruder.delete(pair, "m1") and await intruder.clear(pair) == 0
    for write in (
        intruder.add(memory(pair, "m2", "planted")),
        intruder.set_summary(pair, RelationshipSummary("planted", 1, at(0))),
    ):
        with pytest.raises(NotFound):
            await write
    assert [m.id for m in await SqlMemoryStore(db, acme).list(pair)] == ["m1"]


async def test_reconciliation_runs_on_the_sql_store(db: Database) -> None:
    org = new_org(db, "acme")
    mira = character(db, org)
    scope = memory_scope(chars.get_or_create_end_user(db, org, "alice").id, mira)
    store = SqlMemoryStore(db, org)
    reconciler, rules = Reconciler(store, HashingEmbedder()), RuleExtractor()
    events = []
    for text in ("I live in Paris.", "I live in Lyon now.", "I don't live in Lyon anymore."):
        events += [op.event for op in await reconciler.apply(scope, rules.extract_text(text))]
    assert events == ["ADD", "UPDATE", "DELETE"]
    assert await store.list(scope) == []

"""The companion API over real HTTP: characters, import/export, sessions, streamed turns,
swipes, memories, emotion, voice, group chats, metering, and isolation between organisations
and end users. Replies come from the real embedded SmolLM2 (or the fake upstream's echo model
where a test needs to know the reply), with small max_tokens."""

from __future__ import annotations

import base64
import io
import json
import struct
import uuid
import zipfile
import zlib
from typing import Any

import httpx
from sqlalchemy import func, select

from reef.companion.cards.codec import export_card_json, parse_card
from reef.companion.tables import MemoryRow, Message
from reef.platform import accounts, keys
from reef.settings import Settings
from reef.store.db import Database
from reef.store.tables import UsageEvent
from tests.companion.support import DATA
from tests.support.catalogue import EMBEDDING_MODEL, REMOTE_MODEL
from tests.support.inprocess import InProcessServer, client, error_of, ok, sse_events
from tests.support.servers import wait_until

SMALL = {"max_tokens": 12, "temperature": 0.0, "seed": 7}


def make_character(api: httpx.Client, name: str = "Mira", **fields: Any) -> dict[str, Any]:
    body = {
        "name": name,
        "description": f"{name} is a cheerful lighthouse keeper who loves the sea.",
        "personality": "kind, curious",
        "first_mes": "Hello {{user}}, I am {{char}}. Welcome to the lighthouse!",
        "alternate_greetings": ["Ahoy, {{user}}!"],
        **fields,
    }
    return ok(api.post("/characters", json=body))


def make_session(api: httpx.Client, character_id: str, user: str = "alice", **fields: Any) -> dict:
    body = {"user": user, "character_id": character_id, "user_name": "Ann", **fields}
    return ok(api.post("/sessions", json=body))


def send(api: httpx.Client, session_id: str, content: str, **options: Any) -> dict[str, Any]:
    body = {"content": content, **SMALL, **options}
    return ok(api.post(f"/sessions/{session_id}/messages", json=body))


def message_count(db: Database, session_id: str) -> int:
    with db.session() as session:
        return int(
            session.scalar(select(func.count()).where(Message.session_id == session_id)) or 0
        )


def ledger_rows(db: Database, request_id: str, count: int) -> list[UsageEvent]:
    def written() -> list[UsageEvent] | None:
        with db.session() as session:
            rows = list(
                session.scalars(select(UsageEvent).where(UsageEvent.request_id == request_id))
            )
        return rows if len(rows) >= count else None

    return wait_until(written, 30, f"{count} ledger rows of {request_id}")


# --- characters ---------------------------------------------------------------------------


def test_character_crud_visibility_and_gallery(api: httpx.Client) -> None:
    private = make_character(api, "Mira")
    public = make_character(api, "Juno", visibility="public", user="alice")
    assert private["visibility"] == "private" and private["owner"] is None
    assert public["owner"] == "alice"
    assert private["card"]["data"]["first_mes"].startswith("Hello {{user}}")
    assert private["voice"]["voice_id"] and private["voice"]["speed"] == 1.0
    assert set(private["temperament"]) == {"valence", "arousal", "reactivity", "decay_rate"}

    listed = ok(api.get("/characters"))["data"]
    assert {c["id"] for c in listed} == {private["id"], public["id"]}
    assert [c["id"] for c in ok(api.get("/characters", params={"user": "alice"}))["data"]] == [
        public["id"]
    ]
    assert [c["id"] for c in ok(api.get("/gallery"))["data"]] == [public["id"]]

    changed = ok(
        api.patch(
            f"/characters/{private['id']}",
            json={
                "name": "Mira Vale",
                "visibility": "public",
                "voice": {"speed": 1.2, "pitch": -2},
                "temperament": {"valence": -0.3},
            },
        )
    )
    assert changed["name"] == "Mira Vale" and changed["card"]["data"]["name"] == "Mira Vale"
    assert changed["card"]["data"]["personality"] == "kind, curious"
    assert changed["voice"]["speed"] == 1.2 and changed["voice"]["pitch"] == -2
    assert changed["temperament"]["valence"] == -0.3
    assert changed["temperament"]["reactivity"] == private["temperament"]["reactivity"]
    assert ok(api.get(f"/characters/{private['id']}")) == changed

    assert ok(api.delete(f"/characters/{private['id']}"))["deleted"] is True
    assert error_of(api.get(f"/characters/{private['id']}"), 404)["code"] == "character_not_found"


def test_bad_character_input_is_rejected_and_changes_nothing(api: httpx.Client) -> None:
    mira = make_character(api)
    cases = [
        ("/characters", {"description": "no name"}, "name"),
        ("/characters", {"name": "X", "voice": {"voice_id": "nobody"}}, "voice.voice_id"),
        ("/characters", {"name": "X", "voice": {"speed": 9}}, "voice.speed"),
        ("/characters", {"name": "X", "temperament": {"valence": 3}}, "temperament.valence"),
        ("/characters", {"name": "X", "visibility": "secret"}, "visibility"),
        ("/characters", {"card": {"spec": "chara_card_v9", "data": {"name": "X"}}}, None),
    ]
    for path, body, param in cases:
        error = error_of(api.post(path, json=body), 400)
        if param is not None:
            assert error["param"] == param, error
    error = error_of(api.post("/characters", json={"name": "X", "model": "nope"}), 404)
    assert "nope" in error["message"]
    bad_patch = api.patch(f"/characters/{mira['id']}", json={"voice": {"voice_id": "nobody"}})
    assert error_of(bad_patch, 400)["param"] == "voice.voice_id"
    assert [c["id"] for c in ok(api.get("/characters"))["data"]] == [mira["id"]]
    assert ok(api.get(f"/characters/{mira['id']}")) == mira


def test_import_json_png_and_charx_then_export_losslessly(api: httpx.Client) -> None:
    raw = (DATA / "card_v2_rich.json").read_bytes()
    original = parse_card(raw, "card_v2_rich.json")
    imported = ok(api.post("/characters/import", content=raw))
    assert imported["name"] == original.name and imported["spec"] == "chara_card_v2"

    exported = api.get(f"/characters/{imported['id']}/export", params={"format": "json"})
    assert exported.status_code == 200 and exported.headers["content-type"] == "application/json"
    assert json.loads(exported.content) == json.loads(export_card_json(original, "v2"))

    png = api.get(f"/characters/{imported['id']}/export", params={"format": "png"})
    assert png.headers["content-type"] == "image/png"
    from_png = ok(
        api.post(
            "/characters/import",
            files={"file": ("portrait.png", png.content, "image/png")},
            data={"user": "alice", "visibility": "public"},
        )
    )
    assert from_png["owner"] == "alice" and from_png["visibility"] == "public"
    assert from_png["has_portrait"] is True
    v2_again = api.get(f"/characters/{from_png['id']}/export", params={"version": "v2"})
    assert json.loads(v2_again.content) == json.loads(export_card_json(original, "v2"))
    png_again = api.get(f"/characters/{from_png['id']}/export", params={"format": "png"})
    assert parse_card(png_again.content, "again.png") == parse_card(png.content, "first.png")

    v3 = (DATA / "card_v3_rich.json").read_bytes()
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as bundle:
        bundle.writestr("card.json", v3)
    charx = ok(
        api.post("/characters/import", content=archive.getvalue(), params={"filename": "c.charx"})
    )
    assert charx["spec"] == "chara_card_v3"
    v3_export = api.get(f"/characters/{charx['id']}/export", params={"version": "v3"})
    assert json.loads(v3_export.content) == json.loads(
        export_card_json(parse_card(v3, "card_v3_rich.json"), "v3")
    )


def with_text_chunk(png: bytes, size: int) -> bytes:
    """The PNG with a `size`-byte tEXt comment before IEND, like a large portrait."""
    payload = b"Comment\x00" + b"x" * size
    crc = struct.pack(">I", zlib.crc32(b"tEXt" + payload))
    chunk = struct.pack(">I", len(payload)) + b"tEXt" + payload + crc
    iend = png.rindex(b"IEND") - 4
    return png[:iend] + chunk + png[iend:]


def test_card_files_may_be_larger_than_other_request_bodies(api: httpx.Client) -> None:
    mira = make_character(api)
    png = api.get(f"/characters/{mira['id']}/export", params={"format": "png"}).content
    big = with_text_chunk(png, Settings().max_request_body_bytes)
    imported = ok(api.post("/characters/import", files={"file": ("big.png", big, "image/png")}))
    assert imported["name"] == mira["name"] and imported["has_portrait"] is True
    too_big = api.post("/characters", content=big, headers={"content-type": "application/json"})
    assert error_of(too_big, 413)["code"] == "request_too_large"


def test_bad_card_files_answer_400_naming_the_problem(api: httpx.Client) -> None:
    cases = [
        (b"", "no card file"),
        (b"\x00\x01 not a card", "not a character card"),
        (b'{"spec": "chara_card_v2", "data": {"description": "x"}}', "no name"),
        (b'{"spec": "chara_card_v2", "data": {"name": "X"', "card JSON is invalid"),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 20, "PNG"),
    ]
    for body, problem in cases:
        error = error_of(api.post("/characters/import", content=body), 400)
        assert problem in error["message"], (problem, error)
    no_file = api.post("/characters/import", files={"other": ("a.json", b"{}", "text/plain")})
    assert "'file'" in error_of(no_file, 400)["message"]
    assert ok(api.get("/characters"))["data"] == []


# --- sessions and turns -------------------------------------------------------------------


def test_session_starts_with_the_greeting_and_alternates_as_swipes(api: httpx.Client) -> None:
    mira = make_character(api)
    session = make_session(api, mira["id"], greeting_index=1)
    (greeting,) = session["messages"]
    assert greeting["greeting"] is True and greeting["role"] == "assistant"
    assert greeting["content"] == "Ahoy, Ann!"
    assert [s["content"] for s in greeting["swipes"]] == [
        "Hello Ann, I am Mira. Welcome to the lighthouse!",
        "Ahoy, Ann!",
    ]
    assert greeting["active_swipe"] == 1 and greeting["emotion"]["emotion"] in ("neutral", "happy")
    assert session["emotions"][mira["id"]] == greeting["emotion"]
    bad = api.post(
        "/sessions", json={"user": "alice", "character_id": mira["id"], "greeting_index": 5}
    )
    assert error_of(bad, 400)["param"] == "greeting_index"
    missing = api.post("/sessions", json={"user": "alice", "character_id": "chr_missing"})
    assert error_of(missing, 404)["code"] == "character_not_found"
    assert [s["id"] for s in ok(api.get("/sessions", params={"user": "alice"}))["data"]] == [
        session["id"]
    ]


def test_streamed_turn_is_stored_with_its_emotion_and_metered(
    api: httpx.Client, companion_db: Database
) -> None:
    mira = make_character(api)
    session = make_session(api, mira["id"])
    body = {"content": "Hi Mira! What do you see from the lighthouse?", "stream": True, **SMALL}
    with api.stream("POST", f"/sessions/{session['id']}/messages", json=body) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        request_id = response.headers["x-request-id"]
        events = list(sse_events(response))
    start, *middle, done, end = events
    assert end == "[DONE]"
    assert isinstance(start, dict) and start["type"] == "turn.start"
    assert start["character_id"] == mira["id"] and start["name"] == "Mira"
    deltas = [e["content"] for e in middle if isinstance(e, dict) and e["type"] == "delta"]
    assert isinstance(done, dict) and done["type"] == "turn.done"
    reply = done["message"]
    assert reply["id"] == start["message_id"] and reply["role"] == "assistant"
    assert reply["content"] == "".join(deltas).strip() and reply["content"]
    assert reply["completion_tokens"] == done["usage"]["completion_tokens"] <= 12
    assert set(reply["emotion"]) == {"valence", "arousal", "emotion", "intensity"}
    assert done["user_message"]["content"] == body["content"]
    assert done["user_message"]["emotion"] == session["emotions"][mira["id"]]

    stored = ok(api.get(f"/sessions/{session['id']}", params={"user": "alice"}))
    assert [m["role"] for m in stored["messages"]] == ["assistant", "user", "assistant"]
    assert stored["messages"][-1] == reply
    assert stored["emotions"][mira["id"]] == reply["emotion"]
    (row,) = ledger_rows(companion_db, request_id, 1)[:1]
    assert row.endpoint == "companion.messages" and row.model == "smollm2-135m"
    assert row.completion_tokens == done["usage"]["completion_tokens"]
    assert row.prompt_tokens == done["usage"]["prompt_tokens"] and row.status == 200
    assert row.cost_nano_usd > 0 and not row.aborted


def test_the_persona_prefix_is_cached_turn_after_turn(api: httpx.Client) -> None:
    mira = make_character(api, description="Mira keeps the lighthouse. " * 40)
    session = make_session(api, mira["id"])
    first = send(api, session["id"], "Good evening.")
    second = send(api, session["id"], "Is the lamp lit tonight?")
    assert second["usage"]["prompt_tokens"] > first["usage"]["prompt_tokens"] > 250
    # The persona (about 250 tokens of the first prompt) comes from the KV cache; what
    # follows the per-turn memory/emotion message is computed again.
    assert 200 < second["usage"]["cached_tokens"] < second["usage"]["prompt_tokens"]


def test_regenerate_keeps_swipes_and_messages_can_be_edited_or_deleted(
    api: httpx.Client, companion_db: Database
) -> None:
    mira = make_character(api)
    session = make_session(api, mira["id"])
    sid = session["id"]
    turn = send(api, sid, "Tell me about the sea.")
    reply_id = turn["message"]["id"]
    again = ok(
        api.post(
            f"/sessions/{sid}/messages/{reply_id}/regenerate",
            json={**SMALL, "temperature": 1.0, "seed": 99},
        )
    )
    assert again["user_message"] is None and again["memory_operations"] is None
    swiped = again["message"]
    assert swiped["id"] == reply_id and len(swiped["swipes"]) == 2 and swiped["active_swipe"] == 1
    assert swiped["swipes"][0]["content"] == turn["message"]["content"]
    assert swiped["content"] == swiped["swipes"][1]["content"]
    assert swiped["emotion"] == swiped["swipes"][1]["emotion"]

    shown = ok(api.patch(f"/sessions/{sid}/messages/{reply_id}", json={"active_swipe": 0}))
    assert shown["content"] == turn["message"]["content"] and shown["edited_at"] is None
    edited = ok(
        api.patch(f"/sessions/{sid}/messages/{reply_id}", json={"content": "The sea is vast."})
    )
    assert edited["content"] == "The sea is vast." and edited["edited_at"] is not None
    assert edited["swipes"][0]["content"] == "The sea is vast." and len(edited["swipes"]) == 2
    assert 0 < edited["token_count"] < 10

    user_id = turn["user_message"]["id"]
    not_newest = api.post(f"/sessions/{sid}/messages/{user_id}/regenerate", json=SMALL)
    assert error_of(not_newest, 400)["param"] == "message_id"
    greeting_id = session["messages"][0]["id"]
    bad_swipe = api.patch(f"/sessions/{sid}/messages/{greeting_id}", json={"active_swipe": 9})
    assert error_of(bad_swipe, 400)["param"] == "active_swipe"
    before = message_count(companion_db, sid)
    assert ok(api.delete(f"/sessions/{sid}/messages/{reply_id}"))["deleted"] is True
    assert message_count(companion_db, sid) == before - 1
    gone = api.patch(f"/sessions/{sid}/messages/{reply_id}", json={"content": "x"})
    assert error_of(gone, 404)["code"] == "message_not_found"


def test_bad_turn_input_is_rejected_and_stores_nothing(
    api: httpx.Client, companion_db: Database
) -> None:
    mira = make_character(api)
    session = make_session(api, mira["id"])
    sid = session["id"]
    url = f"/sessions/{sid}/messages"
    assert error_of(api.post(url, json={"content": "   "}), 400)["param"] == "content"
    too_long = api.post(url, json={"content": "hi", "max_tokens": 5000})
    assert error_of(too_long, 400)["param"] == "max_tokens"
    assert error_of(api.post(url, json={"content": "hi", "temperature": 7}), 400)["param"] == (
        "temperature"
    )
    assert error_of(api.post(url, json={"content": "hi", "bogus": 1}), 400)["param"] == "bogus"
    wrong_user = api.post(url, json={"content": "hi", "user": "mallory"})
    assert error_of(wrong_user, 404)["code"] == "session_not_found"
    unknown = api.post("/sessions/ses_nothing/messages", json={"content": "hi"})
    assert error_of(unknown, 404)["code"] == "session_not_found"
    assert message_count(companion_db, sid) == 1
    assert ok(api.get(f"/sessions/{sid}"))["messages"] == session["messages"]


def test_a_client_leaving_mid_stream_stops_generation_and_stores_nothing(
    api: httpx.Client, companion_db: Database
) -> None:
    mira = make_character(api)
    session = make_session(api, mira["id"])
    body = {"content": "Tell me a long story.", "stream": True, "max_tokens": 200}
    with api.stream("POST", f"/sessions/{session['id']}/messages", json=body) as response:
        request_id = response.headers["x-request-id"]
        for event in sse_events(response):
            if isinstance(event, dict) and event["type"] == "delta":
                break
    (row,) = ledger_rows(companion_db, request_id, 1)
    assert row.aborted and row.completion_tokens < 200
    assert message_count(companion_db, session["id"]) == 1


# --- memory, emotion, voice, groups ---------------------------------------------------------


def memories(api: httpx.Client, user: str, character_id: str | None) -> dict[str, Any]:
    params = {"user": user, **({"character_id": character_id} if character_id else {})}
    return ok(api.get("/memories", params=params))


def test_memories_are_extracted_listed_corrected_and_really_deleted(
    api: httpx.Client, companion_db: Database
) -> None:
    mira = make_character(api, model=REMOTE_MODEL)
    session = make_session(api, mira["id"])
    turn = send(api, session["id"], "My name is Ann. I have a dog named Rex and I love jazz.")
    added = [op for op in turn["memory_operations"] if op["event"] == "ADD"]
    assert {op["subject"] for op in added} >= {"user.name", "user.pet.dog", "user.likes"}

    listed = memories(api, "alice", mira["id"])
    by_subject = {m["subject"]: m for m in listed["data"]}
    assert by_subject["user.pet.dog"]["value"] == "Rex"
    assert by_subject["user.name"]["user"] == "alice" and "user_id" not in by_subject["user.name"]
    assert listed["summary"]["exchanges"] == 1 and "jazz" in listed["summary"]["text"]
    shown = [listed["summary"]["text"], *(m["text"] for m in listed["data"])]
    assert not any("{{" in text for text in shown), shown
    assert mira["name"] in listed["summary"]["text"]

    dog = by_subject["user.pet.dog"]
    correction = api.patch(
        f"/memories/{dog['id']}",
        params={"user": "alice"},
        json={"text": "The user has a dog named Rexy.", "value": "Rexy"},
    )
    corrected = ok(correction)
    assert corrected["value"] == "Rexy" and corrected["source"] == "user"
    (embedding,) = ledger_rows(companion_db, correction.headers["x-request-id"], 1)
    assert (embedding.endpoint, embedding.model) == ("companion.memory", EMBEDDING_MODEL)
    assert embedding.prompt_tokens > 0 and embedding.status == 200
    assert corrected["history"][-1]["value"] == "Rex"
    assert corrected["operation"]["event"] == "UPDATE"

    # The correction is what the character now recalls.
    reply = send(api, session["id"], "Do you remember my dog?")
    assert reply["message"]["content"].startswith("echo:")
    listed = memories(api, "alice", mira["id"])
    assert {m["value"] for m in listed["data"]} >= {"Rexy", "Ann"}

    jazz = next(m for m in listed["data"] if m["subject"] == "user.likes")
    assert ok(api.delete(f"/memories/{jazz['id']}", params={"user": "alice"}))["deleted"]
    with companion_db.session() as db_session:
        assert db_session.get(MemoryRow, jazz["id"]) is None
    again = api.delete(f"/memories/{jazz['id']}", params={"user": "alice"})
    assert error_of(again, 404)["code"] == "memory_not_found"
    bad = api.patch(f"/memories/{dog['id']}", params={"user": "alice"}, json={"text": " "})
    assert error_of(bad, 400)["param"] == "text"

    forgotten = ok(api.delete("/memories", params={"user": "alice", "character_id": mira["id"]}))
    assert forgotten["deleted"] == len(listed["data"]) - 1
    assert memories(api, "alice", mira["id"]) == {
        "object": "list",
        "data": [],
        "has_more": False,
        "first_id": None,
        "last_id": None,
        "summary": None,
    }
    with companion_db.session() as db_session:
        left = db_session.scalar(select(func.count()).where(MemoryRow.character_id == mira["id"]))
    assert left == 0


def test_emotion_follows_the_exchange_and_decays_to_the_temperament(api: httpx.Client) -> None:
    mira = make_character(
        api, model=REMOTE_MODEL, temperament={"valence": 0.3, "reactivity": 0.8, "decay_rate": 0.5}
    )
    session = make_session(api, mira["id"])
    resting = session["emotions"][mira["id"]]
    assert resting["valence"] == 0.3
    hurt = send(api, session["id"], "I hate you! You are awful, stupid and cruel!")
    angry = hurt["message"]["emotion"]
    assert angry["valence"] < 0 < resting["valence"]
    assert angry["emotion"] in ("angry", "sad", "disgusted")
    calm = [send(api, session["id"], text)["message"]["emotion"] for text in ("Okay.", "Hm.")]
    assert angry["valence"] < calm[0]["valence"] < calm[1]["valence"] <= resting["valence"]
    stored = ok(api.get(f"/sessions/{session['id']}"))
    assert [m["emotion"] for m in stored["messages"] if m["role"] == "assistant"][1:] == [
        angry,
        *calm,
    ]
    assert stored["emotions"][mira["id"]] == calm[-1]


def test_replies_can_come_back_as_speech_in_the_characters_voice(
    api: httpx.Client, companion_db: Database
) -> None:
    mira = make_character(api, model=REMOTE_MODEL, voice={"voice_id": "reef-joe-bright"})
    session = make_session(api, mira["id"])
    response = api.post(
        f"/sessions/{session['id']}/messages",
        json={"content": "Sing me a song!", "audio": True, "audio_format": "wav"},
    )
    turn = ok(response)
    audio = turn["audio"]
    assert audio["format"] == "wav" and audio["encoding"] == "base64"
    assert audio["voice_id"] == "reef-joe-bright" and audio["duration_ms"] > 200
    assert audio["emotion"] == turn["message"]["emotion"]
    assert base64.b64decode(audio["data"])[:4] == b"RIFF"
    rows = ledger_rows(companion_db, response.headers["x-request-id"], 2)
    speech = next(r for r in rows if r.endpoint == "companion.speech")
    assert speech.characters == len(turn["message"]["content"]) and speech.model == "reef-tts"
    assert speech.cost_nano_usd > 0

    hex_turn = send(api, session["id"], "Again!", audio=True, audio_encoding="hex")
    assert bytes.fromhex(hex_turn["audio"]["data"])[:3] in (b"ID3", b"\xff\xfb", b"\xff\xf3")


def test_group_chat_picks_the_speaker_and_keeps_each_persona(api: httpx.Client) -> None:
    alice = make_character(api, "Alice", model=REMOTE_MODEL, first_mes="Hi, I'm Alice.")
    bob = make_character(api, "Bob", model=REMOTE_MODEL, first_mes="Bob here.")
    session = ok(
        api.post(
            "/sessions",
            json={
                "user": "alice",
                "character_ids": [alice["id"], bob["id"]],
                "speaker_strategy": "mention",
                "model": REMOTE_MODEL,
            },
        )
    )
    assert session["group"] is True
    assert [m["name"] for m in session["messages"]] == ["Alice", "Bob"]
    assert set(session["emotions"]) == {alice["id"], bob["id"]}

    to_bob = send(api, session["id"], "Bob, what do you think?")
    assert to_bob["message"]["character_id"] == bob["id"] and to_bob["message"]["name"] == "Bob"
    next_one = send(api, session["id"], "", max_tokens=8)
    assert next_one["user_message"] is None
    assert next_one["message"]["character_id"] == alice["id"]
    forced = send(api, session["id"], "Anyone?", character_id=bob["id"])
    assert forced["message"]["character_id"] == bob["id"]
    outsider = make_character(api, "Zed")
    bad = api.post(
        f"/sessions/{session['id']}/messages",
        json={"content": "hi", "character_id": outsider["id"]},
    )
    assert error_of(bad, 400)["param"] == "character_id"

    # Deleting a member keeps the group going with the others.
    ok(api.delete(f"/characters/{bob['id']}"))
    after = ok(api.get(f"/sessions/{session['id']}"))
    assert after["character_ids"] == [alice["id"]]
    assert send(api, session["id"], "Still there?")["message"]["character_id"] == alice["id"]


def test_deleting_a_character_deletes_its_chats_and_memories(
    api: httpx.Client, companion_db: Database
) -> None:
    mira = make_character(api, model=REMOTE_MODEL)
    session = make_session(api, mira["id"])
    send(api, session["id"], "My name is Ann.")
    assert memories(api, "alice", mira["id"])["data"]
    ok(api.delete(f"/characters/{mira['id']}"))
    assert error_of(api.get(f"/sessions/{session['id']}"), 404)["code"] == "session_not_found"
    assert message_count(companion_db, session["id"]) == 0
    with companion_db.session() as db_session:
        left = db_session.scalar(select(func.count()).where(MemoryRow.character_id == mira["id"]))
    assert left == 0


# --- isolation ------------------------------------------------------------------------------


def test_organisations_never_see_each_others_characters_sessions_or_memories(
    api: httpx.Client, other_api: httpx.Client, companion_db: Database
) -> None:
    mira = make_character(api, model=REMOTE_MODEL, visibility="public")
    session = make_session(api, mira["id"])
    turn = send(api, session["id"], "My name is Ann and I live in Paris.")
    memory_id = memories(api, "alice", mira["id"])["data"][0]["id"]
    cid, sid, mid = mira["id"], session["id"], turn["message"]["id"]

    assert ok(other_api.get("/characters"))["data"] == []
    assert ok(other_api.get("/gallery"))["data"] == []
    assert ok(other_api.get("/sessions", params={"user": "alice"}))["data"] == []
    assert ok(other_api.get("/sessions"))["data"] == []
    assert memories(other_api, "alice", None)["data"] == []
    not_found = [
        other_api.get(f"/characters/{cid}"),
        other_api.patch(f"/characters/{cid}", json={"name": "Stolen"}),
        other_api.delete(f"/characters/{cid}"),
        other_api.get(f"/characters/{cid}/export"),
        other_api.post("/sessions", json={"user": "alice", "character_id": cid}),
        other_api.get(f"/sessions/{sid}"),
        other_api.delete(f"/sessions/{sid}"),
        other_api.post(f"/sessions/{sid}/messages", json={"content": "hi"}),
        other_api.post(f"/sessions/{sid}/messages/{mid}/regenerate", json={}),
        other_api.patch(f"/sessions/{sid}/messages/{mid}", json={"content": "x"}),
        other_api.delete(f"/sessions/{sid}/messages/{mid}"),
        other_api.get("/memories", params={"user": "alice", "character_id": cid}),
        other_api.patch(f"/memories/{memory_id}", params={"user": "alice"}, json={"text": "x"}),
        other_api.delete(f"/memories/{memory_id}", params={"user": "alice"}),
        other_api.delete("/memories", params={"user": "alice", "character_id": cid}),
    ]
    for response in not_found:
        error = error_of(response, 404)
        assert cid not in error["message"] or "No character" in error["message"]
        assert "Ann" not in response.text and "Paris" not in response.text

    # Nothing changed on the owner's side.
    assert ok(api.get(f"/characters/{cid}")) == mira
    assert len(ok(api.get(f"/sessions/{sid}"))["messages"]) == 3
    assert memory_id in [m["id"] for m in memories(api, "alice", cid)["data"]]


def test_end_users_of_one_organisation_are_kept_apart(api: httpx.Client) -> None:
    private = make_character(api, "Secret", model=REMOTE_MODEL, user="alice")
    public = make_character(api, "Open", model=REMOTE_MODEL, user="alice", visibility="public")
    house = make_character(api, "House", model=REMOTE_MODEL)
    alice_chat = make_session(api, house["id"], user="alice")
    send(api, alice_chat["id"], "My name is Ann.")

    assert error_of(api.get(f"/characters/{private['id']}", params={"user": "bob"}), 404)
    assert ok(api.get(f"/characters/{public['id']}", params={"user": "bob"}))["id"]
    bob_edit = api.patch(f"/characters/{public['id']}", json={"user": "bob", "name": "Mine"})
    assert error_of(bob_edit, 403)["param"] == "user"
    no_session = api.post("/sessions", json={"user": "bob", "character_id": private["id"]})
    assert error_of(no_session, 404)["code"] == "character_not_found"

    bob_chat = make_session(api, house["id"], user="bob")
    assert ok(api.get("/sessions", params={"user": "bob"}))["data"][0]["id"] == bob_chat["id"]
    assert len(ok(api.get("/sessions", params={"user": "bob"}))["data"]) == 1
    assert error_of(api.get(f"/sessions/{alice_chat['id']}", params={"user": "bob"}), 404)
    assert memories(api, "bob", house["id"])["data"] == []
    alice_memory = memories(api, "alice", house["id"])["data"][0]["id"]
    stolen = api.delete(f"/memories/{alice_memory}", params={"user": "bob"})
    assert error_of(stolen, 404)["code"] == "memory_not_found"
    send(api, bob_chat["id"], "Hello there.")
    assert [m["value"] for m in memories(api, "alice", house["id"])["data"]] == ["Ann"]
    assert memories(api, "bob", house["id"])["data"] == []


def test_erasing_an_end_user_removes_their_chats_memories_and_characters(
    api: httpx.Client, companion_db: Database
) -> None:
    house = make_character(api, "House", model=REMOTE_MODEL)
    own = make_character(api, "Own", model=REMOTE_MODEL, user="alice")
    session = make_session(api, house["id"])
    send(api, session["id"], "My name is Ann.")
    bobs = make_session(api, house["id"], user="bob")
    assert ok(api.delete("/users/alice"))["deleted"] is True
    assert error_of(api.get(f"/sessions/{session['id']}"), 404)
    assert error_of(api.get(f"/characters/{own['id']}"), 404)
    assert memories(api, "alice", house["id"])["data"] == []
    with companion_db.session() as db_session:
        left = db_session.scalar(select(func.count()).where(MemoryRow.character_id == house["id"]))
    assert left == 0
    assert ok(api.get(f"/sessions/{bobs['id']}"))["user"] == "bob"
    assert error_of(api.delete("/users/alice"), 404)["code"] == "user_not_found"


def test_turns_are_admitted_like_chat_requests(
    companion_server: InProcessServer, companion_db: Database
) -> None:
    org = accounts.create_org(companion_db, f"limited-{uuid.uuid4().hex[:8]}")
    raw, _ = keys.create_key(companion_db, org.id, rpm=1, allowed_models=[REMOTE_MODEL])
    with client(companion_server.base_url, raw) as limited:
        echo = make_character(limited, "Echo", model=REMOTE_MODEL)
        local = make_character(limited, "Local")
        denied = make_session(limited, local["id"])
        refused = limited.post(f"/sessions/{denied['id']}/messages", json={"content": "hi"})
        assert error_of(refused, 403)["code"] == "model_not_allowed"
        session = make_session(limited, echo["id"])
        spoken = limited.post(
            f"/sessions/{session['id']}/messages", json={"content": "hi", "audio": True}
        )
        assert "reef-tts" in error_of(spoken, 403)["message"]
        send(limited, session["id"], "hello")
        again = limited.post(f"/sessions/{session['id']}/messages", json={"content": "again"})
        assert error_of(again, 429)["code"] == "rate_limit_exceeded"
        assert len(ok(limited.get(f"/sessions/{session['id']}"))["messages"]) == 3
    assert message_count(companion_db, denied["id"]) == 1

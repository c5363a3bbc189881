"""Prompt inspection over real HTTP: real turns on the embedded SmolLM2 with a card whose
lorebook has entries that must and must not fire, memories written by one turn and recalled by
the next, every swipe keeping its own inspection, and no way in from another organisation or
end user."""

from __future__ import annotations

from typing import Any

import httpx

from tests.support.catalogue import CHAT_MODEL
from tests.support.inprocess import error_of, ok, sse_events

SMALL = {"max_tokens": 8, "temperature": 0.0, "seed": 7}
SECTIONS = [
    "system",
    "lore",
    "examples",
    "memories",
    "mood",
    "history",
    "post_history",
    "formatting",
]


def entry(entry_id: int, comment: str, keys: list[str], content: str, **more: Any) -> dict:
    return {
        "id": entry_id,
        "comment": comment,
        "keys": keys,
        "content": content,
        "enabled": True,
        "insertion_order": entry_id,
        **more,
    }


LOREBOOK = {
    "name": "Isle",
    "scan_depth": 1,  # only the newest message: what fires depends on this turn alone
    "entries": [
        entry(1, "Lighthouse", ["lighthouse"], "The lighthouse was built in 1820."),
        entry(2, "Storms", ["storm", "tempest"], "Winter storms cut the isle off for days."),
        entry(3, "Pebble", [], "{{char}}'s cat is called Pebble.", constant=True),
        entry(4, "Dragons", ["dragon"], "Dragons nest on the northern cliffs."),
        entry(5, "Old lamp", ["lighthouse"], "The old lamp burned whale oil.", enabled=False),
        entry(
            6,
            "Harbour",
            ["harbour"],
            "The harbour freezes in January.",
            selective=True,
            secondary_keys=["winter"],
        ),
        entry(7, "Keeper", ["keeper"], "Keepers write in the logbook.", position="after_char"),
    ],
}


WORLD_BOOK = {  # a SillyTavern world info file, attached to the character
    "entries": {
        "0": {
            "uid": 0,
            "key": ["gulls"],
            "keysecondary": [],
            "comment": "Gulls",
            "content": "Gulls steal the keeper's fish.",
            "constant": False,
            "selective": False,
            "order": 50,
            "position": 1,
            "disable": False,
        }
    }
}


def lore_character(api: httpx.Client) -> dict[str, Any]:
    card = {
        "spec": "chara_card_v2",
        "spec_version": "2.0",
        "data": {
            "name": "Mira",
            "description": "{{char}} keeps the lighthouse on a small isle.",
            "personality": "warm, curious",
            "first_mes": "Hello {{user}}, welcome to the isle.",
            "mes_example": "<START>\n{{user}}: Hi\n{{char}}: Hello there!",
            "post_history_instructions": "Stay in character.",
            "character_book": LOREBOOK,
        },
    }
    character = ok(api.post("/characters", json={"card": card, "model": CHAT_MODEL}))
    book = ok(api.post("/worldbooks", json=WORLD_BOOK, params={"name": "Coast"}))
    ids = {"worldbook_ids": [book["id"]]}
    return ok(api.put(f"/characters/{character['id']}/worldbooks", json=ids))


def fired(inspection: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {hit["comment"]: hit for hit in inspection["lore"]}


def check_tokens(inspection: dict[str, Any], usage: dict[str, Any]) -> dict[str, int]:
    sections = {s["name"]: s["tokens"] for s in inspection["sections"]}
    assert list(sections) == SECTIONS
    assert inspection["prompt_tokens"] == usage["prompt_tokens"]
    assert inspection["cached_tokens"] == usage["cached_tokens"]
    assert inspection["completion_tokens"] == usage["completion_tokens"]
    assert inspection["model"] == CHAT_MODEL
    assert sections["lore"] == sum(hit["tokens"] for hit in inspection["lore"])
    for name in ("system", "examples", "mood", "history", "post_history", "formatting"):
        assert sections[name] > 0, (name, sections)
    # Every token of the prompt is in exactly one section.
    assert sum(sections.values()) == usage["prompt_tokens"]
    assert inspection["estimated_prompt_tokens"] > 0
    return sections


def test_each_reply_records_the_lore_memories_and_tokens_of_its_prompt(
    api: httpx.Client, other_api: httpx.Client
) -> None:
    mira = lore_character(api)
    session = ok(
        api.post(
            "/sessions", json={"user": "ines", "user_name": "Ines", "character_id": mira["id"]}
        )
    )
    sid = session["id"]

    # Turn 1: the lighthouse and the keeper are named; nothing is remembered yet.
    first = ok(
        api.post(
            f"/sessions/{sid}/messages",
            json={
                "content": "My name is Ines and I have a dog named Rex. "
                "Is the keeper of the Lighthouse in?",
                "inspect": True,
                **SMALL,
            },
        )
    )
    inspection = first["inspection"]
    assert inspection["object"] == "companion.inspection"
    assert (inspection["session_id"], inspection["message_id"]) == (sid, first["message"]["id"])
    assert inspection["swipe"] == 0 and inspection["character_id"] == mira["id"]
    hits = fired(inspection)
    assert set(hits) == {"Lighthouse", "Pebble", "Keeper"}
    assert hits["Lighthouse"]["matched_keys"] == ["lighthouse"]
    assert hits["Lighthouse"]["trigger"] == "key" and hits["Lighthouse"]["entry_id"] == 1
    assert hits["Lighthouse"]["position"] == "before_char"
    assert hits["Pebble"]["trigger"] == "constant" and hits["Pebble"]["matched_keys"] == []
    assert hits["Keeper"]["position"] == "after_char"
    assert [hit["entry_id"] for hit in inspection["lore"]] == [1, 3, 7]  # insertion order
    assert all(hit["tokens"] > 0 for hit in inspection["lore"])
    assert inspection["lore_left_out"] == [] and inspection["memories"] == []
    assert inspection["summary"] is None
    sections = check_tokens(inspection, first["usage"])
    assert sections["memories"] == 0
    remembered = {op["memory_id"] for op in first["memory_operations"] if op["event"] == "ADD"}
    assert len(remembered) >= 2

    # The message views say an inspection exists, but do not carry it.
    reply = first["message"]
    assert reply["swipes"][0]["has_inspection"] is True
    assert "inspection" not in reply["swipes"][0]
    assert first["user_message"]["swipes"][0]["has_inspection"] is False

    # A streamed turn: the storm entry fires on its second key, memories are recalled.
    body = {
        "content": "A tempest is coming. Will Rex be safe from the gulls?",
        "stream": True,
        "inspect": True,
    }
    with api.stream("POST", f"/sessions/{sid}/messages", json={**body, **SMALL}) as response:
        events = [e for e in sse_events(response) if isinstance(e, dict)]
    done = events[-1]
    assert done["type"] == "turn.done", events
    streamed = done["inspection"]
    hits = fired(streamed)
    assert set(hits) == {"Storms", "Pebble", "Gulls"}
    assert hits["Storms"]["matched_keys"] == ["tempest"]
    assert hits["Gulls"]["matched_keys"] == ["gulls"]  # from the attached world book
    assert hits["Gulls"]["position"] == "after_char"
    recalled = {memory["id"]: memory for memory in streamed["memories"]}
    assert set(recalled) <= remembered
    dog = next(memory for memory in recalled.values() if "Rex" in memory["text"])
    assert dog["text"] == "Ines has a dog named Rex." and not dog["pinned"]
    assert dog["score"] >= dog["entity"] > 0
    name = next(memory for memory in recalled.values() if memory["pinned"])
    assert "Ines" in name["text"]
    assert streamed["summary"] and "Ines" in streamed["summary"] and "{{" not in streamed["summary"]
    sections = check_tokens(streamed, done["usage"])
    assert sections["memories"] > 0
    # The persona before the per-turn memories came from the engine's cache.
    assert 0 < streamed["cached_tokens"] < streamed["prompt_tokens"]

    # The same inspection is kept with the reply, and every swipe keeps its own.
    reply_id = done["message"]["id"]
    path = f"/sessions/{sid}/messages/{reply_id}/inspection"
    assert ok(api.get(path)) == streamed
    again = ok(
        api.post(f"/sessions/{sid}/messages/{reply_id}/regenerate", json={**SMALL, "seed": 8})
    )
    assert "inspection" not in again
    assert [s["has_inspection"] for s in again["message"]["swipes"]] == [True, True]
    second = ok(api.get(path))
    assert second["swipe"] == 1 and set(fired(second)) == {"Storms", "Pebble", "Gulls"}
    assert ok(api.get(path, params={"swipe": 0})) == streamed
    assert ok(api.get(path, params={"user": "ines", "swipe": 1})) == second
    earlier = ok(api.get(f"/sessions/{sid}/messages/{first['message']['id']}/inspection"))
    assert earlier == inspection

    # Editing the reply's text keeps what its prompt was.
    edited = api.patch(f"/sessions/{sid}/messages/{reply_id}", json={"content": "Edited."})
    assert ok(edited)["swipes"][1]["has_inspection"] is True
    assert ok(api.get(path)) == second

    # What has no inspection, and who may not see one.
    greeting_id = session["messages"][0]["id"]
    no_prompt = api.get(f"/sessions/{sid}/messages/{greeting_id}/inspection")
    assert error_of(no_prompt, 404)["code"] == "inspection_not_found"
    user_message = api.get(f"/sessions/{sid}/messages/{first['user_message']['id']}/inspection")
    assert error_of(user_message, 404)["code"] == "inspection_not_found"
    out_of_range = error_of(api.get(path, params={"swipe": 2}), 400)
    assert (out_of_range["code"], out_of_range["param"]) == ("swipe_out_of_range", "swipe")
    missing = api.get(f"/sessions/{sid}/messages/msg_missing/inspection")
    assert error_of(missing, 404)["code"] == "message_not_found"
    other_user = api.get(path, params={"user": "someone-else"})
    assert error_of(other_user, 404)["code"] == "session_not_found"
    foreign = other_api.get(path)
    assert error_of(foreign, 404)["code"] == "session_not_found"
    assert "Rex" not in foreign.text and "Ines" not in foreign.text

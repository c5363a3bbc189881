"""Every companion error carries a specific `code`, and one situation answers one code
whichever route or verb meets it: walked over real HTTP, and checked in the source so a new
error cannot be raised without one."""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path
from typing import Any

import httpx

from reef.companion import errors
from tests.support.catalogue import REMOTE_MODEL
from tests.support.inprocess import error_of, ok

COMPANION_SOURCE = Path(errors.__file__).parent
# Raised without `code=` these would answer null (or NotFound's "model_not_found").
NEEDS_A_CODE = {"ReefError", "InvalidRequest", "NotFound", "PermissionDenied"}
SMALL = {"max_tokens": 8, "temperature": 0.0}


def test_every_companion_error_is_raised_with_a_code() -> None:
    missing = []
    for path in sorted(COMPANION_SOURCE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
            if name in NEEDS_A_CODE and not any(k.arg == "code" for k in node.keywords):
                missing.append(f"{path.relative_to(COMPANION_SOURCE)}:{node.lineno} {name}")
    assert missing == []


def test_each_situation_answers_one_code_on_every_verb(
    api: httpx.Client, other_api: httpx.Client
) -> None:
    # What exists: alice's public character, her chat with it, a reply and a memory.
    mira = ok(
        api.post(
            "/characters",
            json={
                "name": "Mira",
                "first_mes": "Hello {{user}}!",
                "model": REMOTE_MODEL,
                "user": "alice",
                "visibility": "public",
            },
        )
    )
    cid = mira["id"]
    session = ok(api.post("/sessions", json={"user": "alice", "character_id": cid}))
    sid, greeting = session["id"], session["messages"][0]["id"]
    turn = ok(api.post(f"/sessions/{sid}/messages", json={"content": "I love jazz.", **SMALL}))
    mid = turn["message"]["id"]
    asked = turn["user_message"]["id"]
    (memory,) = ok(api.get("/memories", params={"user": "alice", "character_id": cid}))["data"]
    memory_id = memory["id"]
    alice = {"user": "alice"}
    too_long = "x" * 16001

    situations: dict[str, list[tuple[httpx.Response, int]]] = {
        "character_not_found": [
            (client.request(method, path, **options), 404)
            for client, character in ((api, "chr_missing"), (other_api, cid))
            for method, path, options in [
                ("GET", f"/characters/{character}", {}),
                ("PATCH", f"/characters/{character}", {"json": {"name": "X"}}),
                ("DELETE", f"/characters/{character}", {}),
                ("GET", f"/characters/{character}/export", {}),
                ("PUT", f"/characters/{character}/worldbooks", {"json": {"worldbook_ids": []}}),
                ("POST", "/sessions", {"json": {"user": "alice", "character_id": character}}),
                ("GET", "/memories", {"params": {**alice, "character_id": character}}),
                ("DELETE", "/memories", {"params": {**alice, "character_id": character}}),
                ("GET", f"/memories/{memory_id}", {"params": {**alice, "character_id": character}}),
                (
                    "PATCH",
                    f"/memories/{memory_id}",
                    {"params": {**alice, "character_id": character}, "json": {"text": "x"}},
                ),
                (
                    "DELETE",
                    f"/memories/{memory_id}",
                    {"params": {**alice, "character_id": character}},
                ),
            ]
        ],
        "session_not_found": [
            (client.request(method, path, **options), 404)
            for client, session_id, user in (
                (other_api, sid, None),  # another organisation's
                (api, sid, "bob"),  # another end user's
                (api, "ses_missing", None),
            )
            for method, path, options in _session_routes(session_id, mid, user)
        ],
        "message_not_found": [
            (api.patch(f"/sessions/{sid}/messages/msg_x", json={"content": "x"}), 404),
            (api.delete(f"/sessions/{sid}/messages/msg_x"), 404),
            (api.post(f"/sessions/{sid}/messages/msg_x/regenerate", json={}), 404),
            (api.get(f"/sessions/{sid}/messages/msg_x/inspection"), 404),
        ],
        "memory_not_found": [
            (client.request(method, f"/memories/{memory}", **options), 404)
            for client, memory, user in (
                (other_api, memory_id, "alice"),
                (api, memory_id, "bob"),
                (api, "mem_missing", "alice"),
            )
            for method, options in [
                ("GET", {"params": {"user": user}}),
                ("PATCH", {"params": {"user": user}, "json": {"text": "x"}}),
                ("DELETE", {"params": {"user": user}}),
            ]
        ],
        "user_not_found": [(api.delete("/users/nobody"), 404)],
        "worldbook_not_found": [
            (api.get("/worldbooks/wb_missing"), 404),
            (api.get("/worldbooks/wb_missing/export"), 404),
            (api.delete("/worldbooks/wb_missing"), 404),
            (api.put(f"/characters/{cid}/worldbooks", json={"worldbook_ids": ["wb_missing"]}), 404),
        ],
        "not_character_owner": [
            (api.patch(f"/characters/{cid}", json={"name": "X", "user": "bob"}), 403),
            (api.delete(f"/characters/{cid}", params={"user": "bob"}), 403),
        ],
        "invalid_card": [
            (api.post("/characters/import", content=b'{"spec": "chara_card_v9"}'), 400),
            (api.post("/characters", json={"card": {"spec": "chara_card_v9"}}), 400),
            (api.patch(f"/characters/{cid}", json={"card": {"spec": "chara_card_v9"}}), 400),
            (api.post("/characters/import", content=b"\x00\x01 not a card"), 400),
            (api.post("/characters/import", content=b'{"spec": "chara_card_v2", "data": {'), 400),
            (api.post("/characters/import", content=b"\x89PNG\r\n\x1a\n" + b"\x00" * 20), 400),
        ],
        "invalid_upload": [
            (api.post("/characters/import", content=b""), 400),
            (api.post("/characters/import", files={"other": ("a.json", b"{}", "text/plain")}), 400),
        ],
        "missing_required_parameter": [
            (api.post("/characters", json={"description": "no name"}), 400),
            (api.post("/sessions", json={"user": "alice"}), 400),
            (api.patch(f"/sessions/{sid}/messages/{mid}", json={}), 400),
        ],
        "swipe_out_of_range": [
            (api.patch(f"/sessions/{sid}/messages/{mid}", json={"active_swipe": 9}), 400),
            (api.get(f"/sessions/{sid}/messages/{mid}/inspection", params={"swipe": 9}), 400),
        ],
        "message_too_long": [
            (api.post(f"/sessions/{sid}/messages", json={"content": too_long}), 400),
            (api.patch(f"/sessions/{sid}/messages/{mid}", json={"content": too_long}), 400),
        ],
        "not_newest_message": [
            (api.post(f"/sessions/{sid}/messages/{greeting}/regenerate", json={}), 400),
            (api.post(f"/sessions/{sid}/messages/{asked}/regenerate", json={}), 400),
        ],
        "inspection_not_found": [
            (api.get(f"/sessions/{sid}/messages/{greeting}/inspection"), 404),
            (api.get(f"/sessions/{sid}/messages/{asked}/inspection"), 404),
        ],
        "greeting_out_of_range": [
            (api.post("/sessions", json={**alice, "character_id": cid, "greeting_index": 9}), 400)
        ],
        "duplicate_character": [
            (api.post("/sessions", json={**alice, "character_ids": [cid, cid]}), 400)
        ],
        "character_not_in_session": [
            (
                api.post(f"/sessions/{sid}/messages", json={"content": "hi", "character_id": "c"}),
                400,
            )
        ],
        "empty_message": [(api.post(f"/sessions/{sid}/messages", json={"content": "  "}), 400)],
        "memory_too_long": [
            (api.patch(f"/memories/{memory_id}", params=alice, json={"text": "y" * 201}), 400)
        ],
    }
    fresh = ok(api.post("/sessions", json={"user": "alice", "character_id": cid}))
    only_greeting = fresh["messages"][0]["id"]
    situations["not_a_generated_reply"] = [
        (api.post(f"/sessions/{fresh['id']}/messages/{only_greeting}/regenerate", json={}), 400)
    ]

    answered: dict[str, set[str]] = defaultdict(set)
    for situation, responses in situations.items():
        for response, status in responses:
            error = error_of(response, status)
            assert error["code"], (situation, response.request.method, response.request.url)
            answered[situation].add(error["code"])
    assert {situation: codes for situation, codes in answered.items() if len(codes) > 1} == {}
    assert {situation: codes.pop() for situation, codes in answered.items()} == {
        situation: situation for situation in situations
    }

    # Nothing of it changed anything.
    assert ok(api.get(f"/characters/{cid}")) == mira
    assert len(ok(api.get(f"/sessions/{sid}"))["messages"]) == 3
    assert ok(api.get(f"/memories/{memory_id}", params=alice))["text"] == memory["text"]


def _session_routes(
    session_id: str, message_id: str, user: str | None
) -> list[tuple[str, str, dict[str, Any]]]:
    """Every route under one session, as `user` (in the query, or the body where the route
    takes it there)."""
    query = {"params": {"user": user}} if user else {}
    body = {"user": user} if user else {}
    message = f"/sessions/{session_id}/messages/{message_id}"
    return [
        ("GET", f"/sessions/{session_id}", query),
        ("DELETE", f"/sessions/{session_id}", query),
        ("POST", f"/sessions/{session_id}/messages", {"json": {"content": "hi", **body}}),
        ("POST", f"{message}/regenerate", {"json": body}),
        ("PATCH", message, {"json": {"content": "x", **body}}),
        ("DELETE", message, query),
        ("GET", f"{message}/inspection", query),
    ]

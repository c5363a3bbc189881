"""World books over real HTTP: a SillyTavern world info file imported (raw or multipart),
listed, read, exported unchanged and deleted; attached to a character or named by its card's
`extensions.world`, its entries fire in a real turn's prompt (seen by the fake upstream the
remote model talks to); other organisations get 404 and change nothing; bad files get a 400
with a code and store nothing."""

from __future__ import annotations

import json
from typing import Any

import httpx

from reef.settings import CompanionSettings
from tests.companion.support import DATA
from tests.support.catalogue import REMOTE_MODEL
from tests.support.inprocess import error_of, ok
from tests.support.upstream import FakeUpstream

FILE = DATA / "worldbook_saltmere.json"
JSON = {"content-type": "application/json"}
SMALL = {"max_tokens": 8, "temperature": 0.0, "seed": 7}


def import_book(api: httpx.Client, raw: bytes | None = None, **params: Any) -> dict[str, Any]:
    body = FILE.read_bytes() if raw is None else raw
    return ok(api.post("/worldbooks", content=body, headers=JSON, params=params))


def prompt_of(upstream: FakeUpstream, user_text: str) -> list[dict[str, Any]]:
    """The messages of the newest upstream request whose last user message is `user_text`."""
    for request in reversed(upstream.requests):
        messages: list[dict[str, Any]] = request["body"]["messages"]
        users = [m["content"] for m in messages if m["role"] == "user"]
        if users and users[-1] == user_text:
            return messages
    raise AssertionError(f"no upstream request ended with {user_text!r}")


def turn(api: httpx.Client, session_id: str, text: str, upstream: FakeUpstream) -> str:
    ok(api.post(f"/sessions/{session_id}/messages", json={"content": text, **SMALL}))
    return "\n".join(m["content"] for m in prompt_of(upstream, text))


def test_import_export_round_trip_list_and_delete(api: httpx.Client) -> None:
    raw = FILE.read_bytes()
    first = import_book(api)
    assert first["object"] == "companion.worldbook" and first["name"] == "Saltmere Coast"
    assert first["entry_count"] == 8 and first["size_bytes"] > 0

    exported = api.get(f"/worldbooks/{first['id']}/export")
    assert exported.status_code == 200 and exported.headers["content-type"] == "application/json"
    assert 'filename="Saltmere Coast.json"' in exported.headers["content-disposition"]
    assert json.loads(exported.content) == json.loads(raw)
    detail = ok(api.get(f"/worldbooks/{first['id']}"))
    assert detail["data"] == json.loads(raw) and detail["name"] == first["name"]

    unnamed = json.loads(raw)
    del unnamed["name"]
    by_file = ok(
        api.post(
            "/worldbooks",
            files={"file": ("Harbour Lore.json", json.dumps(unnamed).encode(), "application/json")},
        )
    )
    assert by_file["name"] == "Harbour Lore"
    by_field = ok(
        api.post(
            "/worldbooks",
            files={"file": ("x.json", raw, "application/json")},
            data={"name": "Third"},
        )
    )
    assert by_field["name"] == "Third"
    reimported = api.get(f"/worldbooks/{by_field['id']}/export")
    assert json.loads(reimported.content) == json.loads(raw)

    page = ok(api.get("/worldbooks", params={"limit": 2}))
    assert [b["id"] for b in page["data"]] == [by_field["id"], by_file["id"]]
    assert page["has_more"] is True and "data" not in page["data"][0]
    rest = ok(api.get("/worldbooks", params={"limit": 2, "after": page["last_id"]}))
    assert [b["id"] for b in rest["data"]] == [first["id"]] and rest["has_more"] is False

    taken = api.post("/worldbooks", content=raw, headers=JSON)
    assert error_of(taken, 409)["code"] == "worldbook_name_taken"
    assert ok(api.delete(f"/worldbooks/{first['id']}"))["deleted"] is True
    assert error_of(api.get(f"/worldbooks/{first['id']}"), 404)["code"] == "worldbook_not_found"
    assert len(ok(api.get("/worldbooks"))["data"]) == 2


def test_attached_entries_fire_in_a_real_turns_prompt(
    api: httpx.Client, upstream: FakeUpstream
) -> None:
    book = import_book(api)
    character = {"name": "Mira", "description": "Mira keeps the harbour.", "model": REMOTE_MODEL}
    mira = ok(api.post("/characters", json=character))
    assert mira["lorebooks"] == []
    attached = ok(
        api.put(f"/characters/{mira['id']}/worldbooks", json={"worldbook_ids": [book["id"]]})
    )
    assert attached["lorebooks"] == [book["id"]]
    assert ok(api.get(f"/characters/{mira['id']}"))["lorebooks"] == [book["id"]]
    session = ok(api.post("/sessions", json={"user": "ann", "character_id": mira["id"]}))

    prompt = turn(api, session["id"], "Is the lighthouse lit tonight?", upstream)
    assert "Mira tends the Saltmere light" in prompt  # keyed entry, macros applied
    assert "every ship that hears the fog bell" in prompt  # constant entry
    assert "kraken" not in prompt and "Wren rows" not in prompt  # disabled / not keyed
    system = prompt_of(upstream, "Is the lighthouse lit tonight?")[0]["content"]
    # position 0 lands before the character's description, position 1 after it
    before, persona, after = (
        system.index("Mira tends the Saltmere light"),
        system.index("Mira keeps the harbour."),
        system.index("every ship that hears the fog bell"),
    )
    assert before < persona < after

    text = "A storm rolls in with the tide."
    turn(api, session["id"], text, upstream)
    messages = prompt_of(upstream, text)
    assert "lights the second lamp" in messages[0]["content"]
    # position 4 (at depth 1): its own system message just before the newest message
    assert messages[-2] == {
        "role": "system",
        "content": "[Tide note: high water tonight comes an hour before midnight.]",
    }

    ok(api.put(f"/characters/{mira['id']}/worldbooks", json={"worldbook_ids": []}))
    prompt = turn(api, session["id"], "And the lighthouse now?", upstream)
    assert "Saltmere" not in prompt


def test_a_cards_extensions_world_names_its_world_book(
    api: httpx.Client, upstream: FakeUpstream
) -> None:
    card = ok(api.post("/characters/import", content=(DATA / "card_v2_rich.json").read_bytes()))
    assert card["card"]["data"]["extensions"]["world"] == "Glade Lore" and card["lorebooks"] == []
    lore = {
        "entries": {"0": {"uid": 0, "key": ["lantern"], "content": "LANTERN-LORE: it never dims."}}
    }
    import_book(api, json.dumps(lore).encode(), name="Glade Lore")
    session = ok(
        api.post(
            "/sessions", json={"user": "ann", "character_id": card["id"], "model": REMOTE_MODEL}
        )
    )
    prompt = turn(api, session["id"], "The lantern in the glade has old magic.", upstream)
    assert "LANTERN-LORE: it never dims." in prompt  # the named world book
    assert "The glade is hidden by old magic." in prompt  # the card's own book still fires


def test_a_world_book_sent_to_card_import_is_named_as_one(api: httpx.Client) -> None:
    raw = FILE.read_bytes()
    for response in (
        api.post("/characters/import", content=raw),
        api.post("/characters/import", files={"file": ("Saltmere.json", raw, "application/json")}),
    ):
        error = error_of(response, 400)
        assert error["code"] == "worldbook_not_card"
        assert "world book" in error["message"] and "/v1/companion/worldbooks" in error["message"]
    assert ok(api.get("/characters"))["data"] == []


def test_other_organisations_get_404_and_change_nothing(
    api: httpx.Client, other_api: httpx.Client
) -> None:
    book = import_book(api)
    mira = ok(api.post("/characters", json={"name": "Mira"}))
    ok(api.put(f"/characters/{mira['id']}/worldbooks", json={"worldbook_ids": [book["id"]]}))
    theirs = ok(other_api.post("/characters", json={"name": "Theirs"}))
    wid = book["id"]

    for response in (
        other_api.get(f"/worldbooks/{wid}"),
        other_api.get(f"/worldbooks/{wid}/export"),
        other_api.delete(f"/worldbooks/{wid}"),
        other_api.put(f"/characters/{theirs['id']}/worldbooks", json={"worldbook_ids": [wid]}),
    ):
        error = error_of(response, 404)
        assert error["code"] == "worldbook_not_found" and "Saltmere" not in response.text
    stolen = other_api.put(f"/characters/{mira['id']}/worldbooks", json={"worldbook_ids": []})
    assert error_of(stolen, 404)["code"] == "character_not_found"
    assert ok(other_api.get("/worldbooks"))["data"] == []
    other_page = other_api.get("/worldbooks", params={"after": wid})
    assert error_of(other_page, 400)["code"] == "invalid_cursor"

    assert ok(other_api.get(f"/characters/{theirs['id']}"))["lorebooks"] == []
    assert ok(api.get(f"/characters/{mira['id']}"))["lorebooks"] == [wid]
    assert ok(api.get(f"/worldbooks/{wid}"))["data"] == json.loads(FILE.read_bytes())


def test_bad_files_answer_400_with_a_code_and_store_nothing(api: httpx.Client) -> None:
    cap = CompanionSettings().worldbook_max_bytes
    padded = b'{"name": "big", "entries": {}, "pad": "' + b"x" * cap + b'"}'
    cases = [
        (b"", "invalid_upload", "file"),
        (b"not json at all", "worldbook_invalid", "file"),
        (b'{"name": "x", "data": {}}', "worldbook_invalid", "entries"),
        (b'{"name": "x", "entries": ["a"]}', "worldbook_invalid", "entries"),
        (b'{"name": "x", "entries": {"3": 5}}', "worldbook_invalid", "entries.3"),
        (
            b'{"name": "x", "entries": {"3": {"key": {"a": 1}}}}',
            "worldbook_invalid",
            "entries.3.key",
        ),
        (b'{"entries": {}}', "worldbook_name_required", "name"),
        (padded, "worldbook_too_large", "file"),
    ]
    for body, code, param in cases:
        error = error_of(api.post("/worldbooks", content=body, headers=JSON), 400)
        assert (error["code"], error["param"]) == (code, param), (body[:60], error)
    no_file = api.post("/worldbooks", files={"other": ("a.json", b"{}", "application/json")})
    assert error_of(no_file, 400)["code"] == "invalid_upload"
    mira = ok(api.post("/characters", json={"name": "Mira"}))
    too_many = {
        "worldbook_ids": [
            f"wb_{i}" for i in range(CompanionSettings().worldbooks_per_character_max + 1)
        ]
    }
    refused = api.put(f"/characters/{mira['id']}/worldbooks", json=too_many)
    assert error_of(refused, 400)["code"] == "too_many_worldbooks"
    assert ok(api.get("/worldbooks"))["data"] == []

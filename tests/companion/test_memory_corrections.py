"""Correcting memories over real HTTP the way the page does (text only): values are kept or
derived so the relationship summary keeps every fact, and the summary and memories call the
user by the name they chat under, not by their id."""

from __future__ import annotations

import re
from typing import Any

import httpx

from tests.support.catalogue import REMOTE_MODEL
from tests.support.inprocess import ok

SMALL = {"max_tokens": 12, "temperature": 0.0, "seed": 7}


def listed(api: httpx.Client, character_id: str) -> dict[str, Any]:
    return ok(api.get("/memories", params={"user": "ines", "character_id": character_id}))


def correct(api: httpx.Client, memory_id: str, text: str) -> dict[str, Any]:
    return ok(api.patch(f"/memories/{memory_id}", params={"user": "ines"}, json={"text": text}))


def test_text_only_corrections_keep_the_fact_in_the_summary_under_the_users_name(
    api: httpx.Client,
) -> None:
    mira = ok(
        api.post(
            "/characters",
            json={"name": "Mira", "first_mes": "Hello {{user}}!", "model": REMOTE_MODEL},
        )
    )
    session = ok(
        api.post(
            "/sessions", json={"user": "ines", "user_name": "Ines", "character_id": mira["id"]}
        )
    )
    said = "I live in Paris and I love jazz. I have a dog named Rex."
    ok(api.post(f"/sessions/{session['id']}/messages", json={"content": said, **SMALL}))

    before = listed(api, mira["id"])
    summary = before["summary"]["text"]
    assert "Ines" in summary and not re.search(r"\bines\b", summary), summary
    assert "Paris" in summary and "jazz" in summary and "Rex" in summary
    by_subject = {m["subject"]: m for m in before["data"]}

    moved = correct(api, by_subject["user.location"]["id"], "The user lives in Lisbon.")
    assert moved["value"] == "Lisbon" and moved["history"][-1]["value"] == "Paris"
    beagle = correct(
        api, by_subject["user.pet.dog"]["id"], "The user has a dog named Rex, a beagle."
    )
    assert beagle["value"] == "Rex"
    fado = correct(api, by_subject["user.likes"]["id"], "The user now prefers fado.")
    assert fado["value"] == "The user now prefers fado."

    after = listed(api, mira["id"])
    summary = after["summary"]["text"]
    for fact in ("lives in Lisbon", "Ines now prefers fado.", "a dog named Rex, a beagle"):
        assert fact in summary, (fact, summary)
    assert "Paris" not in summary and "jazz" not in summary
    assert not re.search(r"\bines\b", summary) and "{{" not in summary
    assert {m["value"] for m in after["data"]} >= {"Lisbon", "Rex", "The user now prefers fado."}

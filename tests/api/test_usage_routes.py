"""`GET /v1/usage` (an organisation's own) and `GET /v1/usage/summary` (operator only)."""

from __future__ import annotations

import httpx

from tests.support.servers import ReefServer, Store


def get(server: ReefServer, key: str, path: str) -> httpx.Response:
    return httpx.get(f"{server.base_url}{path}", headers={"Authorization": f"Bearer {key}"})


def test_org_sees_its_own_usage_per_day_and_model(reef_server: ReefServer, store: Store) -> None:
    key = store.new_key()
    for text in ("one", "two three"):
        response = httpx.post(
            f"{reef_server.base_url}/v1/chat/completions",
            json={"model": "remote-echo", "messages": [{"role": "user", "content": text}]},
            headers={"Authorization": f"Bearer {key}"},
            timeout=60,
        )
        assert response.status_code == 200
    usage = get(reef_server, key, "/v1/usage")
    assert usage.status_code == 200
    rows = usage.json()["data"]
    assert [(r["model"], r["requests"]) for r in rows] == [("remote-echo", 2)]
    # "echo: one" and "echo: two three": 2 + 3 completion words.
    assert rows[0]["completion_tokens"] == 5
    assert rows[0]["cost_usd"] > 0
    fresh = store.new_key()
    assert get(reef_server, fresh, "/v1/usage").json()["data"] == []


def test_operator_summary_is_for_admins_only(
    reef_server: ReefServer, store: Store, admin_key: str
) -> None:
    refused = get(reef_server, store.new_key(), "/v1/usage/summary")
    assert refused.status_code == 403
    assert set(refused.json()["error"]) == {"message", "type", "param", "code"}
    summary = get(reef_server, admin_key, "/v1/usage/summary")
    assert summary.status_code == 200
    body = summary.json()
    assert body["active_organizations"] >= 1
    assert body["revenue_usd"] >= body["revenue_30d_usd"] > 0
    assert body["tokens_per_day"]

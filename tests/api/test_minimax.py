"""MiniMax-compatible `POST /v1/text/chatcompletion_v2`: OpenAI shapes plus `base_resp`, and
errors as HTTP 200 with MiniMax status codes."""

from __future__ import annotations

import json
from typing import Any

import httpx

from tests.support.catalogue import CHAT_MODEL
from tests.support.servers import ReefServer, Store

PATH = "/v1/text/chatcompletion_v2"
HELLO = [{"role": "user", "content": "Say hello."}]


def post(server: ReefServer, key: str, body: dict[str, Any], **params: str) -> httpx.Response:
    return httpx.post(
        f"{server.base_url}{PATH}",
        params=params,
        json=body,
        headers={"Authorization": f"Bearer {key}"},
        timeout=120,
    )


def test_success_carries_base_resp(reef_server: ReefServer, key: str) -> None:
    response = post(
        reef_server,
        key,
        {"model": CHAT_MODEL, "messages": HELLO, "max_tokens": 4},
        GroupId="1234567890",
    )
    assert response.status_code == 200
    body = response.json()
    assert body["base_resp"] == {"status_code": 0, "status_msg": "success"}
    assert body["input_sensitive"] is False
    assert body["output_sensitive"] is False
    assert body["object"] == "chat.completion"
    assert body["choices"][0]["message"]["role"] == "assistant"
    assert body["choices"][0]["message"]["content"]
    assert 0 < body["usage"]["completion_tokens"] <= 4


def test_minimax_extra_fields_are_ignored(reef_server: ReefServer, key: str) -> None:
    body = {
        "model": CHAT_MODEL,
        "messages": HELLO,
        "max_tokens": 2,
        "mask_sensitive_info": False,
    }
    response = post(reef_server, key, body)
    assert response.json()["base_resp"]["status_code"] == 0


def test_bad_key_is_2049_with_http_200(reef_server: ReefServer) -> None:
    response = post(
        reef_server, "sk-reef-wrong-wrong-wrong", {"model": CHAT_MODEL, "messages": HELLO}
    )
    assert response.status_code == 200
    assert response.json()["base_resp"]["status_code"] == 2049
    assert response.json()["base_resp"]["status_msg"]


def test_invalid_parameters_are_2013(reef_server: ReefServer, key: str) -> None:
    for body in (
        {"model": CHAT_MODEL, "messages": HELLO, "temperature": 7},
        {"model": CHAT_MODEL},
        {"model": "no-such-model", "messages": HELLO},
    ):
        response = post(reef_server, key, body, GroupId="42")
        assert response.status_code == 200
        assert response.json()["base_resp"]["status_code"] == 2013, body


def test_rate_limit_is_1002_and_not_allowed_is_1004(reef_server: ReefServer, store: Store) -> None:
    limited = store.new_key(rpm=1)
    first = post(reef_server, limited, {"model": CHAT_MODEL, "messages": HELLO, "max_tokens": 1})
    second = post(reef_server, limited, {"model": CHAT_MODEL, "messages": HELLO, "max_tokens": 1})
    assert first.json()["base_resp"]["status_code"] == 0
    assert second.status_code == 200
    assert second.json()["base_resp"]["status_code"] == 1002
    assert int(second.headers["retry-after"]) >= 1
    restricted = store.new_key(allowed_models=["remote-echo"])
    denied = post(reef_server, restricted, {"model": CHAT_MODEL, "messages": HELLO})
    assert denied.json()["base_resp"]["status_code"] == 1004


def test_budget_exhausted_is_1008(reef_server: ReefServer, store: Store) -> None:
    broke = store.new_key(budget_usd=0.0)
    response = post(reef_server, broke, {"model": CHAT_MODEL, "messages": HELLO})
    assert response.json()["base_resp"]["status_code"] == 1008


def test_stream_puts_base_resp_on_the_last_chunk(reef_server: ReefServer, key: str) -> None:
    body = {"model": CHAT_MODEL, "messages": HELLO, "max_tokens": 4, "stream": True}
    with httpx.stream(
        "POST",
        f"{reef_server.base_url}{PATH}",
        params={"GroupId": "1"},
        json=body,
        headers={"Authorization": f"Bearer {key}"},
        timeout=120,
    ) as response:
        events = [
            json.loads(line.removeprefix("data: "))
            for line in response.iter_lines()
            if line.startswith("data: ")
        ]
    assert len({e["id"] for e in events}) == 1
    *answer, last = events
    assert all("base_resp" not in e for e in answer)
    assert last["base_resp"] == {"status_code": 0, "status_msg": "success"}
    assert 0 < last["usage"]["completion_tokens"] <= 4
    text = "".join(e["choices"][0]["delta"].get("content", "") for e in answer if e["choices"])
    assert text

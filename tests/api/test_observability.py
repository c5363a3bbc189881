"""Request ids, health, Prometheus metrics, and the model list."""

from __future__ import annotations

import re

import httpx
import openai
import pytest

from tests.support.catalogue import CHAT_MODEL, EMBEDDING_MODEL
from tests.support.fixtures import sdk_client
from tests.support.servers import ReefServer, Store, wait_until


def test_models_lists_the_catalogue(client: openai.OpenAI) -> None:
    models = {m.id: m for m in client.models.list()}
    assert {CHAT_MODEL, EMBEDDING_MODEL, "remote-echo"} <= set(models)
    assert all(m.object == "model" and m.owned_by and m.created for m in models.values())
    assert client.models.retrieve(CHAT_MODEL).id == CHAT_MODEL


def test_models_shows_only_what_the_key_may_use(reef_server: ReefServer, store: Store) -> None:
    key = store.new_key(allowed_models=[EMBEDDING_MODEL, "remote-echo"])
    with sdk_client(reef_server, key) as sdk:
        assert sorted(m.id for m in sdk.models.list()) == sorted([EMBEDDING_MODEL, "remote-echo"])
        with pytest.raises(openai.NotFoundError):
            sdk.models.retrieve(CHAT_MODEL)


def test_every_response_has_a_request_id(reef_server: ReefServer, key: str) -> None:
    auth = {"Authorization": f"Bearer {key}"}
    responses = [
        httpx.get(f"{reef_server.base_url}/healthz"),
        httpx.get(f"{reef_server.base_url}/v1/models", headers=auth),
        httpx.get(f"{reef_server.base_url}/v1/models"),
        httpx.post(f"{reef_server.base_url}/v1/chat/completions", json={}, headers=auth),
    ]
    ids = [r.headers.get("x-request-id") for r in responses]
    assert all(ids)
    assert len(set(ids)) == len(ids)


def test_incoming_request_id_is_honoured_and_logged(reef_server: ReefServer, key: str) -> None:
    mine = "trace-abc.123"
    response = httpx.get(
        f"{reef_server.base_url}/v1/models",
        headers={"Authorization": f"Bearer {key}", "x-request-id": mine},
    )
    assert response.headers["x-request-id"] == mine
    # The access line is written as the response ends; give the log a moment to land.
    wait_until(lambda: f"[{mine}]" in reef_server.stderr(), 10, "the request id in the log")
    unsafe = httpx.get(f"{reef_server.base_url}/healthz", headers={"x-request-id": "bad id\t!"})
    assert unsafe.headers["x-request-id"] != "bad id\t!"


def test_group_id_is_accepted_on_openai_routes(reef_server: ReefServer, key: str) -> None:
    response = httpx.get(
        f"{reef_server.base_url}/v1/models",
        params={"GroupId": "123"},
        headers={"Authorization": f"Bearer {key}"},
    )
    assert response.status_code == 200


def test_healthz(reef_server: ReefServer) -> None:
    assert httpx.get(f"{reef_server.base_url}/healthz").json() == {"status": "ok"}


def metric(text: str, name: str, **labels: str) -> float:
    """The value of one sample in Prometheus text format (labels in any order)."""
    for line in text.splitlines():
        if not line.startswith(name + "{") and line.split(" ")[0] != name:
            continue
        found = dict(re.findall(r'(\w+)="([^"]*)"', line.split(" ")[0]))
        if all(found.get(k) == v for k, v in labels.items()):
            return float(line.rsplit(" ", 1)[1])
    raise AssertionError(f"no sample {name}{labels}")


def test_metrics_count_requests_tokens_and_engine(
    reef_server: ReefServer, client: openai.OpenAI
) -> None:
    before = httpx.get(f"{reef_server.base_url}/metrics").text
    reply = client.chat.completions.create(
        model=CHAT_MODEL, messages=[{"role": "user", "content": "Hi"}], max_tokens=3
    )
    assert reply.usage is not None
    after = httpx.get(f"{reef_server.base_url}/metrics")
    assert after.headers["content-type"].startswith("text/plain")
    text = after.text
    labels = {"endpoint": "/v1/chat/completions", "model": CHAT_MODEL, "status": "200"}

    def grew(name: str, **match: str) -> float:
        try:
            old = metric(before, name, **match)
        except AssertionError:
            old = 0.0
        return metric(text, name, **match) - old

    assert grew("reef_requests_total", **labels) == 1
    assert grew("reef_completion_tokens_total", model=CHAT_MODEL) == reply.usage.completion_tokens
    assert grew("reef_prompt_tokens_total", model=CHAT_MODEL) == reply.usage.prompt_tokens
    assert grew("reef_time_to_first_token_seconds_count", model=CHAT_MODEL) == 1
    assert (
        grew(
            "reef_request_latency_seconds_count", endpoint="/v1/chat/completions", model=CHAT_MODEL
        )
        == 1
    )
    assert metric(text, "reef_engine_queue_depth", model=CHAT_MODEL) >= 0
    assert metric(text, "reef_engine_running_sequences", model=CHAT_MODEL) >= 0
    assert 0 <= metric(text, "reef_prefix_cache_hit_ratio", model=CHAT_MODEL) <= 1
    assert "reef_cached_tokens_total" in text

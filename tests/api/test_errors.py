"""Every failure reaches the client as an HTTP status plus OpenAI's four-key error object."""

from __future__ import annotations

from typing import Any

import httpx
import openai
import pytest

from tests.support.catalogue import CHAT_MODEL, EMBEDDING_MODEL
from tests.support.fixtures import sdk_client
from tests.support.servers import ReefServer, Store

HELLO = [{"role": "user", "content": "hi"}]


def error_of(exc: openai.APIStatusError) -> dict[str, Any]:
    body = exc.body
    assert isinstance(body, dict), body
    # The SDK hands over the `error` object itself.
    assert set(body) == {"message", "type", "param", "code"}, body
    return body


def raw_post(server: ReefServer, key: str | None, path: str, body: Any) -> httpx.Response:
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    return httpx.post(f"{server.base_url}{path}", json=body, headers=headers, timeout=60)


def test_bad_key_is_401(reef_server: ReefServer) -> None:
    with (
        sdk_client(reef_server, "sk-reef-not-a-real-key-000000") as sdk,
        pytest.raises(openai.AuthenticationError) as caught,
    ):
        sdk.models.list()
    error = error_of(caught.value)
    assert caught.value.status_code == 401
    assert error["type"] == "authentication_error"
    assert error["code"] == "invalid_api_key"
    assert "sk-reef-not-a-real-key-000000" not in error["message"]


def test_missing_key_is_401(reef_server: ReefServer) -> None:
    response = raw_post(reef_server, None, "/v1/chat/completions", {"model": CHAT_MODEL})
    assert response.status_code == 401
    assert set(response.json()["error"]) == {"message", "type", "param", "code"}


def test_unknown_model_is_404(client: openai.OpenAI) -> None:
    with pytest.raises(openai.NotFoundError) as caught:
        client.chat.completions.create(model="no-such-model", messages=HELLO)
    error = error_of(caught.value)
    assert error["code"] == "model_not_found"
    assert error["param"] == "model"
    assert "no-such-model" in error["message"]


def test_embedding_model_cannot_chat(client: openai.OpenAI) -> None:
    with pytest.raises(openai.NotFoundError):
        client.chat.completions.create(model=EMBEDDING_MODEL, messages=HELLO)


@pytest.mark.parametrize(
    ("extra", "param"),
    [
        ({"temperature": 2.5}, "temperature"),
        ({"top_p": 0}, "top_p"),
        ({"n": 2}, "n"),
        ({"max_tokens": 0}, "max_tokens"),
        ({"stop": ["a", "b", "c", "d", "e"]}, "stop"),
        ({"tool_choice": "required"}, "tool_choice"),
        ({"stream_options": {"include_usage": True}}, "stream_options"),
        ({"response_format": {"type": "xml"}}, "response_format.type"),
        ({"frobnicate": True}, "frobnicate"),
    ],
)
def test_bad_parameter_is_400_naming_it(
    client: openai.OpenAI, extra: dict[str, Any], param: str
) -> None:
    with pytest.raises(openai.BadRequestError) as caught:
        client.chat.completions.create(
            model=CHAT_MODEL, messages=HELLO, max_tokens=1, extra_body=extra
        )
    error = error_of(caught.value)
    assert error["type"] == "invalid_request_error"
    assert error["param"] == param
    assert param.split(".")[0] in error["message"]


def test_n_2_says_only_one_choice(client: openai.OpenAI) -> None:
    with pytest.raises(openai.BadRequestError) as caught:
        client.chat.completions.create(model=CHAT_MODEL, messages=HELLO, n=2)
    assert "n=1" in error_of(caught.value)["message"]


def test_missing_messages_and_bad_json(reef_server: ReefServer, key: str) -> None:
    missing = raw_post(reef_server, key, "/v1/chat/completions", {"model": CHAT_MODEL})
    assert missing.status_code == 400
    assert missing.json()["error"]["param"] == "messages"
    assert missing.json()["error"]["code"] == "missing_required_parameter"
    bad_message = raw_post(
        reef_server,
        key,
        "/v1/chat/completions",
        {"model": CHAT_MODEL, "messages": [{"role": "wizard", "content": "x"}]},
    )
    assert bad_message.status_code == 400
    assert bad_message.json()["error"]["param"] == "messages[0].role"
    not_json = httpx.post(
        f"{reef_server.base_url}/v1/chat/completions",
        content=b"{not json",
        headers={"Authorization": f"Bearer {key}", "content-type": "application/json"},
    )
    assert not_json.status_code == 400
    assert set(not_json.json()["error"]) == {"message", "type", "param", "code"}


def test_oversized_input_is_context_length_exceeded(client: openai.OpenAI) -> None:
    with pytest.raises(openai.BadRequestError) as caught:
        client.chat.completions.create(
            model=CHAT_MODEL,
            messages=[{"role": "user", "content": "word " * 5000}],
            max_tokens=4,
        )
    error = error_of(caught.value)
    assert error["code"] == "context_length_exceeded"
    assert error["type"] == "invalid_request_error"


def test_model_outside_allow_list_is_403(reef_server: ReefServer, store: Store) -> None:
    key = store.new_key(allowed_models=[EMBEDDING_MODEL])
    with sdk_client(reef_server, key) as sdk:
        with pytest.raises(openai.PermissionDeniedError) as caught:
            sdk.chat.completions.create(model=CHAT_MODEL, messages=HELLO, max_tokens=1)
        embedded = sdk.embeddings.create(model=EMBEDDING_MODEL, input="allowed")
    error = error_of(caught.value)
    assert error["code"] == "model_not_allowed"
    assert CHAT_MODEL in error["message"]
    assert len(embedded.data) == 1


def test_body_over_the_limit_is_413(reef_server: ReefServer, key: str) -> None:
    huge = {"model": CHAT_MODEL, "messages": [{"role": "user", "content": "x" * (5 << 20)}]}
    response = raw_post(reef_server, key, "/v1/chat/completions", huge)
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "request_too_large"
    assert set(response.json()["error"]) == {"message", "type", "param", "code"}


def test_unknown_route_and_method(reef_server: ReefServer, key: str) -> None:
    missing = raw_post(reef_server, key, "/v1/nothing-here", {})
    assert missing.status_code == 404
    assert "/v1/nothing-here" in missing.json()["error"]["message"]
    wrong_method = httpx.get(
        f"{reef_server.base_url}/v1/chat/completions", headers={"Authorization": f"Bearer {key}"}
    )
    assert wrong_method.status_code == 405
    assert set(wrong_method.json()["error"]) == {"message", "type", "param", "code"}

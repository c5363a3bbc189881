"""`/v1/messages` through the official `anthropic` SDK against a real `reef serve`: text,
tool use round trips, streaming events, stop sequences, token counting, errors in Anthropic's
shape, and the `/anthropic` prefix MiniMax's clients use."""

from __future__ import annotations

from collections.abc import Iterator

import anthropic
import httpx
import pytest

from tests.support.catalogue import CHAT_MODEL, REMOTE_MODEL, TOOL_MODEL
from tests.support.servers import ReefServer, Store

WEATHER = {
    "name": "get_weather",
    "description": "Current weather in a city",
    "input_schema": {
        "type": "object",
        "properties": {"city": {"type": "string"}},
        "required": ["city"],
    },
}


@pytest.fixture
def claude(reef_server: ReefServer, key: str) -> Iterator[anthropic.Anthropic]:
    with anthropic.Anthropic(base_url=reef_server.base_url, api_key=key, max_retries=0) as sdk:
        yield sdk


def test_text_answer_from_the_embedded_engine(claude: anthropic.Anthropic) -> None:
    message = claude.messages.create(
        model=CHAT_MODEL,
        max_tokens=8,
        system="You are terse.",
        messages=[{"role": "user", "content": "Say hello."}],
        extra_body={"temperature": 0},
    )
    assert message.id.startswith("msg_") and message.role == "assistant"
    assert message.content[0].type == "text" and message.content[0].text.strip()
    assert message.stop_reason in ("end_turn", "max_tokens")
    assert message.usage.output_tokens >= 1 and message.usage.input_tokens > 0


def test_tool_use_round_trip(claude: anthropic.Anthropic) -> None:
    question = {"role": "user", "content": "What is the weather in Paris?"}
    first = claude.messages.create(
        model=TOOL_MODEL, max_tokens=100, tools=[WEATHER], messages=[question]
    )
    assert first.stop_reason == "tool_use"
    use = first.content[-1]
    assert use.type == "tool_use" and use.name == "get_weather" and use.input == {"city": "Paris"}
    second = claude.messages.create(
        model=TOOL_MODEL,
        max_tokens=100,
        tools=[WEATHER],
        messages=[
            question,
            {"role": "assistant", "content": first.content},
            {
                "role": "user",
                "content": [{"type": "tool_result", "tool_use_id": use.id, "content": "rain"}],
            },
        ],
    )
    assert second.stop_reason == "end_turn"
    assert second.content[0].text == "The tool said: rain"


def test_streaming_events_and_tool_input_json(claude: anthropic.Anthropic) -> None:
    with claude.messages.stream(
        model=TOOL_MODEL,
        max_tokens=100,
        tools=[WEATHER],
        tool_choice={"type": "tool", "name": "get_weather"},
        messages=[{"role": "user", "content": "Weather in Rome?"}],
    ) as stream:
        kinds = [event.type for event in stream]
        final = stream.get_final_message()
    assert kinds[0] == "message_start" and kinds[-1] == "message_stop"
    assert "content_block_start" in kinds and "content_block_stop" in kinds
    assert kinds[-2] == "message_delta"
    assert final.stop_reason == "tool_use" and final.content[-1].input == {"city": "Rome"}

    with claude.messages.stream(
        model=REMOTE_MODEL, max_tokens=50, messages=[{"role": "user", "content": "one two"}]
    ) as text_stream:
        pieces = list(text_stream.text_stream)
        message = text_stream.get_final_message()
    assert "".join(pieces) == message.content[0].text == "echo: one two"


@pytest.mark.parametrize("stream", [False, True])
def test_stop_sequences_cut_the_text_and_are_named(
    claude: anthropic.Anthropic, stream: bool
) -> None:
    request = {
        "model": REMOTE_MODEL,
        "max_tokens": 50,
        "stop_sequences": ["STOP", "never"],
        "messages": [{"role": "user", "content": "alpha beta STOP gamma"}],
    }
    if stream:
        with claude.messages.stream(**request) as events:  # type: ignore[arg-type]
            message = events.get_final_message()
    else:
        message = claude.messages.create(**request)  # type: ignore[arg-type]
    assert message.content[0].text == "echo: alpha beta "
    assert message.stop_reason == "stop_sequence" and message.stop_sequence == "STOP"


def test_count_tokens_uses_the_models_tokenizer(claude: anthropic.Anthropic) -> None:
    short = claude.messages.count_tokens(
        model=CHAT_MODEL, messages=[{"role": "user", "content": "Hi"}]
    )
    longer = claude.messages.count_tokens(
        model=CHAT_MODEL,
        messages=[{"role": "user", "content": "Hi there, how is the weather in Paris today?"}],
        tools=[WEATHER],
    )
    assert 0 < short.input_tokens < longer.input_tokens


def test_the_anthropic_prefix_serves_the_same_api(reef_server: ReefServer, key: str) -> None:
    with anthropic.Anthropic(base_url=f"{reef_server.base_url}/anthropic", api_key=key) as sdk:
        message = sdk.messages.create(
            model=REMOTE_MODEL, max_tokens=20, messages=[{"role": "user", "content": "hey"}]
        )
    assert message.content[0].text == "echo: hey"


def test_errors_come_in_anthropics_shape_and_charge_nothing(
    claude: anthropic.Anthropic, reef_server: ReefServer, store: Store, key: str
) -> None:
    image = {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": "x"}}
    bad_requests = [
        [{"role": "user", "content": [image]}],
        [{"role": "user", "content": [{"type": "tool_result", "tool_use_id": "toolu_x"}]}],
    ]
    for messages in bad_requests:
        with pytest.raises(anthropic.BadRequestError) as caught:
            claude.messages.create(model=TOOL_MODEL, max_tokens=10, messages=messages)  # type: ignore[arg-type]
        assert caught.value.body["type"] == "error"
        assert caught.value.body["error"]["type"] == "invalid_request_error"
    with pytest.raises(anthropic.BadRequestError):
        claude.messages.create(
            model=TOOL_MODEL,
            max_tokens=10,
            tools=[{"name": "bad", "input_schema": {"type": "array"}}],
            messages=[{"role": "user", "content": "hi"}],
        )
    with pytest.raises(anthropic.NotFoundError) as unknown:
        claude.messages.create(
            model="no-such-model", max_tokens=10, messages=[{"role": "user", "content": "hi"}]
        )
    assert unknown.value.body["error"]["type"] == "not_found_error"
    with (
        anthropic.Anthropic(
            base_url=reef_server.base_url, api_key="sk-wrong", max_retries=0
        ) as bad,
        pytest.raises(anthropic.AuthenticationError) as denied,
    ):
        bad.messages.create(
            model=TOOL_MODEL, max_tokens=10, messages=[{"role": "user", "content": "hi"}]
        )
    assert denied.value.body["error"]["type"] == "authentication_error"
    # Bearer works too, and a missing max_tokens is Anthropic's 400.
    raw = httpx.post(
        f"{reef_server.base_url}/v1/messages",
        headers={"authorization": f"Bearer {key}"},
        json={"model": TOOL_MODEL, "messages": [{"role": "user", "content": "hi"}]},
    )
    assert raw.status_code == 400 and raw.json()["error"]["type"] == "invalid_request_error"


def test_rate_limits_answer_429_in_anthropics_shape(reef_server: ReefServer, store: Store) -> None:
    limited = store.new_key(rpm=1)
    with anthropic.Anthropic(base_url=reef_server.base_url, api_key=limited, max_retries=0) as sdk:
        sdk.messages.create(
            model=REMOTE_MODEL, max_tokens=5, messages=[{"role": "user", "content": "one"}]
        )
        with pytest.raises(anthropic.RateLimitError) as caught:
            sdk.messages.create(
                model=REMOTE_MODEL, max_tokens=5, messages=[{"role": "user", "content": "two"}]
            )
    assert caught.value.body["error"]["type"] == "rate_limit_error"
    assert int(caught.value.response.headers["retry-after"]) >= 1


DEFERRED = [
    {**WEATHER, "defer_loading": True},
    {
        "name": "get_stock_price",
        "description": "Latest share price of a listed company",
        "input_schema": {"type": "object", "properties": {"ticker": {"type": "string"}}},
        "defer_loading": True,
    },
    {
        "name": "send_email",
        "description": "Send an email to a recipient",
        "input_schema": {"type": "object", "properties": {"to": {"type": "string"}}},
        "defer_loading": True,
    },
]
SEARCH_TOOL = {"type": "tool_search_tool_bm25_20251119", "name": "tool_search_tool_bm25"}


@pytest.mark.parametrize("stream", [False, True])
def test_tool_search_finds_a_deferred_tool_then_the_model_calls_it(
    claude: anthropic.Anthropic, stream: bool
) -> None:
    request = {
        "model": TOOL_MODEL,
        "max_tokens": 100,
        "tools": [SEARCH_TOOL, *DEFERRED],
        "messages": [{"role": "user", "content": "What is the weather in Paris?"}],
    }
    if stream:
        with claude.messages.stream(**request) as events:  # type: ignore[arg-type]
            message = events.get_final_message()
    else:
        message = claude.messages.create(**request)  # type: ignore[arg-type]
    kinds = [block.type for block in message.content]
    assert kinds == ["server_tool_use", "tool_search_tool_result", "tool_use"]
    search, result, use = message.content
    assert search.name == "tool_search_tool_bm25"  # type: ignore[union-attr]
    assert result.tool_use_id == search.id  # type: ignore[union-attr]
    references = [r.tool_name for r in result.content.tool_references]  # type: ignore[union-attr]
    assert references[0] == "get_weather"
    assert use.name == "get_weather" and use.input == {"city": "Paris"}  # type: ignore[union-attr]
    assert message.stop_reason == "tool_use"


def test_deferred_tools_need_a_search_tool(claude: anthropic.Anthropic) -> None:
    with pytest.raises(anthropic.BadRequestError) as caught:
        claude.messages.create(
            model=TOOL_MODEL,
            max_tokens=10,
            tools=DEFERRED,  # type: ignore[arg-type]
            messages=[{"role": "user", "content": "hi"}],
        )
    assert "tool search tool" in caught.value.body["error"]["message"]

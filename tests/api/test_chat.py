"""`POST /v1/chat/completions` on the real engine, through the official `openai` SDK."""

from __future__ import annotations

import json

import httpx
import openai

from tests.support.catalogue import CHAT_MODEL
from tests.support.servers import ReefServer

HELLO = [{"role": "user", "content": "Say hello."}]


def test_non_streamed_completion(client: openai.OpenAI) -> None:
    reply = client.chat.completions.create(model=CHAT_MODEL, messages=HELLO, max_tokens=6)
    assert reply.object == "chat.completion"
    assert reply.id.startswith("chatcmpl-")
    assert reply.model == CHAT_MODEL
    choice = reply.choices[0]
    assert choice.message.role == "assistant"
    assert choice.message.content
    assert choice.finish_reason in ("stop", "length")
    assert reply.usage is not None
    assert 0 < reply.usage.completion_tokens <= 6
    assert reply.usage.prompt_tokens > 0
    assert reply.usage.total_tokens == reply.usage.prompt_tokens + reply.usage.completion_tokens


def test_max_completion_tokens_caps_the_answer(client: openai.OpenAI) -> None:
    reply = client.chat.completions.create(
        model=CHAT_MODEL,
        messages=[{"role": "user", "content": "Write a long poem about the sea."}],
        max_completion_tokens=3,
        temperature=0,
    )
    assert reply.usage is not None
    assert reply.usage.completion_tokens == 3
    assert reply.choices[0].finish_reason == "length"


def test_stream_shares_one_id_and_ends_with_usage(client: openai.OpenAI) -> None:
    stream = client.chat.completions.create(
        model=CHAT_MODEL,
        messages=HELLO,
        max_tokens=6,
        stream=True,
        stream_options={"include_usage": True},
    )
    chunks = list(stream)
    assert len({chunk.id for chunk in chunks}) == 1
    assert all(chunk.object == "chat.completion.chunk" for chunk in chunks)
    assert chunks[0].choices[0].delta.role == "assistant"
    *answer, last = chunks
    assert last.choices == []
    assert last.usage is not None
    assert last.usage.prompt_tokens_details is not None
    assert last.usage.prompt_tokens_details.cached_tokens is not None
    assert all(chunk.usage is None for chunk in answer)
    finishes = [c.choices[0].finish_reason for c in answer if c.choices[0].finish_reason]
    assert len(finishes) == 1
    text = "".join(c.choices[0].delta.content or "" for c in answer)
    assert text
    assert 0 < last.usage.completion_tokens <= 6


def test_stream_without_usage_has_no_usage_chunk(client: openai.OpenAI) -> None:
    stream = client.chat.completions.create(
        model=CHAT_MODEL, messages=HELLO, max_tokens=3, stream=True
    )
    chunks = list(stream)
    assert all(chunk.choices for chunk in chunks)
    assert all(chunk.usage is None for chunk in chunks)


def test_raw_stream_ends_with_done(reef_server: ReefServer, key: str) -> None:
    body = {"model": CHAT_MODEL, "messages": HELLO, "max_tokens": 2, "stream": True}
    with httpx.stream(
        "POST",
        f"{reef_server.base_url}/v1/chat/completions",
        json=body,
        headers={"Authorization": f"Bearer {key}"},
        timeout=120,
    ) as response:
        assert response.headers["content-type"].startswith("text/event-stream")
        events = [line for line in response.iter_lines() if line.startswith("data: ")]
    assert events[-1] == "data: [DONE]"
    assert all(json.loads(e.removeprefix("data: "))["object"] for e in events[:-1])


def test_repeated_system_prompt_reports_cached_tokens(client: openai.OpenAI) -> None:
    system = "You are Reef's test assistant. Answer in one short sentence. " * 12
    usages = []
    for question in ("What is 2+2?", "What colour is the sky?"):
        reply = client.chat.completions.create(
            model=CHAT_MODEL,
            messages=[{"role": "system", "content": system}, {"role": "user", "content": question}],
            max_tokens=2,
        )
        assert reply.usage is not None and reply.usage.prompt_tokens_details is not None
        usages.append(reply.usage)
    second = usages[1]
    assert second.prompt_tokens_details is not None
    cached = second.prompt_tokens_details.cached_tokens or 0
    # The whole system prompt (well over 100 tokens) is reused; the new question is not.
    assert 100 < cached < second.prompt_tokens


def test_json_schema_output_validates(client: openai.OpenAI) -> None:
    schema = {
        "type": "object",
        "properties": {
            "ok": {"type": "boolean"},
            "colour": {"type": "string", "enum": ["red", "green", "blue"]},
        },
        "required": ["ok", "colour"],
        "additionalProperties": False,
    }
    reply = client.chat.completions.create(
        model=CHAT_MODEL,
        messages=[{"role": "user", "content": "Pick a colour."}],
        max_tokens=40,
        response_format={"type": "json_schema", "json_schema": {"name": "pick", "schema": schema}},
    )
    assert reply.choices[0].finish_reason == "stop"
    parsed = json.loads(reply.choices[0].message.content or "")
    assert set(parsed) == {"ok", "colour"}
    assert isinstance(parsed["ok"], bool)
    assert parsed["colour"] in {"red", "green", "blue"}


WEATHER_TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Current weather for a city",
        "parameters": {
            "type": "object",
            "properties": {"city": {"type": "string"}},
            "required": ["city"],
        },
    },
}


def test_required_tool_choice_returns_a_parsable_tool_call(client: openai.OpenAI) -> None:
    reply = client.chat.completions.create(
        model=CHAT_MODEL,
        messages=[{"role": "user", "content": "What is the weather in Paris?"}],
        max_tokens=40,
        tools=[WEATHER_TOOL],  # type: ignore[list-item]
        tool_choice="required",
    )
    choice = reply.choices[0]
    assert choice.finish_reason == "tool_calls"
    assert choice.message.tool_calls
    call = choice.message.tool_calls[0]
    assert call.type == "function"
    assert call.id
    assert call.function.name == "get_weather"
    arguments = json.loads(call.function.arguments)
    assert isinstance(arguments["city"], str)


def test_tool_calls_stream_as_deltas(client: openai.OpenAI) -> None:
    stream = client.chat.completions.create(
        model=CHAT_MODEL,
        messages=[{"role": "user", "content": "Weather in Rome?"}],
        max_tokens=40,
        tools=[WEATHER_TOOL],  # type: ignore[list-item]
        tool_choice={"type": "function", "function": {"name": "get_weather"}},
        stream=True,
    )
    calls = [
        call
        for chunk in stream
        if chunk.choices and chunk.choices[0].delta.tool_calls
        for call in chunk.choices[0].delta.tool_calls
    ]
    assert calls
    assert calls[0].index == 0
    assert calls[0].function is not None and calls[0].function.name == "get_weather"
    arguments = "".join((c.function.arguments or "") for c in calls if c.function)
    assert "city" in json.loads(arguments)


def test_tool_result_round_trip(client: openai.OpenAI) -> None:
    """The tool's answer goes back as a `tool` message and the model replies in text."""
    reply = client.chat.completions.create(
        model=CHAT_MODEL,
        messages=[
            {"role": "user", "content": "What is the weather in Paris?"},
            {
                "role": "assistant",
                "content": None,
                "tool_calls": [
                    {
                        "id": "call_1",
                        "type": "function",
                        "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'},
                    }
                ],
            },
            {"role": "tool", "tool_call_id": "call_1", "content": "Sunny, 21 C"},
        ],
        max_tokens=8,
        tools=[WEATHER_TOOL],  # type: ignore[list-item]
        tool_choice="none",
    )
    assert reply.choices[0].message.content
    assert not reply.choices[0].message.tool_calls


def test_stop_string_cuts_the_answer(client: openai.OpenAI) -> None:
    reply = client.chat.completions.create(
        model=CHAT_MODEL,
        messages=[{"role": "user", "content": "Count from 1 to 10, separated by commas."}],
        max_tokens=30,
        temperature=0,
        seed=7,
        stop=",",
        user="tester",
    )
    assert reply.choices[0].finish_reason == "stop"
    assert "," not in (reply.choices[0].message.content or "")
    assert reply.usage is not None and reply.usage.completion_tokens < 30

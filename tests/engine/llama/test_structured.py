"""Grammar-constrained answers: JSON objects, JSON Schemas and tool calls."""

from __future__ import annotations

import json
from typing import Any

import pytest

from reef.engine.llama import EmbeddedChatBackend
from reef.errors import InvalidRequest
from tests.engine.llama.support import complete, request

PERSON_SCHEMA = {
    "type": "object",
    "properties": {
        "name": {"type": "string", "maxLength": 40},
        "age": {"type": "integer"},
        "hobbies": {"type": "array", "items": {"type": "string", "maxLength": 30}, "maxItems": 3},
    },
    "required": ["name", "age", "hobbies"],
}
WEATHER_TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Current weather for a city",
        "parameters": {
            "type": "object",
            "properties": {
                "city": {"type": "string", "maxLength": 40},
                "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]},
            },
            "required": ["city", "unit"],
        },
    },
}
TIME_TOOL = {
    "type": "function",
    "function": {
        "name": "get_time",
        "description": "Current time in a timezone",
        "parameters": {
            "type": "object",
            "properties": {"timezone": {"type": "string", "maxLength": 40}},
            "required": ["timezone"],
        },
    },
}
TOOLS = [WEATHER_TOOL, TIME_TOOL]
WEATHER_QUESTION = "What is the weather in Paris right now?"


async def test_json_object_answer_parses(backend: EmbeddedChatBackend) -> None:
    answer = await complete(
        backend,
        request(
            "Return a JSON object with a person's name and age.",
            max_tokens=120,
            temperature=0,
            response_format={"type": "json_object"},
        ),
    )
    assert answer.finish_reason == "stop"
    assert isinstance(json.loads(answer.text), dict)


async def test_json_schema_answer_matches_the_schema(backend: EmbeddedChatBackend) -> None:
    answer = await complete(
        backend,
        request(
            "Invent a person.",
            max_tokens=150,
            temperature=0.7,
            seed=7,
            response_format={
                "type": "json_schema",
                "json_schema": {"name": "person", "schema": PERSON_SCHEMA},
            },
        ),
    )
    assert answer.finish_reason == "stop"
    person = json.loads(answer.text)
    assert set(person) == {"name", "age", "hobbies"}
    assert isinstance(person["name"], str) and len(person["name"]) <= 40
    assert isinstance(person["age"], int)
    assert isinstance(person["hobbies"], list) and len(person["hobbies"]) <= 3
    assert all(isinstance(h, str) for h in person["hobbies"])


async def test_structured_answer_cut_by_max_tokens_reports_length(
    fresh_backend: EmbeddedChatBackend,
) -> None:
    prompt = "Return a JSON object with a person's name and age."
    fmt = {"type": "json_object"}
    full = await complete(
        fresh_backend, request(prompt, max_tokens=120, temperature=0, response_format=fmt)
    )
    assert full.usage.completion_tokens > 3
    cut = await complete(
        fresh_backend, request(prompt, max_tokens=3, temperature=0, response_format=fmt)
    )
    assert cut.finish_reason == "length"
    assert cut.usage.completion_tokens == 3
    assert full.text.startswith(cut.text)


def assert_weather_call(call: dict[str, Any]) -> None:
    assert call["type"] == "function" and call["index"] == 0
    assert call["id"].startswith("call_")
    assert call["function"]["name"] == "get_weather"
    arguments = json.loads(call["function"]["arguments"])
    assert set(arguments) == {"city", "unit"}
    assert isinstance(arguments["city"], str) and len(arguments["city"]) <= 40
    assert arguments["unit"] in ("celsius", "fahrenheit")


async def test_required_tool_choice_calls_a_tool(backend: EmbeddedChatBackend) -> None:
    answer = await complete(
        backend,
        request(
            WEATHER_QUESTION, tools=TOOLS, tool_choice="required", max_tokens=80, temperature=0
        ),
    )
    assert answer.finish_reason == "tool_calls"
    assert len(answer.tool_calls) == 1
    call = answer.tool_calls[0]
    name = call["function"]["name"]
    assert name in ("get_weather", "get_time")
    if name == "get_weather":
        assert_weather_call(call)
    assert answer.text == ""


async def test_named_tool_choice_calls_that_tool(backend: EmbeddedChatBackend) -> None:
    choice = {"type": "function", "function": {"name": "get_weather"}}
    answer = await complete(
        backend,
        request("Tell me a joke.", tools=TOOLS, tool_choice=choice, max_tokens=80, temperature=0),
    )
    assert answer.finish_reason == "tool_calls"
    assert len(answer.tool_calls) == 1
    assert_weather_call(answer.tool_calls[0])


@pytest.mark.parametrize("seed", [1, 2, 3])
async def test_auto_tool_choice_gives_a_call_or_plain_text(
    backend: EmbeddedChatBackend, seed: int
) -> None:
    answer = await complete(
        backend,
        request(WEATHER_QUESTION, tools=TOOLS, tool_choice="auto", max_tokens=100, seed=seed),
    )
    if answer.finish_reason == "tool_calls":
        assert len(answer.tool_calls) == 1
        call = answer.tool_calls[0]
        assert call["function"]["name"] in ("get_weather", "get_time")
        assert isinstance(json.loads(call["function"]["arguments"]), dict)
        assert answer.text == ""
    else:
        assert answer.finish_reason in ("stop", "length")
        assert answer.tool_calls == []
        assert '"response"' not in answer.text


async def test_tool_choice_none_answers_in_plain_text(backend: EmbeddedChatBackend) -> None:
    answer = await complete(
        backend,
        request(WEATHER_QUESTION, tools=TOOLS, tool_choice="none", max_tokens=20, temperature=0),
    )
    assert answer.tool_calls == []
    assert answer.text
    assert "get_weather" not in backend.render_prompt(
        [{"role": "user", "content": WEATHER_QUESTION}], tools=TOOLS, tool_choice="none"
    )


@pytest.mark.parametrize(
    ("fields", "match"),
    [
        (
            {"tools": TOOLS, "tool_choice": {"type": "function", "function": {"name": "nope"}}},
            "nope",
        ),
        ({"tool_choice": "required"}, "tools"),
        ({"tools": [{"type": "retrieval"}]}, "function"),
        ({"tools": TOOLS, "response_format": {"type": "json_object"}}, "tools"),
        ({"response_format": {"type": "json_schema", "json_schema": {"name": "x"}}}, "schema"),
    ],
)
async def test_bad_tool_and_format_requests_are_rejected(
    backend: EmbeddedChatBackend, fields: dict[str, Any], match: str
) -> None:
    with pytest.raises(InvalidRequest, match=match):
        await backend.open_stream(request(WEATHER_QUESTION, **fields))


def tool_round_trip_messages() -> list[dict[str, Any]]:
    return [
        {"role": "user", "content": WEATHER_QUESTION},
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {
                    "id": "call_abc",
                    "type": "function",
                    "function": {
                        "name": "get_weather",
                        "arguments": '{"city": "Paris", "unit": "celsius"}',
                    },
                }
            ],
        },
        {"role": "tool", "tool_call_id": "call_abc", "content": "18 degrees and sunny"},
    ]


async def test_tool_results_render_and_the_model_answers(backend: EmbeddedChatBackend) -> None:
    messages = tool_round_trip_messages()
    prompt = backend.render_prompt(messages, tools=TOOLS)
    call_at = prompt.index('{"tool_call": {"name": "get_weather", "arguments": {"city": "Paris"')
    result_at = prompt.index("18 degrees and sunny")
    assert prompt.index(WEATHER_QUESTION) < call_at < result_at
    assert "Result of tool get_weather" in prompt
    assert prompt.index("You can call these tools") < prompt.index(WEATHER_QUESTION)
    answer = await complete(backend, request(messages, tools=TOOLS, max_tokens=60, temperature=0))
    assert answer.finish_reason in ("stop", "tool_calls", "length")
    assert answer.usage.prompt_tokens == len(backend.render_prompt_tokens(messages, tools=TOOLS))


SHIP_TOOL = {
    "type": "function",
    "function": {
        "name": "ship_parcel",
        "description": "Ship a parcel to an address",
        "parameters": {
            "type": "object",
            "$defs": {
                "address": {
                    "type": "object",
                    "properties": {
                        "street": {"type": "string", "maxLength": 30},
                        "zip": {"type": "string", "pattern": "^[0-9]{5}$"},
                    },
                    "required": ["street", "zip"],
                }
            },
            "properties": {"to": {"$ref": "#/$defs/address"}},
            "required": ["to"],
        },
    },
}


async def test_tool_parameters_with_local_refs_are_honoured(backend: EmbeddedChatBackend) -> None:
    choice = {"type": "function", "function": {"name": "ship_parcel"}}
    answer = await complete(
        backend,
        request(
            "Send my parcel to 12 Oak Road, 90210.",
            tools=[WEATHER_TOOL, SHIP_TOOL],
            tool_choice=choice,
            max_tokens=80,
            temperature=0,
        ),
    )
    assert answer.finish_reason == "tool_calls"
    arguments = json.loads(answer.tool_calls[0]["function"]["arguments"])
    assert set(arguments) == {"to"} and set(arguments["to"]) == {"street", "zip"}
    assert isinstance(arguments["to"]["street"], str) and len(arguments["to"]["street"]) <= 30
    assert len(arguments["to"]["zip"]) == 5 and arguments["to"]["zip"].isdigit()

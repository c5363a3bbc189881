"""`/v1/responses` through the official `openai` SDK and the OpenAI Agents SDK, against a real
`reef serve` (embedded SmolLM2 and the fake upstream's tool-calling model)."""

from __future__ import annotations

import json
from collections.abc import Iterator

import openai
import pytest
from agents import Agent, ModelSettings, Runner, function_tool, set_tracing_disabled

from tests.support.catalogue import CHAT_MODEL, TOOL_MODEL
from tests.support.fixtures import sdk_client
from tests.support.servers import ReefServer, Store

WEATHER_TOOL = {
    "type": "function",
    "name": "get_weather",
    "description": "Current weather in a city",
    "parameters": {
        "type": "object",
        "properties": {"city": {"type": "string"}},
        "required": ["city"],
    },
}


def test_text_answer_from_the_embedded_engine_is_metered(
    client: openai.OpenAI, store: Store
) -> None:
    raw = client.responses.with_raw_response.create(
        model=CHAT_MODEL,
        input="Say hello.",
        instructions="You are terse.",
        max_output_tokens=8,
        temperature=0,
    )
    response = raw.parse()
    assert response.id.startswith("resp_") and response.object == "response"
    assert response.status in ("completed", "incomplete")
    assert response.output[0].type == "message"
    assert response.output_text.strip()
    assert response.usage is not None and response.usage.output_tokens >= 1
    request_id = raw.headers["x-request-id"]
    row = store.wait_for_rows([request_id])[request_id]
    assert row.endpoint == "responses" and row.model == CHAT_MODEL
    assert row.prompt_tokens == response.usage.input_tokens
    assert row.completion_tokens == response.usage.output_tokens and row.cost_nano_usd > 0


def test_function_call_round_trip_and_previous_response(client: openai.OpenAI) -> None:
    first = client.responses.create(
        model=TOOL_MODEL, input="What is the weather in Paris?", tools=[WEATHER_TOOL]
    )
    call = first.output[-1]
    assert call.type == "function_call" and call.name == "get_weather"
    assert json.loads(call.arguments) == {"city": "Paris"}
    second = client.responses.create(
        model=TOOL_MODEL,
        previous_response_id=first.id,
        input=[{"type": "function_call_output", "call_id": call.call_id, "output": "sunny, 21C"}],
        tools=[WEATHER_TOOL],
    )
    assert second.output_text == "The tool said: sunny, 21C"
    fetched = client.responses.retrieve(second.id)
    assert fetched.output_text == second.output_text
    assert fetched.previous_response_id == first.id
    client.responses.delete(second.id)
    with pytest.raises(openai.NotFoundError) as gone:
        client.responses.retrieve(second.id)
    assert gone.value.body["code"] == "response_not_found"


def test_streamed_events_follow_the_documented_sequence(client: openai.OpenAI) -> None:
    with client.responses.stream(
        model=TOOL_MODEL, input="Weather in Oslo?", tools=[WEATHER_TOOL]
    ) as stream:
        kinds = [event.type for event in stream]
        final = stream.get_final_response()
    assert kinds[:2] == ["response.created", "response.in_progress"]
    assert "response.output_item.added" in kinds
    assert "response.function_call_arguments.delta" in kinds
    assert kinds.index("response.function_call_arguments.done") < kinds.index(
        "response.output_item.done"
    )
    assert kinds[-1] == "response.completed"
    assert final.output[-1].type == "function_call"
    assert json.loads(final.output[-1].arguments) == {"city": "Oslo"}
    assert final.usage is not None and final.usage.total_tokens > 0

    with client.responses.stream(model=TOOL_MODEL, input="hello there") as text_stream:
        deltas = [e.delta for e in text_stream if e.type == "response.output_text.delta"]
        assert (
            "".join(deltas) == text_stream.get_final_response().output_text == "echo: hello there"
        )


def test_json_schema_output_from_the_embedded_engine(client: openai.OpenAI) -> None:
    schema = {
        "type": "object",
        "properties": {"name": {"type": "string"}, "age": {"type": "integer"}},
        "required": ["name", "age"],
        "additionalProperties": False,
    }
    response = client.responses.create(
        model=CHAT_MODEL,
        input="Give a person with a name and an age.",
        text={"format": {"type": "json_schema", "name": "person", "schema": schema}},
        max_output_tokens=40,
        temperature=0,
    )
    assert set(json.loads(response.output_text)) == {"name", "age"}


def test_bad_input_is_refused_in_openai_shape_and_nothing_is_stored(
    client: openai.OpenAI, reef_server: ReefServer, store: Store
) -> None:
    cases = [
        ({"input": [{"type": "image_generation_call", "id": "x"}]}, "input[0].type"),
        (
            {"input": [{"type": "function_call_output", "call_id": "nope", "output": "x"}]},
            "input[0].call_id",
        ),
        ({"input": "hi", "tool_choice": "required"}, "tool_choice"),
        (
            {"input": "hi", "tools": [{**WEATHER_TOOL, "parameters": {"type": "array"}}]},
            "tools[0].parameters",
        ),
        (
            {"input": "hi", "tools": [{**WEATHER_TOOL, "parameters": {"type": 5}}]},
            "tools[0].parameters",
        ),
        ({"input": "hi", "previous_response_id": "resp_unknown"}, "previous_response_id"),
    ]
    for extra, param in cases:
        with pytest.raises(openai.APIStatusError) as caught:
            client.post("/responses", body={"model": TOOL_MODEL, **extra}, cast_to=object)
        error = caught.value.body
        assert error["param"] == param, error
        assert error["code"], error

    other = sdk_client(reef_server, store.new_key())
    mine = client.responses.create(model=TOOL_MODEL, input="private words")
    with pytest.raises(openai.NotFoundError):
        other.responses.retrieve(mine.id)
    with pytest.raises(openai.NotFoundError):
        other.responses.create(model=TOOL_MODEL, input="hi", previous_response_id=mine.id)


@pytest.fixture
def agents_env(
    reef_server: ReefServer, key: str, monkeypatch: pytest.MonkeyPatch
) -> Iterator[None]:
    monkeypatch.setenv("OPENAI_BASE_URL", f"{reef_server.base_url}/v1")
    monkeypatch.setenv("OPENAI_API_KEY", key)
    set_tracing_disabled(True)
    yield


@function_tool
def get_weather(city: str) -> str:
    """Current weather in a city."""
    return f"sunny in {city}"


@pytest.mark.parametrize("streamed", [False, True])
async def test_openai_agents_sdk_runs_an_agent_with_a_function_tool(
    agents_env: None, streamed: bool
) -> None:
    agent = Agent(
        name="weather",
        instructions="Answer with the weather.",
        model=TOOL_MODEL,
        tools=[get_weather],
        model_settings=ModelSettings(tool_choice="required"),
    )
    question = "What is the weather in Lisbon?"
    if streamed:
        result = Runner.run_streamed(agent, question, max_turns=4)
        async for _ in result.stream_events():
            pass
    else:
        result = await Runner.run(agent, question, max_turns=4)
    assert result.final_output == "The tool said: sunny in Lisbon"


def test_budgets_hold_for_responses(reef_server: ReefServer, store: Store) -> None:
    broke = sdk_client(reef_server, store.new_key(budget_usd=0.0))
    with pytest.raises(openai.APIStatusError) as caught:
        broke.responses.create(model=TOOL_MODEL, input="hi")
    assert caught.value.status_code in (402, 429)
    assert caught.value.body["code"]

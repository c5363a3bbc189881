"""`/v1/toolsets` and `/v1/tools/search` through real HTTP on a real `reef serve`, with the
official `openai` SDK's low-level calls: CRUD, search quality, metering in the ledger, bad
input that stores nothing, and isolation between organisations."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import openai
import pytest

from tests.agents.sample_tools import TOOLS, function_tool
from tests.support.catalogue import EMBEDDING_MODEL
from tests.support.fixtures import sdk_client
from tests.support.servers import ReefServer, Store


def post(client: openai.OpenAI, path: str, body: dict[str, Any], rid: str | None = None) -> Any:
    headers = {"x-request-id": rid} if rid else {}
    return client.post(path, body=body, cast_to=object, options={"headers": headers})


def error_of(call: Any) -> dict[str, Any]:
    with pytest.raises(openai.APIStatusError) as caught:
        call()
    error = caught.value.body  # the SDK hands over the `error` object of the body
    assert isinstance(error, dict) and set(error) == {"message", "type", "param", "code"}, error
    return {"status": caught.value.status_code, "error": error}


@pytest.fixture
def other_client(reef_server: ReefServer, store: Store) -> Iterator[openai.OpenAI]:
    with sdk_client(reef_server, store.new_key()) as sdk:
        yield sdk


def test_toolset_lifecycle_and_search(client: openai.OpenAI) -> None:
    made = post(client, "/toolsets", {"name": "assistant", "tools": TOOLS[:10]})
    assert made["name"] == "assistant" and made["tool_count"] == 10
    assert made["id"].startswith("tset_") and made["embedding_model"] == EMBEDDING_MODEL
    grown = post(client, f"/toolsets/{made['id']}/tools", {"tools": TOOLS[10:]})
    assert grown["tool_count"] == len(TOOLS)
    assert client.get(f"/toolsets/{made['id']}", cast_to=object)["tool_count"] == len(TOOLS)
    listed = client.get("/toolsets", cast_to=object)
    assert [t["id"] for t in listed["data"]] == [made["id"]] and not listed["has_more"]

    def search(query: str, **extra: Any) -> list[str]:
        found = post(client, "/tools/search", {"query": query, "toolset": made["id"], **extra})
        assert found["object"] == "list"
        scores = [hit["score"] for hit in found["data"]]
        assert scores == sorted(scores, reverse=True)
        return [hit["name"] for hit in found["data"]]

    assert search("will it rain in Paris tomorrow?", k=3)[0] == "getWeatherForecast"
    assert search("wake me up at 6:30", k=3)[0] == "setAlarm"  # added by the second call
    assert len(search("anything at all", k=7)) == 7
    assert search("ticker symbol", method="bm25")[0] == "get_stock_price"
    assert search(r"^(send|read)_", method="regex") == ["send_email", "read_file"]

    gone = client.delete(f"/toolsets/{made['id']}", cast_to=object)
    assert gone == {"id": made["id"], "object": "toolset", "deleted": True}
    missing = error_of(lambda: client.get(f"/toolsets/{made['id']}", cast_to=object))
    assert missing["status"] == 404 and missing["error"]["code"] == "toolset_not_found"


def test_indexing_and_queries_are_metered(client: openai.OpenAI, store: Store) -> None:
    rids = [f"tools-{uuid.uuid4().hex}" for _ in range(4)]
    made = post(client, "/toolsets", {"name": "m", "tools": TOOLS[:4]}, rids[0])
    post(client, f"/toolsets/{made['id']}/tools", {"tools": TOOLS[4:6]}, rids[1])
    post(client, "/tools/search", {"query": "send an email", "toolset": made["id"]}, rids[2])
    body = {"query": "(?i)mail", "toolset": made["id"], "method": "regex"}
    post(client, "/tools/search", body, rids[3])
    rows = store.wait_for_rows(rids)
    create, add, hybrid, regex = (rows[r] for r in rids)
    assert (create.endpoint, add.endpoint, hybrid.endpoint) == (
        "toolsets.create",
        "toolsets.add_tools",
        "tools.search",
    )
    for row in (create, add, hybrid):
        assert row.model == EMBEDDING_MODEL and row.status == 200
        assert row.prompt_tokens > 0 and row.cost_nano_usd > 0
    assert create.prompt_tokens > add.prompt_tokens > hybrid.prompt_tokens  # 4 tools, 2, a query
    # "[CLS] send an email [SEP]": the query alone is charged at search time
    assert hybrid.prompt_tokens == 5
    assert (regex.model, regex.prompt_tokens, regex.cost_nano_usd) == ("", 0, 0)


def test_bad_input_is_refused_and_stores_nothing(client: openai.OpenAI, store: Store) -> None:
    not_schema = {"type": "function", "function": {"name": "f", "parameters": {"type": "dict"}}}
    error = error_of(lambda: post(client, "/toolsets", {"name": "x", "tools": [not_schema]}))
    assert error["status"] == 400
    assert error["error"]["code"] == "invalid_tool_schema"
    assert error["error"]["param"] == "tools[0].function.parameters"
    assert client.get("/toolsets", cast_to=object)["data"] == []

    made = post(client, "/toolsets", {"name": "x", "tools": TOOLS[:3]})
    path = f"/toolsets/{made['id']}/tools"
    duplicate = error_of(lambda: post(client, path, {"tools": [TOOLS[5], TOOLS[0]]}))
    assert duplicate["error"]["code"] == "duplicate_tool_name"
    many = [function_tool(f"tool_{i}", "t", {}) for i in range(501)]
    too_many = error_of(lambda: post(client, path, {"tools": many}))
    assert too_many["error"]["code"] == "too_many_tools"
    assert client.get(f"/toolsets/{made['id']}", cast_to=object)["tool_count"] == 3

    def search_error(**body: Any) -> dict[str, Any]:
        return error_of(lambda: post(client, "/tools/search", {"toolset": made["id"], **body}))

    assert search_error(query="x", k=0)["error"]["param"] == "k"
    assert search_error(query="   ")["error"]["param"] == "query"
    for pattern in ("x" * 201, "(unclosed"):
        bad = search_error(query=pattern, method="regex")
        assert (bad["status"], bad["error"]["code"]) == (400, "invalid_regex")
    unknown = error_of(lambda: post(client, "/tools/search", {"query": "q", "toolset": "nope"}))
    assert (unknown["status"], unknown["error"]["code"]) == (404, "toolset_not_found")


def test_catastrophic_regex_over_long_descriptions(client: openai.OpenAI) -> None:
    victim = function_tool("victim", "a" * 4000 + "b", {"p": {"type": "string"}})
    made = post(client, "/toolsets", {"name": "slow", "tools": [victim]})
    body = {"query": "(a|aa)+$", "toolset": made["id"], "method": "regex"}
    error = error_of(lambda: post(client, "/tools/search", body))
    assert (error["status"], error["error"]["code"]) == (400, "invalid_regex")
    assert "backtrack" in error["error"]["message"]


def test_other_organisations_cannot_see_or_touch(
    client: openai.OpenAI, other_client: openai.OpenAI
) -> None:
    made = post(client, "/toolsets", {"name": "private", "tools": TOOLS[:2]})
    attempts = [
        lambda: other_client.get(f"/toolsets/{made['id']}", cast_to=object),
        lambda: other_client.delete(f"/toolsets/{made['id']}", cast_to=object),
        lambda: post(other_client, f"/toolsets/{made['id']}/tools", {"tools": TOOLS[2:3]}),
        lambda: post(other_client, "/tools/search", {"query": "weather", "toolset": made["id"]}),
    ]
    for attempt in attempts:
        error = error_of(attempt)
        assert (error["status"], error["error"]["code"]) == (404, "toolset_not_found")
    assert other_client.get("/toolsets", cast_to=object)["data"] == []
    assert client.get(f"/toolsets/{made['id']}", cast_to=object)["tool_count"] == 2


def test_searches_are_rate_limited_like_other_routes(reef_server: ReefServer, store: Store) -> None:
    with sdk_client(reef_server, store.new_key(rpm=2)) as limited:
        made = post(limited, "/toolsets", {"name": "rl", "tools": TOOLS[:2]})
        post(limited, "/tools/search", {"query": "weather", "toolset": made["id"]})
        error = error_of(
            lambda: post(limited, "/tools/search", {"query": "weather", "toolset": made["id"]})
        )
    assert (error["status"], error["error"]["code"]) == (429, "rate_limit_exceeded")

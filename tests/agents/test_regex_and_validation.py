"""Regex search refuses patterns that would stall a worker; tool definitions are checked
(names, JSON Schema parameters, duplicates) with errors naming the offending field."""

from __future__ import annotations

import time
from typing import Any

import pytest

from reef.agents.toolsearch import RegexLimits, regex_search, search_tools, tool_doc
from reef.agents.toolsearch.tools import validate_openai_tool, validate_openai_tools
from reef.errors import InvalidRequest
from tests.agents.sample_tools import TOOLS, function_tool

DOCS = [tool_doc(t) for t in TOOLS]


def test_regex_matches_names_first_then_descriptions_then_parameters() -> None:
    names = [h.name for h in regex_search(DOCS, r"(?i)weather", 5)]
    assert names == ["getWeatherForecast"]
    ranked = regex_search(DOCS, r"(?i)email|ticker", 5)
    assert [h.name for h in ranked] == ["send_email", "get_stock_price"]
    assert ranked[0].score > ranked[1].score  # name + description beat description + parameter
    assert [h.name for h in regex_search(DOCS, r"IATA", 5)] == ["book_flight"]
    assert regex_search(DOCS, r"^nothing$", 5) == []


def test_regex_through_search_tools_is_case_sensitive_by_default() -> None:
    assert search_tools(TOOLS, "WEATHER", 5, "regex") == []
    assert search_tools(TOOLS, "(?i)WEATHER", 5, "regex")[0].name == "getWeatherForecast"


@pytest.mark.parametrize("pattern", [r"(a|aa)+$", r"(.*a){25}$", r"((a+)+)+c"])
def test_catastrophic_patterns_are_refused_quickly(pattern: str) -> None:
    victim = function_tool("tool_" + "a" * 50, "a" * 3000 + "b", {"p": {"type": "string"}})
    started = time.perf_counter()
    with pytest.raises(InvalidRequest) as caught:
        regex_search([tool_doc(victim)] * 20, pattern, 5, RegexLimits(timeout_s=0.2))
    assert time.perf_counter() - started < 2.0
    assert caught.value.code == "invalid_regex"
    assert "backtrack" in caught.value.message


@pytest.mark.parametrize(
    ("pattern", "needle"),
    [("(unclosed", "does not compile"), ("", "empty"), ("a" * 201, "201 characters")],
)
def test_bad_patterns_are_invalid_regex(pattern: str, needle: str) -> None:
    with pytest.raises(InvalidRequest) as caught:
        regex_search(DOCS, pattern, 5)
    assert caught.value.code == "invalid_regex"
    assert needle in caught.value.message


def test_valid_tools_in_both_openai_shapes() -> None:
    chat = validate_openai_tool(TOOLS[1], "tools[0]")
    flat = validate_openai_tool({"type": "function", **TOOLS[1]["function"]}, "tools[0]")
    assert chat == flat and chat.name == "book_flight"
    assert validate_openai_tool({"function": {"name": "no_params"}}, "t").parameters == {}
    assert chat.definition() == TOOLS[1]


def _error(raw: Any) -> InvalidRequest:
    with pytest.raises(InvalidRequest) as caught:
        validate_openai_tools(raw)
    return caught.value


def test_bad_tools_name_the_field() -> None:
    bad_name = _error([function_tool("has space", "x", {})])
    assert (bad_name.code, bad_name.param) == ("invalid_tool_name", "tools[0].function.name")
    dotted = _error([TOOLS[0], function_tool("weather.get", "x", {})])
    assert dotted.param == "tools[1].function.name"
    not_function = _error([{"type": "web_search"}])
    assert not_function.param == "tools[0].type"
    assert _error(["a string"]).param == "tools[0]"


@pytest.mark.parametrize(
    ("parameters", "needle"),
    [
        ({"type": "dict", "properties": {}}, "not a valid JSON Schema"),
        ({"type": "object", "properties": {"a": {"type": "float"}}}, "properties/a/type"),
        ({"type": "object", "required": "a"}, "not a valid JSON Schema"),
        ({"type": "array", "items": {"type": "string"}}, "must describe an object"),
        ("object", "must be a JSON Schema object"),
    ],
)
def test_parameters_must_be_a_json_schema_object(parameters: Any, needle: str) -> None:
    tool = {"type": "function", "function": {"name": "f", "parameters": parameters}}
    error = _error([tool])
    assert error.code == "invalid_tool_schema"
    assert error.param == "tools[0].function.parameters"
    assert needle in error.message


def test_duplicate_names_in_one_request() -> None:
    error = _error([TOOLS[0], TOOLS[1], TOOLS[0]])
    assert (error.code, error.param) == ("duplicate_tool_name", "tools[2]")
    assert "tools[0]" in error.message

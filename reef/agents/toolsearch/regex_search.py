"""Regex search over tools, as Anthropic's `tool_search_tool_regex` does: a Python-syntax
pattern matched against each tool's name, description, parameter names and parameter
descriptions.

Patterns come from clients (or from a model), so one that backtracks catastrophically, like
`(a|aa)+$`, must not stall a worker: the `regex` package runs each match under the time left of
the search's budget, and a pattern that runs out of it is refused as `invalid_regex`. The
pattern's length is capped too.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import regex

from reef.agents.toolsearch.hits import ToolHit
from reef.agents.toolsearch.text import MAX_SCHEMA_DEPTH
from reef.agents.toolsearch.tools import ToolDoc
from reef.errors import InvalidRequest

# A name match says more than a description match, which says more than a parameter's.
NAME_WEIGHT = 3.0
DESCRIPTION_WEIGHT = 2.0
PARAMETER_WEIGHT = 1.0


@dataclass(frozen=True)
class RegexLimits:
    max_length: int = 200
    timeout_s: float = 0.25


def invalid_regex(message: str, param: str) -> InvalidRequest:
    return InvalidRequest(message, param=param, code="invalid_regex")


def compile_pattern(pattern: str, limits: RegexLimits, param: str = "query") -> Any:
    """The compiled pattern (the `regex` module is untyped), or InvalidRequest."""
    if not pattern:
        raise invalid_regex("The regex pattern is empty.", param)
    if len(pattern) > limits.max_length:
        raise invalid_regex(
            f"The regex pattern is {len(pattern)} characters long; at most "
            f"{limits.max_length} are allowed.",
            param,
        )
    try:
        return regex.compile(pattern, regex.VERSION0)
    except (regex.error, ValueError, OverflowError, RecursionError) as exc:
        raise invalid_regex(f"The regex pattern does not compile: {exc}", param) from None


def _parameter_fields(schema: Mapping[str, Any], depth: int = 0) -> Iterator[str]:
    if depth > MAX_SCHEMA_DEPTH:
        return
    properties = schema.get("properties")
    if isinstance(properties, Mapping):
        for name, prop in properties.items():
            yield str(name)
            if isinstance(prop, Mapping):
                description = prop.get("description")
                if isinstance(description, str):
                    yield description
                yield from _parameter_fields(prop, depth + 1)
    items = schema.get("items")
    if isinstance(items, Mapping):
        yield from _parameter_fields(items, depth + 1)


def regex_search(
    tools: Sequence[ToolDoc],
    pattern: str,
    k: int,
    limits: RegexLimits = RegexLimits(),
    param: str = "query",
) -> list[ToolHit]:
    """Tools whose fields match, best first: score = sum of the weights of matched fields."""
    compiled = compile_pattern(pattern, limits, param)
    deadline = time.monotonic() + limits.timeout_s

    def matches(text: str) -> bool:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise _too_slow(limits, param)
        try:
            return compiled.search(text, timeout=remaining) is not None
        except TimeoutError:
            raise _too_slow(limits, param) from None

    hits: list[ToolHit] = []
    for index, tool in enumerate(tools):
        score = 0.0
        if matches(tool.name):
            score += NAME_WEIGHT
        if tool.description and matches(tool.description):
            score += DESCRIPTION_WEIGHT
        if any(matches(text) for text in _parameter_fields(tool.parameters)):
            score += PARAMETER_WEIGHT
        if score > 0:
            hits.append(ToolHit(tool.name, index, score))
    hits.sort(key=lambda hit: (-hit.score, hit.index))
    return hits[:k]


def _too_slow(limits: RegexLimits, param: str) -> InvalidRequest:
    return invalid_regex(
        f"The regex pattern took longer than {limits.timeout_s:g}s over the tools (it likely "
        "backtracks catastrophically, e.g. nested quantifiers like '(a+)+'); simplify it.",
        param,
    )

"""GBNF grammars that make structured answers parse: JSON objects, JSON Schemas, tool calls."""

from __future__ import annotations

import json
from typing import Any

from llama_cpp.llama_grammar import JSON_GBNF, json_schema_to_gbnf

from reef.engine.llama.tools import ToolFunction, ToolPlan
from reef.errors import InvalidRequest

# The converter's string characters allow raw control characters, which strict JSON parsers
# reject; this is the same rule with them excluded (as in llama.cpp's own JSON grammar).
_STRICT_CHAR_RULE = (
    r'char ::= [^"\\\x7F\x00-\x1F] | "\\" (["\\/bfnrt] | "u" '
    r"[0-9a-fA-F] [0-9a-fA-F] [0-9a-fA-F] [0-9a-fA-F])"
)


def response_format_grammar(response_format: dict[str, Any] | None) -> str | None:
    """Grammar for `response_format`, or None for free text."""
    if response_format is None:
        return None
    if not isinstance(response_format, dict):
        raise InvalidRequest("response_format must be an object", param="response_format")
    kind = response_format.get("type", "text")
    if kind == "text":
        return None
    if kind == "json_object":
        return JSON_GBNF
    if kind == "json_schema":
        spec = response_format.get("json_schema")
        schema = spec.get("schema") if isinstance(spec, dict) else None
        if not isinstance(schema, dict):
            raise InvalidRequest(
                "response_format.json_schema.schema must be a JSON Schema object",
                param="response_format",
            )
        return schema_grammar(schema)
    raise InvalidRequest(
        f"response_format.type {kind!r} is not one of text, json_object, json_schema",
        param="response_format",
    )


def schema_grammar(schema: dict[str, Any], *, param: str = "response_format") -> str:
    try:
        grammar = json_schema_to_gbnf(json.dumps(schema))
    except (AssertionError, KeyError, ValueError, TypeError, IndexError, RecursionError) as exc:
        raise InvalidRequest(f"unsupported JSON Schema: {exc}", param=param) from exc
    lines = [
        _STRICT_CHAR_RULE if line.startswith("char ::= ") else line for line in grammar.splitlines()
    ]
    return "\n".join(lines)


def tool_grammar(plan: ToolPlan) -> str:
    """Grammar for the answer shapes `plan` allows (see reef.engine.llama.tools)."""
    # Each tool's parameters live under the root's $defs, so references inside them (which
    # point at their own root) can be rebased onto a path of object keys the converter walks.
    defs = {
        f"tool{i}": _rebase_refs(tool.parameters, f"#/$defs/tool{i}")
        for i, tool in enumerate(plan.tools)
    }
    calls = [_tool_call_schema(tool, f"#/$defs/tool{i}") for i, tool in enumerate(plan.tools)]
    answer: dict[str, Any] = {
        "type": "object",
        "properties": {"tool_call": {"anyOf": calls}},
        "required": ["tool_call"],
    }
    if plan.mode == "auto":
        response = {
            "type": "object",
            "properties": {"response": {"type": "string"}},
            "required": ["response"],
        }
        answer = {"anyOf": [answer, response]}
    return schema_grammar({**answer, "$defs": defs}, param="tools")


def _tool_call_schema(tool: ToolFunction, parameters_ref: str) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": {"name": {"const": tool.name}, "arguments": {"$ref": parameters_ref}},
        "required": ["name", "arguments"],
    }


def _rebase_refs(schema: Any, base: str) -> Any:
    """Point a tool's local `$ref`s (relative to its parameters) at where they now live."""
    if isinstance(schema, dict):
        rebased = {key: _rebase_refs(value, base) for key, value in schema.items()}
        ref = schema.get("$ref")
        if isinstance(ref, str) and ref.startswith("#"):
            rebased["$ref"] = base + ref[1:]
        return rebased
    if isinstance(schema, list):
        return [_rebase_refs(item, base) for item in schema]
    return schema

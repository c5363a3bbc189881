"""Tools as tool search sees them, read from the three wire shapes agents send, and the
checks a stored tool must pass.

OpenAI Chat Completions nests the function (`{"type": "function", "function": {...}}`), the
Responses API flattens it (`{"type": "function", "name": ...}`) and Anthropic names the schema
`input_schema`. Search reads any of them; a toolset stores OpenAI function tools only, after
`validate_openai_tool` has checked the name and that `parameters` is a JSON Schema object.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import jsonschema
from jsonschema.exceptions import SchemaError

from reef.errors import InvalidRequest

TOOL_NAME = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")
MAX_DESCRIPTION_CHARS = 8192


@dataclass(frozen=True)
class ToolDoc:
    """What search reads of a tool: its name, description and parameters' JSON Schema."""

    name: str
    description: str = ""
    parameters: Mapping[str, Any] = field(default_factory=dict)

    def definition(self) -> dict[str, Any]:
        """The tool as an OpenAI Chat Completions function tool."""
        function: dict[str, Any] = {"name": self.name}
        if self.description:
            function["description"] = self.description
        if self.parameters:
            function["parameters"] = dict(self.parameters)
        return {"type": "function", "function": function}


def tool_doc(raw: Mapping[str, Any]) -> ToolDoc:
    """Read a tool in any of the three shapes, without judging it (search over tools a request
    sent; the request's own validation has run)."""
    body: Mapping[str, Any] = raw
    function = raw.get("function")
    if isinstance(function, Mapping):
        body = function
    schema = body.get("parameters", body.get("input_schema"))
    description = body.get("description")
    return ToolDoc(
        name=str(body.get("name", "")),
        description=description if isinstance(description, str) else "",
        parameters=schema if isinstance(schema, Mapping) else {},
    )


def tool_docs(tools: Sequence[Mapping[str, Any] | ToolDoc]) -> list[ToolDoc]:
    return [tool if isinstance(tool, ToolDoc) else tool_doc(tool) for tool in tools]


def check_parameters_schema(schema: Any, param: str) -> None:
    """`schema` must be a JSON Schema (checked against its draft's metaschema) for an object."""
    if not isinstance(schema, Mapping):
        raise InvalidRequest(
            f"'{param}' must be a JSON Schema object.", param=param, code="invalid_tool_schema"
        )
    try:
        validator = jsonschema.validators.validator_for(
            schema, default=jsonschema.Draft202012Validator
        )
        validator.check_schema(schema)
    except RecursionError:
        raise InvalidRequest(
            f"'{param}' is nested too deeply.", param=param, code="invalid_tool_schema"
        ) from None
    except SchemaError as exc:
        where = "/".join(str(part) for part in exc.path)
        at = f" at '{where}'" if where else ""
        raise InvalidRequest(
            f"'{param}' is not a valid JSON Schema{at}: {exc.message}",
            param=param,
            code="invalid_tool_schema",
        ) from None
    kind = schema.get("type", "object")
    if kind != "object":
        raise InvalidRequest(
            f"'{param}' must describe an object (type 'object'), not {kind!r}.",
            param=param,
            code="invalid_tool_schema",
        )


def validate_openai_tool(raw: Any, param: str) -> ToolDoc:
    """An OpenAI function tool (Chat Completions or Responses shape), checked; InvalidRequest
    naming the offending field otherwise."""
    if not isinstance(raw, Mapping):
        raise InvalidRequest(f"'{param}' must be an object.", param=param)
    if raw.get("type", "function") != "function":
        raise InvalidRequest(
            f"'{param}.type' must be 'function', not {raw.get('type')!r}.", param=f"{param}.type"
        )
    body: Mapping[str, Any] = raw
    where = param
    if "function" in raw:
        if not isinstance(raw["function"], Mapping):
            raise InvalidRequest(
                f"'{param}.function' must be an object.", param=f"{param}.function"
            )
        body = raw["function"]
        where = f"{param}.function"
    name = body.get("name")
    if not isinstance(name, str) or not TOOL_NAME.match(name):
        raise InvalidRequest(
            f"'{where}.name' must be 1 to 64 letters, digits, underscores or dashes, not {name!r}.",
            param=f"{where}.name",
            code="invalid_tool_name",
        )
    description = body.get("description", "")
    if description is None:
        description = ""
    if not isinstance(description, str) or len(description) > MAX_DESCRIPTION_CHARS:
        raise InvalidRequest(
            f"'{where}.description' must be a string of at most {MAX_DESCRIPTION_CHARS} "
            "characters.",
            param=f"{where}.description",
        )
    parameters = body.get("parameters")
    if parameters is None:
        parameters = {}
    else:
        check_parameters_schema(parameters, f"{where}.parameters")
    return ToolDoc(name=name, description=description, parameters=parameters)


def validate_openai_tools(raw: Sequence[Any], param: str = "tools") -> list[ToolDoc]:
    """Every tool checked, names unique within the list (a duplicate is a 400)."""
    docs = [validate_openai_tool(tool, f"{param}[{i}]") for i, tool in enumerate(raw)]
    seen: dict[str, int] = {}
    for i, doc in enumerate(docs):
        if doc.name in seen:
            raise InvalidRequest(
                f"Tool name {doc.name!r} appears twice ({param}[{seen[doc.name]}] and "
                f"{param}[{i}]); names must be unique.",
                param=f"{param}[{i}]",
                code="duplicate_tool_name",
            )
        seen[doc.name] = i
    return docs

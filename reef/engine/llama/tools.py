"""OpenAI tool calling on models without a native tool format.

The model answers with one JSON object, `{"tool_call": {"name": ..., "arguments": {...}}}` or (for
`tool_choice="auto"`) `{"response": "..."}`, and a grammar guarantees that shape; these helpers
describe the tools to the model, resolve `tool_choice`, and turn history back into that shape.
"""

from __future__ import annotations

import contextlib
import json
import re
from dataclasses import dataclass
from typing import Any, Literal

from reef.errors import InvalidRequest

ToolMode = Literal["auto", "required", "named"]
_NAME_RE = re.compile(r"^[A-Za-z0-9_.\-]{1,64}$")
_EMPTY_PARAMETERS: dict[str, Any] = {"type": "object", "properties": {}}


@dataclass(frozen=True)
class ToolFunction:
    name: str
    description: str
    parameters: dict[str, Any]

    def describe(self) -> dict[str, Any]:
        return {"name": self.name, "description": self.description, "parameters": self.parameters}


@dataclass(frozen=True)
class ToolPlan:
    """Which tools the model may call and whether it must: the input to prompt and grammar."""

    mode: ToolMode
    tools: tuple[ToolFunction, ...]


def parse_tools(raw_tools: list[dict[str, Any]]) -> list[ToolFunction]:
    functions: list[ToolFunction] = []
    seen: set[str] = set()
    for index, tool in enumerate(raw_tools):
        if not isinstance(tool, dict) or tool.get("type", "function") != "function":
            raise InvalidRequest(
                f"tools[{index}]: only tools of type 'function' are supported", param="tools"
            )
        function = tool.get("function")
        if not isinstance(function, dict):
            raise InvalidRequest(f"tools[{index}].function must be an object", param="tools")
        name = function.get("name")
        if not isinstance(name, str) or not _NAME_RE.match(name):
            raise InvalidRequest(
                f"tools[{index}].function.name must match [A-Za-z0-9_.-]{{1,64}}", param="tools"
            )
        if name in seen:
            raise InvalidRequest(f"tools: duplicate function name {name!r}", param="tools")
        seen.add(name)
        parameters = function.get("parameters") or _EMPTY_PARAMETERS
        if not isinstance(parameters, dict):
            raise InvalidRequest(
                f"tools[{index}].function.parameters must be a JSON Schema object", param="tools"
            )
        description = function.get("description") or ""
        functions.append(ToolFunction(name, str(description), parameters))
    return functions


def plan_tools(
    raw_tools: list[dict[str, Any]] | None, tool_choice: str | dict[str, Any] | None
) -> ToolPlan | None:
    """Resolve `tools` + `tool_choice`; None means the model answers in plain text."""
    functions = parse_tools(raw_tools or [])
    if tool_choice is None:
        tool_choice = "auto" if functions else "none"
    if tool_choice == "none":
        return None
    if not functions:
        raise InvalidRequest("tool_choice requires a non-empty tools list", param="tool_choice")
    if tool_choice == "auto":
        return ToolPlan("auto", tuple(functions))
    if tool_choice == "required":
        return ToolPlan("required", tuple(functions))
    if isinstance(tool_choice, dict):
        function = tool_choice.get("function")
        name = function.get("name") if isinstance(function, dict) else None
        if tool_choice.get("type") != "function" or not isinstance(name, str):
            raise InvalidRequest(
                'tool_choice must be "none", "auto", "required" or '
                '{"type": "function", "function": {"name": ...}}',
                param="tool_choice",
            )
        chosen = [f for f in functions if f.name == name]
        if not chosen:
            raise InvalidRequest(
                f"tool_choice names {name!r}, which is not among the tools", param="tool_choice"
            )
        return ToolPlan("named", tuple(chosen))
    raise InvalidRequest(f"unsupported tool_choice {tool_choice!r}", param="tool_choice")


def tool_instructions(plan: ToolPlan, all_tools: list[ToolFunction]) -> str:
    """System-prompt text describing the tools and the one JSON shape the answer must take."""
    listing = json.dumps([t.describe() for t in all_tools], ensure_ascii=False)
    lines = [
        "You can call these tools (functions), given as JSON Schema:",
        listing,
        "",
        "To call a tool, reply with only this JSON object: "
        '{"tool_call": {"name": "<tool name>", "arguments": {<arguments>}}}',
    ]
    if plan.mode == "auto":
        lines.append(
            'To answer without a tool, reply with only: {"response": "<your answer>"}. '
            "Call a tool only when it is needed to answer."
        )
    elif plan.mode == "required":
        lines.append("You must call one of the tools.")
    else:
        lines.append(f'You must call the tool "{plan.tools[0].name}".')
    return "\n".join(lines)


def tool_call_text(name: str, arguments: Any) -> str:
    """The text the model would have produced for a call: how history tool calls are shown."""
    return json.dumps({"tool_call": {"name": name, "arguments": arguments}}, ensure_ascii=False)


def history_tool_calls_text(tool_calls: list[dict[str, Any]]) -> str:
    """Assistant `tool_calls` from earlier turns, one JSON object per line."""
    rendered: list[str] = []
    for call in tool_calls:
        function = call.get("function") if isinstance(call, dict) else None
        if not isinstance(function, dict) or not isinstance(function.get("name"), str):
            raise InvalidRequest(
                "assistant tool_calls entries need function.name", param="messages"
            )
        arguments: Any = function.get("arguments", "{}")
        if isinstance(arguments, str):
            with contextlib.suppress(json.JSONDecodeError):
                arguments = json.loads(arguments) if arguments.strip() else {}
        rendered.append(tool_call_text(function["name"], arguments))
    return "\n".join(rendered)


@dataclass(frozen=True)
class ParsedToolCall:
    name: str
    arguments: dict[str, Any]


def parse_tool_answer(text: str) -> ParsedToolCall | str | None:
    """A finished grammar-constrained answer: the call, the plain response, or None if neither."""
    try:
        value = json.loads(text)
    except json.JSONDecodeError:
        return None
    if not isinstance(value, dict):
        return None
    call = value.get("tool_call")
    if isinstance(call, dict) and isinstance(call.get("name"), str):
        arguments = call.get("arguments")
        return ParsedToolCall(call["name"], arguments if isinstance(arguments, dict) else {})
    response = value.get("response")
    if isinstance(response, str):
        return response
    return None

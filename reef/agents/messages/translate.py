"""Anthropic content blocks -> the engine's chat messages, checking each block as Anthropic
does: images are refused clearly (the bundled models read text), a `tool_result` must answer a
`tool_use` made earlier, tool schemas must be JSON Schema objects."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from reef.agents.messages.schemas import CountTokensBody, ToolChoice
from reef.agents.toolsearch.tools import check_parameters_schema
from reef.errors import InvalidRequest

SEARCH_TOOL_TYPES = {
    "tool_search_tool_bm25": "bm25",
    "tool_search_tool_regex": "regex",
}
"""Anthropic's server tools for tool search (by type prefix) -> the search method."""


@dataclass
class ToolPlan:
    """The request's tools: what the model sees now, what waits for a search, and the search
    tool (its name and method) when there is one."""

    visible: list[dict[str, Any]] = field(default_factory=list)
    deferred: list[dict[str, Any]] = field(default_factory=list)
    search_name: str | None = None
    search_method: str | None = None

    def as_chat_tools(self) -> list[dict[str, Any]] | None:
        tools = [_chat_tool(t) for t in self.visible]
        if self.search_name is not None:
            key = "pattern" if self.search_method == "regex" else "query"
            tools.append(
                _chat_tool(
                    {
                        "name": self.search_name,
                        "description": "Search the available tools; returns the names of the "
                        "tools that match. Call it before answering when no listed tool fits.",
                        "input_schema": {
                            "type": "object",
                            "properties": {key: {"type": "string"}},
                            "required": [key],
                        },
                    }
                )
            )
        return tools or None

    def load(self, names: list[str]) -> None:
        """Make deferred tools visible (after a search found them)."""
        for tool in [t for t in self.deferred if t["name"] in names]:
            self.deferred.remove(tool)
            self.visible.append(tool)


def _chat_tool(tool: dict[str, Any]) -> dict[str, Any]:
    function: dict[str, Any] = {"name": tool["name"], "parameters": tool["input_schema"]}
    if tool.get("description"):
        function["description"] = tool["description"]
    return {"type": "function", "function": function}


def plan_tools(raw: list[dict[str, Any]] | None) -> ToolPlan:
    plan = ToolPlan()
    names: set[str] = set()
    for index, tool in enumerate(raw or []):
        where = f"tools.{index}"
        kind = str(tool.get("type") or "custom")
        method = next((m for p, m in SEARCH_TOOL_TYPES.items() if kind.startswith(p)), None)
        if method is not None:
            plan.search_name = str(tool.get("name") or kind.rsplit("_", 1)[0])
            plan.search_method = method
            continue
        if kind != "custom":
            raise InvalidRequest(
                f"{where}: tool type {kind!r} is not supported; use custom tools or "
                "tool_search_tool_bm25 / tool_search_tool_regex.",
                param=f"{where}.type",
            )
        name = tool.get("name")
        if not isinstance(name, str) or not name or len(name) > 128:
            raise InvalidRequest(f"{where}.name: a tool needs a name.", param=f"{where}.name")
        if name in names:
            raise InvalidRequest(f"{where}.name: tool names must be unique.", param=f"{where}.name")
        names.add(name)
        schema = tool.get("input_schema")
        check_parameters_schema(schema, f"{where}.input_schema")
        entry = {"name": name, "description": tool.get("description") or "", "input_schema": schema}
        (plan.deferred if tool.get("defer_loading") else plan.visible).append(entry)
    if plan.deferred and plan.search_name is None:
        raise InvalidRequest(
            "Tools with defer_loading need a tool search tool (tool_search_tool_bm25 or "
            "tool_search_tool_regex) in 'tools'.",
            param="tools",
        )
    return plan


def system_text(system: str | list[dict[str, Any]] | None) -> str:
    if system is None or isinstance(system, str):
        return system or ""
    parts = []
    for index, block in enumerate(system):
        if block.get("type") != "text":
            raise InvalidRequest(
                f"system.{index}: system blocks must be text.", param=f"system.{index}.type"
            )
        parts.append(str(block.get("text", "")))
    return "\n\n".join(parts)


def chat_messages(body: CountTokensBody) -> list[dict[str, Any]]:
    messages: list[dict[str, Any]] = []
    system = system_text(body.system)
    if system:
        messages.append({"role": "system", "content": system})
    calls_seen: set[str] = set()
    for index, message in enumerate(body.messages):
        blocks = (
            [{"type": "text", "text": message.content}]
            if isinstance(message.content, str)
            else message.content
        )
        if message.role == "assistant":
            messages.append(_assistant(index, blocks, calls_seen))
        else:
            messages.extend(_user(index, blocks, calls_seen))
    return messages


def _assistant(index: int, blocks: list[dict[str, Any]], calls_seen: set[str]) -> dict[str, Any]:
    texts: list[str] = []
    calls: list[dict[str, Any]] = []
    for j, block in enumerate(blocks):
        where = f"messages.{index}.content.{j}"
        kind = block.get("type")
        if kind == "text":
            texts.append(str(block.get("text", "")))
        elif kind in ("tool_use", "server_tool_use"):
            call_id = block.get("id")
            if not isinstance(call_id, str) or not isinstance(block.get("name"), str):
                raise InvalidRequest(f"{where}: tool_use needs 'id' and 'name'.", param=where)
            calls_seen.add(call_id)
            arguments = json.dumps(block.get("input") or {}, ensure_ascii=False)
            calls.append(
                {
                    "id": call_id,
                    "type": "function",
                    "function": {"name": block["name"], "arguments": arguments},
                }
            )
        elif kind in ("thinking", "redacted_thinking", "tool_search_tool_result"):
            continue
        else:
            _unsupported(kind, where)
    body: dict[str, Any] = {"role": "assistant", "content": "".join(texts)}
    if calls:
        body["tool_calls"] = calls
    return body


def _user(index: int, blocks: list[dict[str, Any]], calls_seen: set[str]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    texts: list[str] = []
    for j, block in enumerate(blocks):
        where = f"messages.{index}.content.{j}"
        kind = block.get("type")
        if kind == "text":
            texts.append(str(block.get("text", "")))
        elif kind == "tool_result":
            call_id = block.get("tool_use_id")
            if call_id not in calls_seen:
                raise InvalidRequest(
                    f"{where}: unexpected `tool_use_id` found in `tool_result` blocks: "
                    f"{call_id}. Each `tool_result` block must have a corresponding `tool_use` "
                    "block in the previous message.",
                    param=f"{where}.tool_use_id",
                )
            content = _result_text(block.get("content"), where)
            if block.get("is_error"):
                content = f"Error: {content}"
            out.append({"role": "tool", "tool_call_id": call_id, "content": content})
        else:
            _unsupported(kind, where)
    if texts:
        out.append({"role": "user", "content": "".join(texts)})
    return out


def _result_text(content: Any, where: str) -> str:
    if content is None or isinstance(content, str):
        return content or ""
    parts = []
    for block in content:
        if block.get("type") != "text":
            _unsupported(block.get("type"), f"{where}.content")
        parts.append(str(block.get("text", "")))
    return "".join(parts)


def _unsupported(kind: Any, where: str) -> None:
    if kind in ("image", "document"):
        raise InvalidRequest(
            f"{where}: this model reads text only; {kind} blocks are not supported.",
            param=f"{where}.type",
            code="unsupported_content",
        )
    raise InvalidRequest(f"{where}: unknown content block type {kind!r}.", param=f"{where}.type")


def tool_choice(choice: ToolChoice | None, plan: ToolPlan) -> str | dict[str, Any] | None:
    if choice is None:
        return None
    if choice.type == "tool":
        if choice.name is None or choice.name not in {t["name"] for t in plan.visible}:
            raise InvalidRequest(
                f"tool_choice names {choice.name!r}, which is not a loaded tool.",
                param="tool_choice.name",
            )
        return {"type": "function", "function": {"name": choice.name}}
    return {"auto": "auto", "any": "required", "none": "none"}[choice.type]

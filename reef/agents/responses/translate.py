"""Responses API input items -> the engine's chat messages, checking each item as OpenAI does.

The Responses API speaks in items (`message`, `function_call`, `function_call_output`); the
engine in chat messages. A run of `function_call` items becomes one assistant message with
`tool_calls`; each `function_call_output` a `tool` message, which must answer a call made
earlier in the conversation.
"""

from __future__ import annotations

import json
from typing import Any

from reef.agents.responses.schemas import ResponsesBody
from reef.agents.toolsearch.tools import check_parameters_schema
from reef.engine.protocol import ChatRequest
from reef.errors import InvalidRequest

MESSAGE_ROLES = {"user", "assistant", "system", "developer"}
TEXT_PARTS = {"input_text", "output_text", "text", "refusal"}
ITEM_TYPES = ("message", "function_call", "function_call_output")


def normalise_input(raw: str | list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The input as items (a string is one user message), each checked."""
    if isinstance(raw, str):
        return [{"type": "message", "role": "user", "content": raw}]
    if not raw:
        raise InvalidRequest("'input' must not be empty.", param="input", code="empty_input")
    return [_checked_item(i, item) for i, item in enumerate(raw)]


def _checked_item(index: int, item: Any) -> dict[str, Any]:
    where = f"input[{index}]"
    if not isinstance(item, dict):
        raise InvalidRequest(f"{where} must be an object.", param=where, code="invalid_type")
    kind = item.get("type", "message" if "role" in item else None)
    if kind == "message":
        role = item.get("role")
        if role not in MESSAGE_ROLES:
            raise InvalidRequest(
                f"{where}.role must be one of {sorted(MESSAGE_ROLES)}, got {role!r}.",
                param=f"{where}.role",
                code="invalid_value",
            )
        return {"type": "message", "role": role, "content": _text(item.get("content"), where)}
    if kind == "function_call":
        for key in ("call_id", "name", "arguments"):
            if not isinstance(item.get(key), str):
                raise InvalidRequest(
                    f"{where}.{key} must be a string.", param=f"{where}.{key}", code="invalid_value"
                )
        return {
            "type": "function_call",
            "call_id": item["call_id"],
            "name": item["name"],
            "arguments": item["arguments"],
        }
    if kind == "function_call_output":
        if not isinstance(item.get("call_id"), str):
            raise InvalidRequest(
                f"{where}.call_id must be a string.", param=f"{where}.call_id", code="invalid_value"
            )
        output = item.get("output")
        if not isinstance(output, str):
            output = json.dumps(output, ensure_ascii=False)
        return {"type": "function_call_output", "call_id": item["call_id"], "output": output}
    raise InvalidRequest(
        f"{where} has unsupported type {kind!r}; supported: {', '.join(ITEM_TYPES)}.",
        param=f"{where}.type",
        code="unsupported_item_type",
    )


def _text(content: Any, where: str) -> str:
    if isinstance(content, str):
        return content
    if not isinstance(content, list):
        raise InvalidRequest(
            f"{where}.content must be a string or a list of parts.",
            param=f"{where}.content",
            code="invalid_value",
        )
    texts = []
    for j, part in enumerate(content):
        kind = part.get("type") if isinstance(part, dict) else None
        if kind not in TEXT_PARTS:
            raise InvalidRequest(
                f"{where}.content[{j}] has type {kind!r}; this model reads text only.",
                param=f"{where}.content[{j}].type",
                code="unsupported_content",
            )
        texts.append(str(part.get("text") or part.get("refusal") or ""))
    return "".join(texts)


def chat_messages(instructions: str | None, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Chat messages for the engine; a `function_call_output` must answer an earlier call."""
    messages: list[dict[str, Any]] = []
    if instructions:
        messages.append({"role": "system", "content": instructions})
    calls_seen: set[str] = set()
    for index, item in enumerate(items):
        kind = item["type"]
        if kind == "message":
            role = "system" if item["role"] == "developer" else item["role"]
            messages.append({"role": role, "content": item["content"]})
        elif kind == "function_call":
            call = {
                "id": item["call_id"],
                "type": "function",
                "function": {"name": item["name"], "arguments": item["arguments"]},
            }
            calls_seen.add(item["call_id"])
            last = messages[-1] if messages else None
            if last is not None and last["role"] == "assistant" and last.get("tool_calls"):
                last["tool_calls"].append(call)
            else:
                messages.append({"role": "assistant", "content": "", "tool_calls": [call]})
        else:
            if item["call_id"] not in calls_seen:
                raise InvalidRequest(
                    f"No tool call found for function call output with call_id "
                    f"{item['call_id']!r}.",
                    param=f"input[{index}].call_id",
                    code="unknown_call_id",
                )
            messages.append(
                {"role": "tool", "tool_call_id": item["call_id"], "content": item["output"]}
            )
    if not any(m["role"] != "system" for m in messages):
        raise InvalidRequest("'input' holds no message.", param="input", code="empty_input")
    return messages


def tool_choice(body: ResponsesBody) -> str | dict[str, Any] | None:
    choice = body.tool_choice
    if choice is None or not body.tools:
        if isinstance(choice, dict) or choice == "required":
            raise InvalidRequest(
                "'tool_choice' needs 'tools'.", param="tool_choice", code="invalid_value"
            )
        return None
    if isinstance(choice, str):
        return choice
    name = choice.get("name")
    if choice.get("type") != "function" or not isinstance(name, str):
        raise InvalidRequest(
            '\'tool_choice\' must be none, auto, required or {"type": "function", "name"}.',
            param="tool_choice",
            code="invalid_value",
        )
    if name not in {t.name for t in body.tools}:
        raise InvalidRequest(
            f"'tool_choice' names {name!r}, which is not in 'tools'.",
            param="tool_choice",
            code="invalid_value",
        )
    return {"type": "function", "function": {"name": name}}


def response_format(body: ResponsesBody) -> dict[str, Any] | None:
    fmt = body.text.format if body.text is not None else None
    if fmt is None or fmt.type == "text":
        return None
    if fmt.type == "json_object":
        return {"type": "json_object"}
    if fmt.json_schema is None or fmt.name is None:
        raise InvalidRequest(
            "text.format of type 'json_schema' needs 'name' and 'schema'.",
            param="text.format",
            code="invalid_value",
        )
    return {
        "type": "json_schema",
        "json_schema": {"name": fmt.name, "schema": fmt.json_schema, "strict": fmt.strict},
    }


def check_tools(body: ResponsesBody) -> None:
    """Each function tool's `parameters` must be a JSON Schema for an object."""
    for index, tool in enumerate(body.tools or []):
        if tool.parameters is not None:
            check_parameters_schema(tool.parameters, f"tools[{index}].parameters")


def chat_request(
    body: ResponsesBody, model: str, messages: list[dict[str, Any]], request_id: str
) -> ChatRequest:
    check_tools(body)
    tools = (
        [
            {"type": "function", "function": t.model_dump(exclude_none=True, exclude={"type"})}
            for t in body.tools
        ]
        if body.tools
        else None
    )
    return ChatRequest(
        model=model,
        messages=messages,
        stream=True,
        tools=tools,
        tool_choice=tool_choice(body),
        response_format=response_format(body),
        max_tokens=body.max_output_tokens,
        temperature=body.temperature,
        top_p=body.top_p,
        seed=body.seed,
        user=body.user,
        request_id=request_id,
    )

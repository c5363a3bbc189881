"""The message object, its content blocks and the stream's events, in Anthropic's shapes."""

from __future__ import annotations

import json
import uuid
from typing import Any

from reef.engine.protocol import Usage

STOP_REASONS = {"stop": "end_turn", "length": "max_tokens", "tool_calls": "tool_use"}


def new_id(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex[:24]}"


def usage_body(usage: Usage) -> dict[str, Any]:
    """Anthropic counts cache reads apart from `input_tokens`."""
    return {
        "input_tokens": max(0, usage.prompt_tokens - usage.cached_tokens),
        "cache_creation_input_tokens": 0,
        "cache_read_input_tokens": usage.cached_tokens,
        "output_tokens": usage.completion_tokens,
    }


def tool_use_block(name: str, arguments: str, *, server: bool = False) -> dict[str, Any]:
    try:
        parsed = json.loads(arguments) if arguments.strip() else {}
    except json.JSONDecodeError:
        parsed = {"_raw": arguments}
    if not isinstance(parsed, dict):
        parsed = {"value": parsed}
    kind = "server_tool_use" if server else "tool_use"
    return {
        "type": kind,
        "id": new_id("srvtoolu" if server else "toolu"),
        "name": name,
        "input": parsed,
    }


def search_result_block(tool_use_id: str, names: list[str]) -> dict[str, Any]:
    return {
        "type": "tool_search_tool_result",
        "tool_use_id": tool_use_id,
        "content": {
            "type": "tool_search_tool_search_result",
            "tool_references": [{"type": "tool_reference", "tool_name": n} for n in names],
        },
    }


def message(
    message_id: str,
    model: str,
    content: list[dict[str, Any]],
    stop_reason: str | None,
    stop_sequence: str | None,
    usage: Usage,
) -> dict[str, Any]:
    return {
        "id": message_id,
        "type": "message",
        "role": "assistant",
        "model": model,
        "content": content,
        "stop_reason": stop_reason,
        "stop_sequence": stop_sequence,
        "usage": usage_body(usage),
    }


def event(kind: str, body: dict[str, Any]) -> str:
    data = json.dumps({"type": kind, **body}, ensure_ascii=False, separators=(",", ":"))
    return f"event: {kind}\ndata: {data}\n\n"


def block_events(index: int, block: dict[str, Any]) -> list[str]:
    """A whole non-text block as start / (input_json_delta) / stop events."""
    if block["type"] in ("tool_use", "server_tool_use"):
        start = {**block, "input": {}}
        return [
            event("content_block_start", {"index": index, "content_block": start}),
            event(
                "content_block_delta",
                {
                    "index": index,
                    "delta": {
                        "type": "input_json_delta",
                        "partial_json": json.dumps(block["input"], ensure_ascii=False),
                    },
                },
            ),
            event("content_block_stop", {"index": index}),
        ]
    return [
        event("content_block_start", {"index": index, "content_block": block}),
        event("content_block_stop", {"index": index}),
    ]

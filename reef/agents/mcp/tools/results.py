"""How a tool answers: structured content (checked against the tool's output schema) plus the
same JSON as text, as the MCP specification asks of tools with structured output."""

from __future__ import annotations

from collections.abc import Sequence

from mcp_types import CallToolResult, ContentBlock, TextContent
from pydantic import BaseModel


def structured(result: BaseModel, extra: Sequence[ContentBlock] = ()) -> CallToolResult:
    body = result.model_dump(mode="json")
    text = TextContent(type="text", text=result.model_dump_json())
    return CallToolResult(content=[*extra, text], structured_content=body)

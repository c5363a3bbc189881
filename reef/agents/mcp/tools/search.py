"""Tool search over an organisation's toolsets (`POST /v1/tools/search`)."""

from __future__ import annotations

from typing import Annotated

from mcp_types import CallToolResult
from pydantic import BaseModel, Field

from reef.agents.mcp.tools.results import structured
from reef.agents.mcp.twin import call_twin


class ToolHit(BaseModel):
    name: str
    score: float


class ToolSearchOutput(BaseModel):
    request_id: str
    data: list[ToolHit] = Field(description="the best matching tools, best first")


async def tool_search(
    query: Annotated[str, Field(min_length=1, description="what the tool should do")],
    toolset: Annotated[str, Field(min_length=1, description="a toolset id (`POST /v1/toolsets`)")],
    k: Annotated[int, Field(ge=1, le=100, description="how many tools to return")] = 5,
) -> Annotated[CallToolResult, ToolSearchOutput]:
    """Find the tools of a toolset that fit a task (`POST /v1/tools/search`)."""
    body = {"query": query, "toolset": toolset, "k": k}
    answer = await call_twin("POST", "/v1/tools/search", json=body)
    hits = [ToolHit(name=h["name"], score=h["score"]) for h in answer.json()["data"]]
    return structured(ToolSearchOutput(request_id=answer.request_id, data=hits))


TOOLS = (tool_search,)

"""`/v1/toolsets` (tool catalogues per organisation) and `/v1/tools/search` (the best tools of
a toolset for a query: hybrid BM25 + embeddings, keywords alone, or a regex)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field

from reef.agents.toolsearch.service import ToolSearchService
from reef.agents.toolsearch.storage import ToolsetRecord
from reef.http.deps import Caller, Meter, provided
from reef.http.schemas import (
    COMMON_ERRORS,
    AfterParam,
    Deleted,
    LimitParam,
    Page,
    error_responses,
    page_of,
)

router = APIRouter(tags=["agents"], responses={**COMMON_ERRORS, **error_responses(403, 413)})
Toolsets = Annotated[ToolSearchService, Depends(provided(ToolSearchService))]

TOOLS_DESCRIPTION = (
    "OpenAI function tools: `{'type': 'function', 'function': {'name', 'description', "
    "'parameters'}}` (the Responses API's flat form is accepted too)"
)


class ToolsetCreateBody(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    tools: list[dict[str, Any]] = Field(default_factory=list, description=TOOLS_DESCRIPTION)


class ToolsAddBody(BaseModel):
    tools: list[dict[str, Any]] = Field(min_length=1, description=TOOLS_DESCRIPTION)


class ToolsetObject(BaseModel):
    id: str
    object: Literal["toolset"] = "toolset"
    name: str
    tool_count: int
    embedding_model: str | None = Field(
        description="model of the tools' vectors; null: searched by keywords only"
    )
    created_at: int


class ToolsetPage(Page[ToolsetObject]):
    pass


class SearchBody(BaseModel):
    query: str = Field(description="what the agent needs; with method 'regex', a pattern")
    toolset: str = Field(max_length=200, description="the toolset's id")
    k: int = Field(5, description="most tools returned")
    method: Literal["hybrid", "bm25", "embedding", "regex"] = Field(
        "hybrid",
        description="'hybrid': keywords and embeddings fused by rank; 'bm25' or 'embedding' "
        "alone; 'regex': a Python-syntax pattern over names, descriptions and parameters",
    )


class ToolMatch(BaseModel):
    name: str
    score: float = Field(description="higher is better; comparable within one search only")


class ToolSearchList(BaseModel):
    object: Literal["list"] = "list"
    data: list[ToolMatch]


def toolset_view(record: ToolsetRecord) -> dict[str, Any]:
    return {
        "id": record.id,
        "object": "toolset",
        "name": record.name,
        "tool_count": record.tool_count,
        "embedding_model": record.embedding_model,
        "created_at": int(record.created_at.timestamp()),
    }


@router.post("/v1/toolsets", name="toolsets.create", response_model=ToolsetObject)
async def create_toolset(
    body: ToolsetCreateBody, principal: Caller, meter: Meter, service: Toolsets
) -> dict[str, Any]:
    """A toolset holding `tools` (at most 500 per request; add more with `/tools`)."""
    return toolset_view(await service.create(principal, meter, body.name, body.tools))


@router.post(
    "/v1/toolsets/{toolset_id}/tools", name="toolsets.add_tools", response_model=ToolsetObject
)
async def add_tools(
    toolset_id: str, body: ToolsAddBody, principal: Caller, meter: Meter, service: Toolsets
) -> dict[str, Any]:
    """Add up to 500 tools; a name the toolset already has refuses the whole request."""
    return toolset_view(await service.add(principal, meter, toolset_id, body.tools))


@router.get("/v1/toolsets", response_model=ToolsetPage)
async def list_toolsets(
    principal: Caller,
    service: Toolsets,
    limit: int = LimitParam,
    after: str | None = AfterParam,
) -> dict[str, Any]:
    """The organisation's toolsets, newest first."""
    limit = min(limit, service.settings.list_limit_max)
    found = await service.list_toolsets(principal, limit + 1, after)
    return page_of([toolset_view(r) for r in found], limit)


@router.get("/v1/toolsets/{toolset_id}", response_model=ToolsetObject)
async def get_toolset(toolset_id: str, principal: Caller, service: Toolsets) -> dict[str, Any]:
    return toolset_view(await service.get(principal, toolset_id))


@router.delete("/v1/toolsets/{toolset_id}", response_model=Deleted)
async def delete_toolset(toolset_id: str, principal: Caller, service: Toolsets) -> dict[str, Any]:
    await service.delete(principal, toolset_id)
    return {"id": toolset_id, "object": "toolset", "deleted": True}


@router.post("/v1/tools/search", name="tools.search", response_model=ToolSearchList)
async def search_tools(
    body: SearchBody, principal: Caller, meter: Meter, service: Toolsets
) -> dict[str, Any]:
    """The toolset's best `k` tools for `query`, best first."""
    hits = await service.search(principal, meter, body.toolset, body.query, body.k, body.method)
    return {"object": "list", "data": [{"name": h.name, "score": h.score} for h in hits]}

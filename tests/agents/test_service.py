"""`ToolSearchService.search_tools`, the search `/v1/messages` runs over the tools a request
carries: Anthropic-shaped tools, embeddings cached per organisation, usage handed back for
the caller to charge."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from reef.agents.toolsearch.service import ToolSearchService
from reef.engine.catalogue import Catalogue
from reef.engine.router import Router
from reef.errors import InvalidRequest
from reef.platform.types import Principal
from reef.settings import Settings, ToolSearchSettings
from reef.store.db import Database
from tests.agents.sample_tools import TOOLS

ANTHROPIC_TOOLS = [
    {
        "name": t["function"]["name"],
        "description": t["function"]["description"],
        "input_schema": t["function"]["parameters"],
        "defer_loading": True,
    }
    for t in TOOLS
]


def principal(org_id: int) -> Principal:
    return Principal(org_id=org_id, org_name=f"org{org_id}", key_id=org_id)


@pytest.fixture
async def service(
    sqlite_db: Database, make_services: Callable[..., Any], settings: Callable[..., Settings]
) -> AsyncIterator[ToolSearchService]:
    config = settings()
    router = Router(Catalogue.load(), config.engine, 30)
    services = await make_services(sqlite_db)
    yield ToolSearchService(ToolSearchSettings(), sqlite_db, router.catalogue, router, services)
    await router.close()


async def test_hybrid_over_request_tools_embeds_each_tool_once_per_org(
    service: ToolSearchService,
) -> None:
    first = await service.search_tools(
        principal(1), ANTHROPIC_TOOLS, "wake me up at 6:30", 3, "hybrid"
    )
    assert first.hits[0].name == "setAlarm" and first.model == "all-minilm-l6-v2"
    again = await service.search_tools(
        principal(1), ANTHROPIC_TOOLS, "wake me up at 6:30", 3, "hybrid"
    )
    assert again.hits == first.hits
    assert again.usage.prompt_tokens == 0  # tools and query were embedded for this org already
    query_only = await service.search_tools(principal(1), ANTHROPIC_TOOLS, "play jazz", 3, "hybrid")
    assert 0 < query_only.usage.prompt_tokens < 10
    other = await service.search_tools(
        principal(2), ANTHROPIC_TOOLS, "wake me up at 6:30", 3, "hybrid"
    )
    assert other.usage.prompt_tokens == first.usage.prompt_tokens > 100


async def test_bm25_and_regex_use_no_model(service: ToolSearchService) -> None:
    found = await service.search_tools(principal(1), ANTHROPIC_TOOLS, "ticker symbol", 2, "bm25")
    assert found.hits[0].name == "get_stock_price"
    assert (found.model, found.usage.prompt_tokens) == ("", 0)
    regex = await service.search_tools(principal(1), ANTHROPIC_TOOLS, r"(?i)alarm", 5, "regex")
    assert [h.name for h in regex.hits] == ["setAlarm"]
    with pytest.raises(InvalidRequest) as caught:
        await service.search_tools(principal(1), ANTHROPIC_TOOLS, "(a|aa", 5, "regex")
    assert caught.value.code == "invalid_regex"

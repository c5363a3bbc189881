"""The tool search tool, answered by Reef: the model's query (BM25, as Anthropic's
`tool_search_tool_bm25`) or pattern (`tool_search_tool_regex`) over the request's deferred
tools, through the same retrieval as `/v1/tools/search`."""

from __future__ import annotations

from typing import Any

from reef.agents.messages.translate import ToolPlan
from reef.agents.toolsearch import search_tools

SEARCH_RESULTS = 5


def run_search(plan: ToolPlan, arguments: dict[str, Any]) -> list[str]:
    """Names of the deferred tools that match (up to `SEARCH_RESULTS`); a bad regex is the
    caller's 400 (`invalid_regex`)."""
    query = str(arguments.get("pattern") or arguments.get("query") or "")
    if not query or not plan.deferred:
        return []
    if plan.search_method == "regex":
        hits = search_tools(plan.deferred, query, SEARCH_RESULTS, "regex")
    else:
        hits = search_tools(plan.deferred, query, SEARCH_RESULTS, "bm25")
    return [hit.name for hit in hits]

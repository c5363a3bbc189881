"""The tool search tool, answered by Reef: the model's query (or pattern) over the request's
deferred tools, through the same retrieval as `/v1/tools/search`."""

from __future__ import annotations

from typing import Any

from reef.agents.messages.translate import ToolPlan

SEARCH_RESULTS = 5


def run_search(plan: ToolPlan, arguments: dict[str, Any]) -> list[str]:
    """Names of the deferred tools that match (up to `SEARCH_RESULTS`)."""
    query = str(arguments.get("pattern") or arguments.get("query") or "")
    if not query or not plan.deferred:
        return []
    tools = [
        {
            "type": "function",
            "function": {
                "name": t["name"],
                "description": t["description"],
                "parameters": t["input_schema"],
            },
        }
        for t in plan.deferred
    ]
    from reef.agents.toolsearch import search_tools  # the retrieval index loads on first use

    method = "regex" if plan.search_method == "regex" else "bm25"
    return [hit.name for hit in search_tools(tools, query, SEARCH_RESULTS, method)]

"""`search_tools`: search a list of tools given in a request, with no stored toolset (as
`/v1/messages` does for Anthropic's `tool_search_tool_bm25` and `tool_search_tool_regex` over
its `defer_loading` tools). Pure: BM25 and regex need no model; `hybrid` and `embedding` use
vectors the caller computed (`ToolSearchService.search_tools` does that, metered)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from reef.agents.toolsearch.hits import SearchMethod, ToolHit
from reef.agents.toolsearch.index import SearchParams, ToolIndex
from reef.agents.toolsearch.regex_search import regex_search
from reef.agents.toolsearch.tools import ToolDoc, tool_docs


def search_tools(
    tools: Sequence[Mapping[str, Any] | ToolDoc],
    query: str,
    k: int = 5,
    method: SearchMethod = "bm25",
    *,
    vectors: np.ndarray | None = None,
    query_vector: Sequence[float] | np.ndarray | None = None,
    params: SearchParams | None = None,
) -> list[ToolHit]:
    """The best `k` of `tools` (OpenAI Chat, OpenAI Responses or Anthropic shapes) for
    `query`; a `regex` query is a Python-syntax pattern and may raise InvalidRequest
    (`invalid_regex`). `ToolHit.index` is the tool's position in `tools`."""
    docs = tool_docs(tools)
    params = params or SearchParams()
    if method == "regex":
        return regex_search(docs, query, k, params.regex)
    return ToolIndex(docs, vectors, params).search(query, k, method, query_vector)

"""Tool search: finding the few tools an agent needs in a catalogue of thousands.

`search_tools` searches a list of tools a request carries; `ToolSearchService` keeps toolsets
per organisation, indexed once, and searches them (hybrid BM25 + embeddings with rank fusion,
BM25 alone, or a time-limited regex).
"""

from reef.agents.toolsearch.hits import SearchMethod, ToolHit
from reef.agents.toolsearch.regex_search import RegexLimits, regex_search
from reef.agents.toolsearch.search import search_tools
from reef.agents.toolsearch.tools import ToolDoc, check_parameters_schema, tool_doc

__all__ = [
    "RegexLimits",
    "SearchMethod",
    "ToolDoc",
    "ToolHit",
    "check_parameters_schema",
    "regex_search",
    "search_tools",
    "tool_doc",
]

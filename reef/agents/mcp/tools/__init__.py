"""The MCP tools, one module per family of HTTP twins. Each module lists its tools in `TOOLS`;
the server registers every one of them (adding a family is one line in `ALL_TOOLS`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from reef.agents.mcp.tools import companion, gateway, search

ALL_TOOLS: tuple[Callable[..., Any], ...] = (*gateway.TOOLS, *companion.TOOLS, *search.TOOLS)

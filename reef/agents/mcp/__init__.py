"""Reef as an MCP server: `/mcp` (streamable HTTP) offers the platform's APIs as MCP tools.

Each tool calls its HTTP twin in-process with the caller's own key, so keys, metering, limits,
budgets and isolation are exactly the HTTP route's (see `twin`)."""

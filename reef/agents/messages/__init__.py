"""The Anthropic Messages API over Reef's engines (also served under `/anthropic`, as MiniMax
does, for clients such as MiniMax's Mini-Agent and Claude Code)."""

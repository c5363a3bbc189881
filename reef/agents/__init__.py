"""Reef agents: the agent-facing APIs (OpenAI Responses, Anthropic Messages) and tool search."""

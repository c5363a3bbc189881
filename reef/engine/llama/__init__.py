"""The embedded llama.cpp engine: continuous batching, prefix reuse, grammars, tool calls."""

from reef.engine.llama.backend import EmbeddedChatBackend

__all__ = ["EmbeddedChatBackend"]

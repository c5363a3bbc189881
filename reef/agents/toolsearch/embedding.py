"""Embedding tool documents and queries with a catalogue embedding model, fitted to its window.

The engine's embedding backends refuse inputs longer than the model reads (right for
`/v1/embeddings`, where silently cutting a caller's text would be a lie). Tool search only
needs the gist of a long description or query, so it cuts texts at a word boundary instead:
first to `max_chars`, then, for a text the model still refuses, by halves until it fits.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from reef.engine.protocol import EmbeddingBackend
from reef.errors import ContextLengthExceeded

MIN_CHARS = 32
BATCH = 64


@dataclass(frozen=True)
class Embedded:
    vectors: np.ndarray
    prompt_tokens: int


def clip(text: str, max_chars: int) -> str:
    """`text` cut to at most `max_chars`, at the last space before the cut when there is one."""
    if len(text) <= max_chars:
        return text
    head = text[:max_chars]
    space = head.rfind(" ")
    return head[:space] if space > max_chars // 2 else head


class FittedEmbedder:
    """Embeds any texts with `backend`, cutting each to what the model reads."""

    def __init__(self, backend: EmbeddingBackend, model: str, max_chars: int = 1000) -> None:
        self.backend = backend
        self.model = model
        self.max_chars = max_chars

    async def embed(self, texts: Sequence[str]) -> Embedded:
        vectors: list[list[float]] = []
        tokens = 0
        for start in range(0, len(texts), BATCH):
            batch = [clip(t, self.max_chars) or " " for t in texts[start : start + BATCH]]
            try:
                result = await self.backend.embed(batch)
                vectors.extend(result.vectors)
                tokens += result.prompt_tokens
            except ContextLengthExceeded:
                for text in batch:
                    vector, used = await self._embed_one(text)
                    vectors.append(vector)
                    tokens += used
        matrix = np.asarray(vectors, dtype=np.float32).reshape(len(texts), -1)
        return Embedded(matrix, tokens)

    async def _embed_one(self, text: str) -> tuple[list[float], int]:
        limit = len(text)
        while True:
            try:
                result = await self.backend.embed([clip(text, limit)])
                return result.vectors[0], result.prompt_tokens
            except ContextLengthExceeded:
                if limit <= MIN_CHARS:
                    raise
                limit = max(limit // 2, MIN_CHARS)

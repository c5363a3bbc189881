"""A dependency-free text embedder: hashed words and character trigrams.

For setups without an embedding model and for fast deterministic tests. It captures word
overlap and spelling variants, not meaning: "pets" is close to "pet", not to "dog".
"""

from __future__ import annotations

import hashlib
import math

from reef.companion.memory.text import content_terms

TRIGRAM_WEIGHT = 0.5  # a shared trigram counts half as much as a shared word


class HashingEmbedder:
    """`EmbedFn`: `await HashingEmbedder()(texts)` gives unit vectors of `dimensions` floats."""

    def __init__(self, dimensions: int = 256) -> None:
        self.dimensions = dimensions

    async def __call__(self, texts: list[str]) -> list[list[float]]:
        return [self.vector(text) for text in texts]

    def vector(self, text: str) -> list[float]:
        values = [0.0] * self.dimensions
        for term in content_terms(text):
            self._add(values, "w:" + term, 1.0)
            padded = f"#{term}#"
            for i in range(len(padded) - 2):
                self._add(values, "t:" + padded[i : i + 3], TRIGRAM_WEIGHT)
        norm = math.sqrt(sum(v * v for v in values))
        return [v / norm for v in values] if norm > 0 else values

    def _add(self, values: list[float], feature: str, weight: float) -> None:
        digest = hashlib.blake2b(feature.encode(), digest_size=8).digest()
        number = int.from_bytes(digest, "little")
        sign = 1.0 if number & 1 else -1.0
        values[(number >> 1) % self.dimensions] += sign * weight

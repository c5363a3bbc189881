"""What a search answers."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

SearchMethod = Literal["hybrid", "bm25", "embedding", "regex"]
"""`hybrid`: BM25 and embeddings fused by rank; `bm25`/`embedding`: one of them alone;
`regex`: a pattern matched against names, descriptions and parameters."""


@dataclass(frozen=True)
class ToolHit:
    """A found tool: its name, its position in the searched list, and its score (higher is
    better; comparable only within one search)."""

    name: str
    index: int
    score: float

"""Reciprocal-rank fusion (Cormack et al., 2009), weighted per retriever: a tool's fused
score is the sum over retrievers of weight / (k + rank). Ranks, unlike raw scores, compare
across BM25 and cosine without calibration."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class FusionParams:
    k: float = 20.0
    lexical_weight: float = 1.2
    semantic_weight: float = 1.0
    depth: int = 100
    """Only each retriever's best `depth` tools count (the tail's ranks are noise)."""


def ranks(scores: np.ndarray, depth: int, *, positive_only: bool) -> dict[int, int]:
    """Document index -> 1-based rank among the `depth` best (ties broken by index); with
    `positive_only`, documents scoring 0 or less are unranked (BM25: no term matched)."""
    if scores.size == 0:
        return {}
    top = np.argsort(-scores, kind="stable")[:depth]
    if positive_only:
        top = top[scores[top] > 0]
    return {int(doc): rank for rank, doc in enumerate(top, start=1)}


def fuse(rankings: Sequence[tuple[dict[int, int], float]], k: float) -> dict[int, float]:
    """Weighted RRF of (ranking, weight) pairs -> document index -> fused score."""
    fused: dict[int, float] = {}
    for ranking, weight in rankings:
        if weight <= 0:
            continue
        for doc, rank in ranking.items():
            fused[doc] = fused.get(doc, 0.0) + weight / (k + rank)
    return fused

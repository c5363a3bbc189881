"""Recall and latency of tool search methods over the BFCL catalogue, with the catalogue's
vectors cached on disk (embedding 2,800 documents takes a minute on two cores)."""

from __future__ import annotations

import asyncio
import hashlib
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from tool_search_data import Question

from reef.agents.toolsearch.embedding import FittedEmbedder

CACHE_DIR = Path(__file__).resolve().parent / ".cache" / "tool-search"
KS = (1, 5, 10)

Ranker = Callable[[int], list[str]]
"""question index -> the names of the best 10 tools, best first"""


@dataclass
class Scores:
    recall: dict[int, float]
    n: int

    def line(self) -> str:
        return " ".join(f"R@{k}={self.recall[k]:.4f}" for k in KS)


def recall(rank: Ranker, questions: Sequence[Question]) -> Scores:
    totals = dict.fromkeys(KS, 0.0)
    for i, question in enumerate(questions):
        names = rank(i)
        for k in KS:
            found = question.gold & set(names[:k])
            totals[k] += len(found) / len(question.gold)
    return Scores({k: totals[k] / len(questions) for k in KS}, len(questions))


class VectorCache:
    """Vectors of texts under one model, kept in one .npz per set of texts."""

    def __init__(self, embedder: FittedEmbedder) -> None:
        self.embedder = embedder
        CACHE_DIR.mkdir(parents=True, exist_ok=True)

    def vectors(self, texts: Sequence[str]) -> np.ndarray:
        digest = hashlib.sha256(
            "\x00".join([self.embedder.model, str(self.embedder.max_chars), *texts]).encode()
        ).hexdigest()[:24]
        path = CACHE_DIR / f"{digest}.npy"
        if path.exists():
            return np.load(path)
        started = time.perf_counter()
        matrix = asyncio.run(self.embedder.embed(list(texts))).vectors
        print(f"  embedded {len(texts)} texts in {time.perf_counter() - started:.1f}s")
        np.save(path, matrix)
        return matrix


def percentile(values: Sequence[float], p: float) -> float:
    return float(np.percentile(np.asarray(values), p))

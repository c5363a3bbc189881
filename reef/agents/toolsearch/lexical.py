"""BM25 over tool documents, with the `bm25s` library (sparse, precomputed scores: a query
costs a few sparse row sums, well under a millisecond for thousands of tools)."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

import bm25s
import numpy as np

logging.getLogger("bm25s").setLevel(logging.WARNING)


@dataclass(frozen=True)
class BM25Params:
    k1: float = 1.2
    b: float = 0.75
    method: str = "lucene"


class LexicalIndex:
    """Scores of every document for a query's terms."""

    def __init__(self, documents: Sequence[list[str]], params: BM25Params) -> None:
        self.size = len(documents)
        self._retriever: bm25s.BM25 | None = None
        if any(documents):
            retriever = bm25s.BM25(k1=params.k1, b=params.b, method=params.method)
            retriever.index([list(doc) for doc in documents], show_progress=False)
            self._retriever = retriever

    def scores(self, query_terms: Sequence[str]) -> np.ndarray:
        retriever = self._retriever
        if retriever is None:
            return np.zeros(self.size, dtype=np.float32)
        ids = retriever.get_tokens_ids(list(query_terms))
        if not ids:
            return np.zeros(self.size, dtype=np.float32)
        return np.asarray(retriever.get_scores_from_ids(ids), dtype=np.float32)

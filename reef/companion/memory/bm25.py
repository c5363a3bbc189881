"""Okapi BM25 keyword scoring over a small corpus of memory texts."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence

K1 = 1.5  # term-frequency saturation
B = 0.75  # document-length normalisation
# A companion may hold only a handful of memories; IDF over three documents would make every
# matched word nearly worthless, so rarity is measured as if there were at least this many.
IDF_MIN_CORPUS = 10


class BM25:
    """Scores of every document for a query, both given as term lists (see `content_terms`)."""

    def __init__(self, documents: Sequence[Sequence[str]]) -> None:
        self._docs = [Counter(doc) for doc in documents]
        self._lengths = [len(doc) for doc in documents]
        self._avg = (sum(self._lengths) / len(documents)) if documents else 0.0
        frequency: Counter[str] = Counter()
        for doc in self._docs:
            frequency.update(doc.keys())
        size = max(len(documents), IDF_MIN_CORPUS)
        self._idf = {
            term: math.log(1 + (size - count + 0.5) / (count + 0.5))
            for term, count in frequency.items()
        }

    def scores(self, query: Sequence[str]) -> list[float]:
        terms = [t for t in dict.fromkeys(query) if t in self._idf]
        results = []
        for doc, length in zip(self._docs, self._lengths, strict=True):
            score = 0.0
            norm = K1 * (1 - B + B * length / self._avg) if self._avg else K1
            for term in terms:
                tf = doc.get(term, 0)
                if tf:
                    score += self._idf[term] * tf * (K1 + 1) / (tf + norm)
            results.append(score)
        return results

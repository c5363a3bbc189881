"""`ToolIndex`: everything needed to search one list of tools, built once (per toolset
version) and then queried many times: the BM25 index over their documents and the matrix of
their embedding vectors."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

import numpy as np

from reef.agents.toolsearch.fusion import FusionParams, fuse, ranks
from reef.agents.toolsearch.hits import SearchMethod, ToolHit
from reef.agents.toolsearch.lexical import BM25Params, LexicalIndex
from reef.agents.toolsearch.regex_search import RegexLimits, regex_search
from reef.agents.toolsearch.semantic import SemanticIndex
from reef.agents.toolsearch.text import DocumentWeights, lexical_terms, terms
from reef.agents.toolsearch.tools import ToolDoc


@dataclass(frozen=True)
class SearchParams:
    """Every knob of retrieval; the defaults were chosen on the tuning split of the BFCL
    benchmark (docs/benchmarks/tool-search.md), never on its test split."""

    bm25: BM25Params = field(default_factory=BM25Params)
    fusion: FusionParams = field(default_factory=FusionParams)
    weights: DocumentWeights = field(default_factory=DocumentWeights)
    regex: RegexLimits = field(default_factory=RegexLimits)


class ToolIndex:
    def __init__(
        self,
        tools: Sequence[ToolDoc],
        vectors: np.ndarray | None = None,
        params: SearchParams | None = None,
    ) -> None:
        self.tools = list(tools)
        self.params = params or SearchParams()
        self._lexical = LexicalIndex(
            [lexical_terms(tool, self.params.weights) for tool in self.tools], self.params.bm25
        )
        self._semantic: SemanticIndex | None = None
        if vectors is not None and len(self.tools) > 0:
            if len(vectors) != len(self.tools):
                raise ValueError(f"{len(vectors)} vectors for {len(self.tools)} tools")
            self._semantic = SemanticIndex(vectors)

    def __len__(self) -> int:
        return len(self.tools)

    @property
    def has_vectors(self) -> bool:
        return self._semantic is not None

    def search(
        self,
        query: str,
        k: int,
        method: SearchMethod = "hybrid",
        query_vector: Sequence[float] | np.ndarray | None = None,
    ) -> list[ToolHit]:
        """The best `k` tools for `query`. `hybrid` and `embedding` use `query_vector` when
        the index has vectors; without them, `hybrid` is BM25 alone and `embedding` finds
        nothing."""
        if method == "regex":
            return regex_search(self.tools, query, k, self.params.regex)
        semantic = None
        wants_vectors = method in ("hybrid", "embedding") and query_vector is not None
        if wants_vectors and self._semantic is not None and query_vector is not None:
            semantic = self._semantic.scores(query_vector)
        if method == "embedding":
            return self._top(semantic, k) if semantic is not None else []
        lexical = self._lexical.scores(terms(query))
        if method == "bm25" or semantic is None:
            return self._top(lexical, k, positive_only=True)
        fusion = self.params.fusion
        fused = fuse(
            [
                (ranks(lexical, fusion.depth, positive_only=True), fusion.lexical_weight),
                (ranks(semantic, fusion.depth, positive_only=False), fusion.semantic_weight),
            ],
            fusion.k,
        )
        best = sorted(fused.items(), key=lambda item: (-item[1], item[0]))
        return self._distinct(((i, score) for i, score in best), k)

    def _top(self, scores: np.ndarray, k: int, *, positive_only: bool = False) -> list[ToolHit]:
        order = np.argsort(-scores, kind="stable")
        ranked = ((int(i), float(scores[i])) for i in order)
        if positive_only:
            ranked = ((i, score) for i, score in ranked if score > 0)
        return self._distinct(ranked, k)

    def _distinct(self, ranked: Iterator[tuple[int, float]], k: int) -> list[ToolHit]:
        """The first `k` hits with distinct names: a tool list naming one tool twice (variants
        of one function) gets one result for it, the best-ranked."""
        hits: list[ToolHit] = []
        seen: set[str] = set()
        for i, score in ranked:
            name = self.tools[i].name
            if name in seen:
                continue
            seen.add(name)
            hits.append(ToolHit(name, i, round(score, 6)))
            if len(hits) == k:
                break
        return hits

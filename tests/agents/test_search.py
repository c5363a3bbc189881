"""Tool search over a small realistic catalogue: identifier splitting, BM25, the bundled MiniLM
embeddings, their rank fusion, and the three tool shapes agents send."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import numpy as np
import pytest

from reef.agents.toolsearch import SearchMethod, ToolDoc, search_tools, tool_doc
from reef.agents.toolsearch.embedding import FittedEmbedder, clip
from reef.agents.toolsearch.index import ToolIndex
from reef.agents.toolsearch.text import embedding_text, split_identifier, terms
from reef.engine.catalogue import Catalogue
from reef.engine.embeddings import SentenceTransformerBackend
from tests.agents.sample_tools import QUERIES, TOOLS
from tests.support.catalogue import EMBEDDING_MODEL


@pytest.fixture(scope="module")
def embedder() -> Iterator[FittedEmbedder]:
    spec = Catalogue.load().get(EMBEDDING_MODEL, kind="embedding")
    backend = SentenceTransformerBackend(spec)
    yield FittedEmbedder(backend, spec.name)
    asyncio.run(backend.close())


@pytest.fixture(scope="module")
def docs() -> list[ToolDoc]:
    return [tool_doc(t) for t in TOOLS]


@pytest.fixture(scope="module")
def vectors(embedder: FittedEmbedder, docs: list[ToolDoc]) -> np.ndarray:
    return asyncio.run(embedder.embed([embedding_text(d) for d in docs])).vectors


def test_identifiers_split_into_words() -> None:
    assert split_identifier("getWeatherForecast") == ["get", "weather", "forecast"]
    assert split_identifier("HTTPServer_v2.restart") == ["http", "server", "v", "2", "restart"]
    assert split_identifier("Hotels_4_SearchHotel") == ["hotels", "4", "search", "hotel"]
    assert terms("Searching the hotels") == ["search", "hotel"]


def test_tools_read_in_every_shape() -> None:
    chat = TOOLS[0]
    responses = {"type": "function", **chat["function"]}
    anthropic = {
        "name": chat["function"]["name"],
        "description": chat["function"]["description"],
        "input_schema": chat["function"]["parameters"],
        "defer_loading": True,
    }
    assert tool_doc(chat) == tool_doc(responses) == tool_doc(anthropic)
    assert tool_doc(anthropic).parameters["properties"]["city"]["type"] == "string"


def test_bm25_finds_tools_by_split_names_and_parameters() -> None:
    assert search_tools(TOOLS, "weather forecast", 1)[0].name == "getWeatherForecast"
    # "cabin" and "business" appear only in book_flight's parameters (an enum value)
    assert search_tools(TOOLS, "business cabin", 1)[0].name == "book_flight"
    assert search_tools(TOOLS, "ticker symbol", 3)[0].name == "get_stock_price"
    assert search_tools(TOOLS, "zebra quantum", 5) == []


def test_hits_carry_positions_and_descend(docs: list[ToolDoc]) -> None:
    hits = search_tools(docs, "send a message by email", 3)
    assert hits[0].name == "send_email" and hits[0].index == 3
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)


def test_hybrid_finds_paraphrased_requests(
    embedder: FittedEmbedder, docs: list[ToolDoc], vectors: np.ndarray
) -> None:
    """Requests that share few words with their tool: BM25 alone misses most, embeddings
    carry them, and fusion keeps every right tool in its top 3."""
    index = ToolIndex(docs, vectors)
    queries = asyncio.run(embedder.embed([q for q, _ in QUERIES])).vectors

    def top(method: SearchMethod, k: int) -> list[list[str]]:
        return [
            [h.name for h in index.search(q, k, method, queries[i])]
            for i, (q, _) in enumerate(QUERIES)
        ]

    def hits_at_1(method: SearchMethod) -> int:
        return sum(
            names[:1] == [gold] for names, (_, gold) in zip(top(method, 1), QUERIES, strict=True)
        )

    bm25, hybrid = hits_at_1("bm25"), hits_at_1("hybrid")
    assert bm25 + 5 <= hybrid and hybrid >= 11, (bm25, hybrid)
    for names, (query, gold) in zip(top("hybrid", 3), QUERIES, strict=True):
        assert gold in names, (query, names)


def test_hybrid_without_vectors_is_bm25(docs: list[ToolDoc]) -> None:
    index = ToolIndex(docs, None)
    assert not index.has_vectors
    assert index.search("weather forecast", 3, "hybrid") == index.search(
        "weather forecast", 3, "bm25"
    )
    assert index.search("weather forecast", 3, "embedding") == []


def test_variants_of_one_name_count_once(docs: list[ToolDoc]) -> None:
    variant = ToolDoc("getWeatherForecast", "Weather forecast for a city (variant).", {})
    hits = search_tools([*docs, variant], "weather forecast city", 5)
    assert [h.name for h in hits].count("getWeatherForecast") == 1


def test_long_texts_are_cut_to_fit_the_model(embedder: FittedEmbedder) -> None:
    """MiniLM reads 256 tokens; the engine refuses longer inputs, tool search cuts them."""
    long_text = " ".join(f"word{i} 12345-67890" for i in range(400))
    embedder_wide = FittedEmbedder(embedder.backend, embedder.model, max_chars=20_000)
    result = asyncio.run(embedder_wide.embed(["short one", long_text]))
    assert result.vectors.shape == (2, 384)
    assert 0 < result.prompt_tokens <= 256 + 4
    assert clip("alpha beta gamma", 12) == "alpha beta"

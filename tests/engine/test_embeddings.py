"""SentenceTransformerBackend on the bundled all-MiniLM-L6-v2, loaded offline."""

from __future__ import annotations

import math
from collections.abc import AsyncIterator

import pytest

from reef.engine.catalogue import Catalogue
from reef.engine.embeddings import SentenceTransformerBackend, find_model_folder, truncate
from reef.errors import ContextLengthExceeded, InvalidRequest


def norm(vector: list[float]) -> float:
    return math.sqrt(sum(v * v for v in vector))


def cosine(a: list[float], b: list[float]) -> float:
    return sum(x * y for x, y in zip(a, b, strict=True)) / (norm(a) * norm(b))


@pytest.fixture(scope="module")
async def backend() -> AsyncIterator[SentenceTransformerBackend]:
    spec = Catalogue.load().get("all-minilm-l6-v2", kind="embedding")
    embedder = SentenceTransformerBackend(spec)
    yield embedder
    await embedder.close()


def test_model_folder_is_found_inside_the_package() -> None:
    spec = Catalogue.load().get("all-minilm-l6-v2")
    folder = find_model_folder(spec.resolved_path())
    assert (folder / "modules.json").is_file()
    assert folder.is_relative_to(spec.resolved_path())


async def test_vectors_are_unit_length_and_meaningful(backend: SentenceTransformerBackend) -> None:
    result = await backend.embed(
        ["A cat sits on the mat.", "A kitten is sitting on a rug.", "Quarterly tax filing rules."]
    )
    assert [len(v) for v in result.vectors] == [384, 384, 384]
    assert all(abs(norm(v) - 1) < 1e-4 for v in result.vectors)
    cat, kitten, tax = result.vectors
    assert cosine(cat, kitten) > cosine(cat, tax)


async def test_token_counts_come_from_the_tokenizer(backend: SentenceTransformerBackend) -> None:
    texts = ["hello world", "embeddings are counted exactly, token by token"]
    result = await backend.embed(texts)
    tokenizer = backend._load().tokenizer
    expected = sum(len(tokenizer(t)["input_ids"]) for t in texts)
    assert result.prompt_tokens == expected
    # "hello world" alone is [CLS] hello world [SEP].
    assert (await backend.embed(["hello world"])).prompt_tokens == 4


async def test_dimensions_truncate_and_renormalise(backend: SentenceTransformerBackend) -> None:
    full = (await backend.embed(["the same sentence"])).vectors[0]
    short = (await backend.embed(["the same sentence"], dimensions=64)).vectors[0]
    assert len(short) == 64
    assert abs(norm(short) - 1) < 1e-6
    scale = norm(full[:64])
    assert all(abs(s - f / scale) < 1e-6 for s, f in zip(short, full[:64], strict=True))


async def test_more_dimensions_than_the_model_has(backend: SentenceTransformerBackend) -> None:
    with pytest.raises(InvalidRequest) as caught:
        await backend.embed(["text"], dimensions=385)
    assert caught.value.param == "dimensions"


async def test_input_longer_than_the_model_reads(backend: SentenceTransformerBackend) -> None:
    with pytest.raises(ContextLengthExceeded) as caught:
        await backend.embed(["short", "word " * 400])
    assert caught.value.param == "input"
    assert "input[1]" in caught.value.message


def test_truncate_keeps_short_requests_whole() -> None:
    assert truncate([0.6, 0.8], None) == [0.6, 0.8]
    assert truncate([0.6, 0.8], 5) == [0.6, 0.8]
    assert truncate([3.0, 4.0, 12.0], 2) == [0.6, 0.8]

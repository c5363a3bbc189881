"""What prompt assembly needs to know about a chat model: its window and its tokenizer.

The embedded engine counts with the model's own tokenizer (the one the engine will charge and
cache with); a remote catalogue model, whose tokenizer Reef does not have, gets a
characters-per-token estimate.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from reef.engine.catalogue import Catalogue, ModelSpec
from reef.engine.router import Router
from reef.settings import Settings

CountTokens = Callable[[str], int]


@dataclass(frozen=True)
class ChatModel:
    spec: ModelSpec
    count_tokens: CountTokens
    context_window: int
    exact_tokens: bool


def estimator(chars_per_token: float) -> CountTokens:
    def estimate(text: str) -> int:
        return math.ceil(len(text) / chars_per_token) if text else 0

    return estimate


async def open_chat_model(
    name: str, catalogue: Catalogue, router: Router, settings: Settings
) -> ChatModel:
    """The model `name` (NotFound unless a chat model of the catalogue), loaded if embedded."""
    spec = catalogue.get(name, kind="chat")
    backend: Any = router.chat_backend(spec.name)
    counter = getattr(backend, "count_tokens", None)
    if spec.backend == "embedded" and callable(counter):
        await asyncio.to_thread(counter, "")  # loads the model off the event loop
        window = min(spec.context_length, settings.engine.n_ctx)
        return ChatModel(spec, counter, window, exact_tokens=True)
    return ChatModel(
        spec,
        estimator(settings.companion.chars_per_token_estimate),
        spec.context_length,
        exact_tokens=False,
    )

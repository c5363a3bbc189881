"""Speculative decoding: cheap guesses of the next tokens, checked by the model in one decode.

A drafter proposes up to k tokens after what a sequence holds; the scheduler decodes the pending
token and the drafts together, samples every position in order with the request's own sampler
chain and keeps drafts while they equal what was sampled. The first token sampled differently
is kept too, so each step yields 1..k+1 tokens. Sampling x ~ p and keeping a draft d only when
x == d accepts d with probability p(d) and otherwise yields a sample from p without d, which is
exactly speculative sampling for a draft that is a single guess (llama.cpp's
`common_sampler_sample_and_accept_n` does the same): the output distribution is unchanged, and
at temperature 0 the text is the non-speculative text.

Drafters are registered by name (`EngineSettings.speculative`); llama.cpp's own n-gram and
draft-model helpers live in its C++ `common` library, which llama-cpp-python does not bind.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Protocol

from reef.settings import EngineSettings

logger = logging.getLogger("reef.engine.llama")


class DraftSource(Protocol):
    """What one request has produced so far, as a drafter sees it."""

    def extend(self, tokens: Sequence[int]) -> None:
        """Tokens sampled for the request (each once, in order)."""

    def feedback(self, drafted: int, kept: int) -> None:
        """How many of the last proposal's tokens the model confirmed."""


class Drafter(Protocol):
    def open(self, prompt: Sequence[int]) -> DraftSource: ...

    def propose(self, wants: Sequence[tuple[DraftSource, int]]) -> list[list[int]]:
        """For each (source, limit), up to `limit` tokens expected to follow its history."""
        ...

    def release(self, source: DraftSource) -> None: ...

    def close(self) -> None: ...


class NgramSource:
    """A request's tokens and, for each n-gram in them, where its latest occurrence ended.

    Every drafted token costs about as much to check as a decoded one on a CPU, so the draft
    length adapts: it grows while drafts are confirmed whole, shrinks to what was confirmed,
    and after repeated misses drafting pauses for a number of steps that doubles each time
    (free prose seldom repeats, and then costs almost nothing)."""

    _PAUSE_MAX = 32

    def __init__(
        self, prompt: Sequence[int], ngram_min: int, ngram_max: int, max_draft: int = 8
    ) -> None:
        self.history: list[int] = []
        self._sizes = range(ngram_max, ngram_min - 1, -1)
        self._follow: dict[tuple[int, ...], int] = {}
        self._max_draft = max(1, max_draft)
        self._length = min(4, self._max_draft)
        self._misses = 0
        self._pause = 0
        self._next_pause = 1
        self.extend(prompt)

    def feedback(self, drafted: int, kept: int) -> None:
        if drafted <= 0:
            return
        if kept == drafted:
            self._length = min(self._max_draft, self._length * 2)
        else:
            self._length = max(1, kept + 1)
        if kept > 0:
            self._misses, self._next_pause = 0, 1
            return
        self._misses += 1
        if self._misses >= 2:
            self._pause = self._next_pause
            self._next_pause = min(self._PAUSE_MAX, self._next_pause * 2)

    def extend(self, tokens: Sequence[int]) -> None:
        history, follow = self.history, self._follow
        for token in tokens:
            end = len(history)
            for n in self._sizes:
                if end >= n:
                    follow[tuple(history[end - n : end])] = end
            history.append(token)

    def lookup(self, limit: int) -> list[int]:
        """The tokens that followed the latest earlier occurrence of the longest suffix."""
        if self._pause > 0:
            self._pause -= 1
            return []
        limit = min(limit, self._length)
        history = self.history
        for n in self._sizes:
            if len(history) <= n:
                continue
            start = self._follow.get(tuple(history[-n:]))
            if start is not None:
                return history[start : start + limit]
        return []


class PromptLookupDrafter:
    """Drafts by copying what followed the same n-gram earlier in the prompt or the answer
    (prompt-lookup decoding): free, and right whenever the answer quotes, summarises, fills
    in a schema or repeats itself."""

    def __init__(self, ngram_min: int, ngram_max: int, max_draft: int = 8) -> None:
        self.ngram_min = max(1, ngram_min)
        self.ngram_max = max(self.ngram_min, ngram_max)
        self.max_draft = max_draft

    def open(self, prompt: Sequence[int]) -> NgramSource:
        return NgramSource(prompt, self.ngram_min, self.ngram_max, self.max_draft)

    def propose(self, wants: Sequence[tuple[DraftSource, int]]) -> list[list[int]]:
        drafts: list[list[int]] = []
        for source, limit in wants:
            assert isinstance(source, NgramSource)
            drafts.append(source.lookup(limit) if limit > 0 else [])
        return drafts

    def release(self, source: DraftSource) -> None:
        pass

    def close(self) -> None:
        pass


DrafterFactory = Callable[[EngineSettings, object], Drafter | None]
DRAFTERS: dict[str, DrafterFactory] = {}


def register(name: str) -> Callable[[DrafterFactory], DrafterFactory]:
    def add(factory: DrafterFactory) -> DrafterFactory:
        DRAFTERS[name] = factory
        return factory

    return add


@register("off")
def _no_drafter(settings: EngineSettings, target: object) -> Drafter | None:
    return None


@register("prompt_lookup")
def _prompt_lookup(settings: EngineSettings, target: object) -> Drafter | None:
    return PromptLookupDrafter(
        settings.speculative_ngram_min,
        settings.speculative_ngram_max,
        settings.speculative_max_draft,
    )


@register("draft_model")
def _draft_model(settings: EngineSettings, target: object) -> Drafter | None:
    from reef.engine.catalogue import ModelSpec
    from reef.engine.llama.draft_model import DraftModelDrafter
    from reef.engine.llama.native import NativeModel

    assert isinstance(target, NativeModel)
    source = settings.speculative_draft_model or str(target.path)
    path = ModelSpec(name="draft", backend="embedded", path=source).resolved_path()
    return DraftModelDrafter.load(path, target, settings)


def build_drafter(settings: EngineSettings, target: object) -> Drafter | None:
    """The drafter `settings.speculative` names, for the model `target` (a NativeModel)."""
    factory = DRAFTERS.get(settings.speculative)
    if factory is None:
        raise ValueError(
            f"unknown speculative mode {settings.speculative!r}; choose from {sorted(DRAFTERS)}"
        )
    return factory(settings, target)

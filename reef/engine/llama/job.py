"""A request as the engine thread sees it, and the `ChatStream` its caller reads.

The engine thread never touches asyncio objects directly: it hands each step's chunks to the
caller's event loop in one `call_soon_threadsafe` per loop.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

from reef.engine.llama.output import OutputShaper
from reef.engine.llama.sampling import SamplerChain
from reef.engine.protocol import ChatChunk, Usage


class _End:
    """Marks the end of a stream's items."""


END = _End()
StreamItem = ChatChunk | BaseException | _End


class EngineStream:
    """Async iterator of one request's chunks; `usage` is updated live by the engine thread."""

    def __init__(self, model: str, usage: Usage, cancel: Callable[[], None]) -> None:
        self.model = model
        self.usage = usage
        self._cancel = cancel
        self._items: deque[StreamItem] = deque()
        self._waiter: asyncio.Future[None] | None = None
        self._ended = False
        self._released = asyncio.Event()
        # Engine bookkeeping, written by the engine thread: which slot served the request and
        # the first and last decode steps that produced one of its tokens.
        self.slot: int | None = None
        self.first_token_step: int | None = None
        self.last_token_step: int | None = None

    def __aiter__(self) -> EngineStream:
        return self

    async def __anext__(self) -> ChatChunk:
        while not self._items:
            if self._ended:
                raise StopAsyncIteration
            self._waiter = asyncio.get_running_loop().create_future()
            try:
                await self._waiter
            finally:
                self._waiter = None
        item = self._items.popleft()
        if isinstance(item, _End):
            self._ended = True
            raise StopAsyncIteration
        if isinstance(item, BaseException):
            self._ended = True
            raise item
        return item

    async def aclose(self) -> None:
        """Stop generation (if still running) and wait until the engine has let go, so `usage`
        is final when this returns."""
        self._ended = True
        if not self._released.is_set():
            self._cancel()
            await self._released.wait()

    @property
    def finished(self) -> bool:
        return self._released.is_set()

    def deliver(self, items: list[StreamItem], released: bool) -> None:
        """Called on the stream's event loop with what one engine step produced."""
        self._items.extend(items)
        if released:
            self._released.set()
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)


@dataclass(eq=False)
class GenerationJob:
    """Everything the engine needs to run one request; `cancelled` is set from the caller side."""

    prompt: list[int]
    max_tokens: int
    sampler: SamplerChain
    output: OutputShaper
    stream: EngineStream
    loop: asyncio.AbstractEventLoop
    request_id: str | None = None
    speculate: bool = True  # let the engine's drafter (if any) guess tokens ahead
    cancelled: bool = False
    role_sent: bool = field(default=False, repr=False)

    @property
    def label(self) -> str:
        """How logs name the request: the API's request id, when it gave one."""
        return self.request_id or "-"

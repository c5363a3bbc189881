"""Continuous batching: concurrency, joining and leaving, cancellation, admission limits."""

from __future__ import annotations

import asyncio
import contextlib

import pytest

from reef.engine.llama import EmbeddedChatBackend
from reef.engine.protocol import ChatRequest
from reef.errors import ContextLengthExceeded, Overloaded
from tests.engine.llama.support import (
    Answer,
    bundled_spec,
    complete,
    make_backend,
    read_all,
    request,
)

ANIMALS = ["cat", "dog", "fox", "owl", "bee", "cow", "pig", "rat"]


def story(animal: str, max_tokens: int) -> ChatRequest:
    return request(
        f"Tell me a story about a {animal}.",
        max_tokens=max_tokens,
        temperature=0,
        ignore_eos=True,
    )


async def test_eight_streams_share_decode_steps(backend: EmbeddedChatBackend) -> None:
    steps_before = backend.stats().extra["steps"]
    arrivals: list[int] = []

    async def consume(index: int) -> Answer:
        stream = await backend.open_stream(story(ANIMALS[index], 12))
        answer = Answer()
        async for chunk in stream:
            arrivals.append(index)
            answer.chunks.append(chunk)
        answer.usage = stream.usage
        return answer

    streams = await asyncio.gather(*(consume(i) for i in range(8)))
    assert all(a.usage.completion_tokens == 12 for a in streams)
    assert all(a.finish_reason == "length" for a in streams)
    stats = backend.stats()
    assert stats.extra["max_step_sequences"] >= 8
    # 8 x 12 tokens took far fewer decode steps than 96: the sequences were decoded together.
    assert stats.extra["steps"] - steps_before < 8 * 12 / 2
    # Output interleaves: no stream got all its chunks before another started.
    first_seen = {i: arrivals.index(i) for i in range(8)}
    last_seen = {i: len(arrivals) - 1 - arrivals[::-1].index(i) for i in range(8)}
    assert max(first_seen.values()) < min(last_seen.values())


async def test_requests_join_and_leave_mid_flight(backend: EmbeddedChatBackend) -> None:
    long_stream = await backend.open_stream(story("whale", 60))
    received = 0
    async for chunk in long_stream:
        received += 1 if chunk.content else 0
        if received >= 5:
            break
    # A short request joins while the long one runs, and leaves before it ends.
    short_stream = await backend.open_stream(story("ant", 4))
    short = await read_all(short_stream)
    assert short.usage.completion_tokens == 4
    assert not long_stream.finished
    rest = await read_all(long_stream)
    assert rest.finish_reason == "length"
    assert long_stream.usage.completion_tokens == 60
    assert long_stream.first_token_step is not None and long_stream.last_token_step is not None
    assert short_stream.first_token_step is not None and short_stream.last_token_step is not None
    assert long_stream.first_token_step < short_stream.first_token_step
    assert short_stream.last_token_step < long_stream.last_token_step


async def test_aclose_cancels_and_usage_counts_what_was_generated(
    backend: EmbeddedChatBackend,
) -> None:
    stream = await backend.open_stream(story("lion", 400))
    seen = 0
    async for chunk in stream:
        seen += 1 if chunk.content else 0
        if seen >= 3:
            break
    await stream.aclose()
    assert stream.finished
    generated = stream.usage.completion_tokens
    assert 3 <= generated < 400
    # The slot is free again and nothing more is generated for the closed stream.
    assert backend.stats().running == 0
    after = await complete(backend, story("ant", 2))
    assert after.usage.completion_tokens == 2
    assert stream.usage.completion_tokens == generated


async def test_cancelled_consumer_task_releases_its_request(backend: EmbeddedChatBackend) -> None:
    stream = await backend.open_stream(story("tiger", 400))
    started = asyncio.Event()

    async def consume() -> None:
        async with contextlib.aclosing(stream):
            async for _ in stream:
                started.set()

    task = asyncio.create_task(consume())
    await started.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert stream.finished
    assert 1 <= stream.usage.completion_tokens < 400
    assert backend.stats().running == 0


async def test_queue_bound_raises_overloaded_before_any_token() -> None:
    engine = make_backend(n_seq_max=1, max_queue=1)
    try:
        running = await engine.open_stream(story("crab", 300))
        waiting = await engine.open_stream(story("frog", 2))
        with pytest.raises(Overloaded):
            await engine.open_stream(story("toad", 2))
        await running.aclose()
        answer = await read_all(waiting)
        assert answer.usage.completion_tokens == 2
        assert engine.stats().queue_depth == 0
    finally:
        await engine.close()


async def test_closing_a_queued_stream_removes_it() -> None:
    engine = make_backend(n_seq_max=1)
    try:
        running = await engine.open_stream(story("crab", 300))
        queued = await engine.open_stream(story("frog", 2))
        await queued.aclose()
        assert queued.usage.completion_tokens == 0
        await running.aclose()
        assert engine.stats().queue_depth == 0
    finally:
        await engine.close()


async def test_prompt_longer_than_context_is_rejected(backend: EmbeddedChatBackend) -> None:
    messages = [{"role": "user", "content": "lorem ipsum " * 5000}]
    prompt_len = len(backend.render_prompt_tokens(messages))
    with pytest.raises(ContextLengthExceeded) as caught:
        await backend.open_stream(request(messages, max_tokens=5))
    assert "8192" in caught.value.message
    assert str(prompt_len) in caught.value.message


async def test_max_tokens_is_clipped_to_the_context_left() -> None:
    engine = make_backend(spec=bundled_spec(context_length=128))
    try:
        messages = [{"role": "user", "content": "count " * 80}]
        prompt_len = len(engine.render_prompt_tokens(messages))
        assert prompt_len < 128
        answer = await complete(
            engine, request(messages, max_tokens=500, temperature=0, ignore_eos=True)
        )
        assert answer.finish_reason == "length"
        assert answer.usage.completion_tokens == 128 - prompt_len
    finally:
        await engine.close()


async def test_full_kv_cache_ends_the_longest_request_early() -> None:
    engine = make_backend(n_ctx=128, n_seq_max=2, prefill_chunk=16)
    try:
        cells = int(engine.stats().extra["kv_cells_total"])
        streams = [await engine.open_stream(story(animal, 400)) for animal in ("eel", "elk")]
        answers = [await read_all(stream) for stream in streams]
        assert [a.finish_reason for a in answers] == ["length", "length"]
        # Together they need more cells than exist: one was ended early to let the other run
        # to its context limit, and its cached tokens left the KV cache (parked in host memory,
        # or evicted) so that the survivor could use their cells.
        sizes = sorted(a.usage.prompt_tokens + a.usage.completion_tokens for a in answers)
        assert sizes[0] < cells - 8
        assert sizes[1] == cells
        extra = engine.stats().extra
        assert extra["prefix_evictions"] + extra["prefix_parked"] >= 1
        # The engine is healthy afterwards.
        after = await complete(engine, story("emu", 5))
        assert after.usage.completion_tokens == 5
    finally:
        await engine.close()

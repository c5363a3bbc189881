"""OpenAICompatibleBackend against a local fake OpenAI-compatible server."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest

from reef.engine.catalogue import ModelSpec
from reef.engine.protocol import ChatRequest
from reef.engine.remote import OpenAICompatibleBackend
from reef.errors import ContextLengthExceeded, UpstreamError, UpstreamTimeout
from tests.support.upstream import DEFAULT_KEY, FakeUpstream


@pytest.fixture(scope="module")
def upstream() -> Iterator[FakeUpstream]:
    fake = FakeUpstream(slow_s=3.0)
    fake.start()
    yield fake
    fake.gate.set()
    fake.stop()


def spec_for(upstream: FakeUpstream, upstream_model: str, **overrides: object) -> ModelSpec:
    values: dict[str, object] = {
        "name": f"remote-{upstream_model}",
        "backend": "openai",
        "base_url": upstream.base_url,
        "api_key": DEFAULT_KEY,
        "upstream_model": upstream_model,
    }
    values.update(overrides)
    return ModelSpec(**values)  # type: ignore[arg-type]


def request(text: str, **fields: object) -> ChatRequest:
    messages = [
        {"role": "system", "content": "be brief"},
        {"role": "user", "content": text},
    ]
    return ChatRequest(model="ignored", messages=messages, **fields)  # type: ignore[arg-type]


async def test_streams_upstream_content_and_exact_usage(upstream: FakeUpstream) -> None:
    backend = OpenAICompatibleBackend(spec_for(upstream, "echo"), timeout=10)
    try:
        stream = await backend.open_stream(request("three little words", max_tokens=7))
        chunks = [chunk async for chunk in stream]
    finally:
        await backend.close()
    text = "".join(c.content or "" for c in chunks)
    assert text == "echo: three little words"
    assert chunks[-1].finish_reason == "stop"
    assert stream.model == "remote-echo"
    # The fake counts words: 2 + 3 prompt words, 2 of them system ("cached"), 4 streamed.
    assert (stream.usage.prompt_tokens, stream.usage.cached_tokens) == (5, 2)
    assert stream.usage.completion_tokens == 4


async def test_forwards_upstream_model_key_and_asks_for_usage(upstream: FakeUpstream) -> None:
    backend = OpenAICompatibleBackend(spec_for(upstream, "echo"), timeout=10)
    before = len(upstream.requests)
    try:
        stream = await backend.open_stream(request("hi", temperature=0.3, max_tokens=5, stop=["x"]))
        _ = [chunk async for chunk in stream]
    finally:
        await backend.close()
    sent = upstream.requests[before]
    assert sent["authorization"] == f"Bearer {DEFAULT_KEY}"
    assert sent["body"]["model"] == "echo"
    assert sent["body"]["stream"] is True
    assert sent["body"]["stream_options"] == {"include_usage": True}
    assert sent["body"]["temperature"] == 0.3
    assert sent["body"]["max_tokens"] == 5
    assert sent["body"]["stop"] == ["x"]


async def test_content_passes_through_unbuffered(upstream: FakeUpstream) -> None:
    """The first word arrives while upstream is still holding back the rest."""
    upstream.gate.clear()
    backend = OpenAICompatibleBackend(spec_for(upstream, "gated"), timeout=10)
    try:
        stream = await backend.open_stream(request("held back words"))
        first = await asyncio.wait_for(anext(stream), timeout=10)
        assert first.content == "echo:"
        assert not upstream.gate.is_set()
        upstream.gate.set()
        rest = "".join([c.content or "" async for c in stream])
    finally:
        upstream.gate.set()
        await backend.close()
    assert rest == " held back words"


async def test_upstream_500_keeps_its_message(upstream: FakeUpstream) -> None:
    backend = OpenAICompatibleBackend(spec_for(upstream, "fail-500"), timeout=10)
    try:
        with pytest.raises(UpstreamError) as caught:
            await backend.open_stream(request("hello"))
    finally:
        await backend.close()
    assert not isinstance(caught.value, UpstreamTimeout)
    assert caught.value.status == 502
    assert "broken on purpose" in caught.value.message
    assert "500" in caught.value.message


async def test_slow_upstream_times_out(upstream: FakeUpstream) -> None:
    backend = OpenAICompatibleBackend(spec_for(upstream, "slow", timeout_s=0.3), timeout=10)
    try:
        with pytest.raises(UpstreamTimeout) as caught:
            await backend.open_stream(request("hello"))
    finally:
        await backend.close()
    assert caught.value.status == 504


async def test_wrong_key_is_an_upstream_error(upstream: FakeUpstream) -> None:
    backend = OpenAICompatibleBackend(spec_for(upstream, "echo", api_key="wrong"), timeout=10)
    try:
        with pytest.raises(UpstreamError) as caught:
            await backend.open_stream(request("hello"))
    finally:
        await backend.close()
    assert "401" in caught.value.message


async def test_upstream_context_error_is_the_clients(upstream: FakeUpstream) -> None:
    backend = OpenAICompatibleBackend(spec_for(upstream, "too-long"), timeout=10)
    try:
        with pytest.raises(ContextLengthExceeded) as caught:
            await backend.open_stream(request("hello"))
    finally:
        await backend.close()
    assert caught.value.status == 400
    assert "maximum context length" in caught.value.message


async def test_error_after_first_chunk_raises_mid_stream(upstream: FakeUpstream) -> None:
    backend = OpenAICompatibleBackend(spec_for(upstream, "midfail"), timeout=10)
    try:
        stream = await backend.open_stream(request("one two"))
        first = await anext(stream)
        with pytest.raises(UpstreamError) as caught:
            await anext(stream)
    finally:
        await backend.close()
    assert first.content == "echo:"
    assert "died mid-answer" in caught.value.message


async def test_unreachable_upstream(upstream: FakeUpstream) -> None:
    spec = spec_for(upstream, "echo", base_url="http://127.0.0.1:9/v1")
    backend = OpenAICompatibleBackend(spec, timeout=5)
    try:
        with pytest.raises(UpstreamError) as caught:
            await backend.open_stream(request("hello"))
    finally:
        await backend.close()
    assert "unreachable" in caught.value.message


async def test_closing_early_disconnects_upstream(upstream: FakeUpstream) -> None:
    upstream.gate.clear()
    backend = OpenAICompatibleBackend(spec_for(upstream, "gated"), timeout=10)
    disconnects = upstream.disconnects
    try:
        stream = await backend.open_stream(request("never finished"))
        await anext(stream)
        await stream.aclose()
        deadline = asyncio.get_running_loop().time() + 10
        while upstream.disconnects == disconnects:
            assert asyncio.get_running_loop().time() < deadline, "upstream never saw the close"
            await asyncio.sleep(0.02)
    finally:
        upstream.gate.set()
        await backend.close()
    # Usage is still accounted from what arrived: one content chunk.
    assert stream.usage.completion_tokens == 1

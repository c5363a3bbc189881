"""Remote (OpenAI-compatible) models behind the API, played by the fake upstream: fallbacks,
pass-through streaming, and metering at the answering model's prices."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path

import openai
import pytest

from reef.engine.catalogue import Catalogue
from tests.support.fixtures import async_sdk_client
from tests.support.servers import ReefServer, Store
from tests.support.upstream import FakeUpstream

HELLO = [{"role": "user", "content": "hello remote"}]


def test_remote_model_answers(client: openai.OpenAI) -> None:
    reply = client.chat.completions.create(model="remote-echo", messages=HELLO)
    assert reply.model == "remote-echo"
    assert reply.choices[0].message.content == "echo: hello remote"
    assert reply.usage is not None
    assert (reply.usage.prompt_tokens, reply.usage.completion_tokens) == (2, 3)


@pytest.mark.parametrize("model", ["remote-broken", "remote-slow"])
def test_failing_upstream_falls_back_and_says_who_answered(
    client: openai.OpenAI, store: Store, catalogue_file: Path, model: str
) -> None:
    request_id = f"fallback-{uuid.uuid4().hex}"
    reply = client.chat.completions.create(
        model=model, messages=HELLO, extra_headers={"x-request-id": request_id}
    )
    assert reply.model == "remote-echo"
    assert reply.choices[0].message.content == "echo: hello remote"
    row = store.wait_for_rows([request_id])[request_id]
    assert row.model == "remote-echo"
    echo = Catalogue.load(catalogue_file).get("remote-echo")
    assert row.cost_nano_usd == echo.cost_nano_usd(row.prompt_tokens, row.completion_tokens)
    assert row.cost_nano_usd > 0


def test_streamed_fallback_reports_the_answering_model(client: openai.OpenAI) -> None:
    stream = client.chat.completions.create(
        model="remote-broken", messages=HELLO, stream=True, stream_options={"include_usage": True}
    )
    chunks = list(stream)
    assert {c.model for c in chunks} == {"remote-echo"}
    assert chunks[-1].usage is not None and chunks[-1].usage.completion_tokens == 3


async def test_streaming_passes_through_unbuffered(
    reef_server: ReefServer, key: str, upstream: FakeUpstream
) -> None:
    """The client holds the first word while the upstream still withholds the rest."""
    upstream.gate.clear()
    try:
        async with async_sdk_client(reef_server, key) as sdk:
            stream = await sdk.chat.completions.create(
                model="remote-gated", messages=HELLO, stream=True
            )
            words: list[str] = []
            async for chunk in stream:
                if chunk.choices and chunk.choices[0].delta.content:
                    words.append(chunk.choices[0].delta.content)
                    if len(words) == 1:
                        assert not upstream.gate.is_set()
                        upstream.gate.set()
    finally:
        upstream.gate.set()
    assert words[0] == "echo:"
    assert "".join(words) == "echo: hello remote"


def test_failure_after_the_first_chunk_is_not_hidden(client: openai.OpenAI) -> None:
    stream = client.chat.completions.create(model="remote-midfail", messages=HELLO, stream=True)
    received: list[str] = []
    with pytest.raises(openai.APIError) as caught:
        for chunk in stream:
            if chunk.choices and chunk.choices[0].delta.content:
                received.append(chunk.choices[0].delta.content)
    assert received == ["echo:"]  # no silent switch to the fallback model
    assert "died mid-answer" in str(caught.value)


async def test_client_abort_disconnects_the_upstream(
    reef_server: ReefServer, key: str, upstream: FakeUpstream
) -> None:
    upstream.gate.clear()
    disconnects = upstream.disconnects
    try:
        async with async_sdk_client(reef_server, key) as sdk:
            stream = await sdk.chat.completions.create(
                model="remote-gated", messages=HELLO, stream=True
            )
            async for chunk in stream:
                if chunk.choices and chunk.choices[0].delta.content:
                    await stream.close()
                    break
        for _ in range(500):
            if upstream.disconnects > disconnects:
                break
            await asyncio.sleep(0.02)
        assert upstream.disconnects == disconnects + 1
    finally:
        upstream.gate.set()


async def test_non_streamed_abort_cancels_and_is_metered(
    reef_server: ReefServer, key: str, store: Store, upstream: FakeUpstream
) -> None:
    """A client that gives up on a non-streamed answer stops the work behind it."""
    upstream.gate.clear()
    disconnects = upstream.disconnects
    request_id = f"abort-{uuid.uuid4().hex}"
    try:
        async with async_sdk_client(reef_server, key) as sdk:
            with pytest.raises(openai.APITimeoutError):
                await sdk.chat.completions.create(
                    model="remote-gated",
                    messages=HELLO,
                    timeout=1.0,
                    extra_headers={"x-request-id": request_id},
                )
        row = store.wait_for_rows([request_id])[request_id]
        assert row.aborted
        assert row.status == 499
        assert row.completion_tokens == 1  # the one word upstream sent before the gate
        for _ in range(500):
            if upstream.disconnects > disconnects:
                break
            await asyncio.sleep(0.02)
        assert upstream.disconnects == disconnects + 1
    finally:
        upstream.gate.set()

"""Every request leaves exactly one ledger row that matches what the client was told."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass
from pathlib import Path

import openai
import pytest

from reef.engine.catalogue import Catalogue
from tests.support.catalogue import CHAT_MODEL
from tests.support.fixtures import async_sdk_client
from tests.support.servers import ReefServer, Store

CONCURRENT = 50
ABORT_EVERY = 4  # every 4th request is abandoned by its client
ABORT_AFTER_CHUNKS = 2
COMPLETED_MAX_TOKENS = 6
ABORTED_MAX_TOKENS = 400


@dataclass
class Outcome:
    request_id: str
    aborted: bool
    received_chunks: int = 0
    prompt_tokens: int = 0
    cached_tokens: int = 0
    completion_tokens: int = 0


async def run_one(sdk: openai.AsyncOpenAI, index: int) -> Outcome:
    aborted = index % ABORT_EVERY == 0
    outcome = Outcome(request_id=f"meter-{uuid.uuid4().hex}", aborted=aborted)
    stream = await sdk.chat.completions.create(
        model=CHAT_MODEL,
        messages=[
            {"role": "system", "content": "You are a storyteller."},
            {"role": "user", "content": f"Tell a long story about dragon number {index}."},
        ],
        max_tokens=ABORTED_MAX_TOKENS if aborted else COMPLETED_MAX_TOKENS,
        temperature=0,
        stream=True,
        stream_options={"include_usage": True},
        extra_headers={"x-request-id": outcome.request_id},
    )
    async for chunk in stream:
        if chunk.usage is not None:
            details = chunk.usage.prompt_tokens_details
            outcome.prompt_tokens = chunk.usage.prompt_tokens
            outcome.cached_tokens = (details.cached_tokens or 0) if details else 0
            outcome.completion_tokens = chunk.usage.completion_tokens
        if chunk.choices and chunk.choices[0].delta.content:
            outcome.received_chunks += 1
            if aborted and outcome.received_chunks == ABORT_AFTER_CHUNKS:
                await stream.close()  # the client walks away mid-answer
                break
    return outcome


async def test_concurrent_streams_with_aborts_are_metered_exactly(
    reef_server: ReefServer, store: Store, key: str, catalogue_file: Path
) -> None:
    async with async_sdk_client(reef_server, key) as sdk:
        outcomes = await asyncio.gather(*(run_one(sdk, i) for i in range(CONCURRENT)))
    rows = store.wait_for_rows([o.request_id for o in outcomes])
    spec = Catalogue.load(catalogue_file).get(CHAT_MODEL)
    completed = [o for o in outcomes if not o.aborted]
    abandoned = [o for o in outcomes if o.aborted]
    assert len(abandoned) == (CONCURRENT + ABORT_EVERY - 1) // ABORT_EVERY
    for outcome in completed:
        row = rows[outcome.request_id]
        assert outcome.completion_tokens > 0
        assert (row.prompt_tokens, row.cached_tokens, row.completion_tokens) == (
            outcome.prompt_tokens,
            outcome.cached_tokens,
            outcome.completion_tokens,
        )
        assert not row.aborted
        assert row.status == 200
        assert row.model == CHAT_MODEL
        assert row.endpoint == "chat.completions"
        assert row.cost_nano_usd == spec.cost_nano_usd(
            row.prompt_tokens, row.completion_tokens, row.cached_tokens
        )
    for outcome in abandoned:
        row = rows[outcome.request_id]
        assert row.aborted
        assert row.prompt_tokens > 0
        assert row.completion_tokens >= outcome.received_chunks
        # Generation stopped when the client left, long before the cap.
        assert row.completion_tokens < ABORTED_MAX_TOKENS
        assert row.cost_nano_usd == spec.cost_nano_usd(
            row.prompt_tokens, row.completion_tokens, row.cached_tokens
        )


async def test_non_streamed_request_is_metered_once(
    reef_server: ReefServer, store: Store, key: str
) -> None:
    request_id = f"meter-{uuid.uuid4().hex}"
    async with async_sdk_client(reef_server, key) as sdk:
        reply = await sdk.chat.completions.create(
            model=CHAT_MODEL,
            messages=[{"role": "user", "content": "Hi"}],
            max_tokens=3,
            extra_headers={"x-request-id": request_id},
        )
    assert reply.usage is not None
    row = store.wait_for_rows([request_id])[request_id]
    assert (row.prompt_tokens, row.completion_tokens) == (
        reply.usage.prompt_tokens,
        reply.usage.completion_tokens,
    )
    assert row.latency_ms > 0


@pytest.mark.parametrize(
    ("model", "extra", "status"),
    [
        ("no-such-model", {}, 404),
        (CHAT_MODEL, {"temperature": 9}, 400),
        (CHAT_MODEL, {"messages": [{"role": "user", "content": "word " * 5000}]}, 400),
    ],
)
async def test_errors_are_recorded_with_status_and_no_tokens(
    reef_server: ReefServer,
    store: Store,
    key: str,
    model: str,
    extra: dict[str, object],
    status: int,
) -> None:
    request_id = f"meter-{uuid.uuid4().hex}"
    body: dict[str, object] = {"messages": [{"role": "user", "content": "Hi"}], **extra}
    async with async_sdk_client(reef_server, key) as sdk:
        with pytest.raises(openai.APIStatusError) as caught:
            await sdk.chat.completions.create(
                model=model,
                messages=body["messages"],  # type: ignore[arg-type]
                max_tokens=2,
                extra_headers={"x-request-id": request_id},
                extra_body={k: v for k, v in body.items() if k != "messages"},
            )
    assert caught.value.status_code == status
    row = store.wait_for_rows([request_id])[request_id]
    assert row.status == status
    assert (row.prompt_tokens, row.cached_tokens, row.completion_tokens) == (0, 0, 0)
    assert row.cost_nano_usd == 0


async def test_rate_limited_request_is_recorded(reef_server: ReefServer, store: Store) -> None:
    key = store.new_key(rpm=1)
    ids = [f"meter-{uuid.uuid4().hex}" for _ in range(2)]
    async with async_sdk_client(reef_server, key) as sdk:
        await sdk.chat.completions.create(
            model=CHAT_MODEL,
            messages=[{"role": "user", "content": "Hi"}],
            max_tokens=1,
            extra_headers={"x-request-id": ids[0]},
        )
        with pytest.raises(openai.RateLimitError):
            await sdk.chat.completions.create(
                model=CHAT_MODEL,
                messages=[{"role": "user", "content": "Hi"}],
                max_tokens=1,
                extra_headers={"x-request-id": ids[1]},
            )
    rows = store.wait_for_rows(ids)
    assert rows[ids[0]].status == 200
    assert rows[ids[1]].status == 429

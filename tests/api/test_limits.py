"""Rate limits and budgets enforced over real HTTP."""

from __future__ import annotations

import asyncio

import openai
import pytest

from tests.support.catalogue import CHAT_MODEL
from tests.support.fixtures import async_sdk_client, sdk_client
from tests.support.servers import ReefServer, Store

HELLO = [{"role": "user", "content": "Hi"}]


async def test_rpm_admits_exactly_the_limit(reef_server: ReefServer, store: Store) -> None:
    key = store.new_key(rpm=10)
    async with async_sdk_client(reef_server, key) as sdk:

        async def one() -> int | openai.RateLimitError:
            try:
                await sdk.chat.completions.create(model=CHAT_MODEL, messages=HELLO, max_tokens=1)
            except openai.RateLimitError as exc:
                return exc
            return 200

        outcomes = await asyncio.gather(*(one() for _ in range(30)))
    refused = [o for o in outcomes if isinstance(o, openai.RateLimitError)]
    assert outcomes.count(200) == 10
    assert len(refused) == 20
    for error in refused:
        assert error.status_code == 429
        assert int(error.response.headers["retry-after"]) >= 1
        assert isinstance(error.body, dict)
        assert error.body["type"] == "rate_limit_error"
        assert error.body["code"] == "rate_limit_exceeded"
        assert set(error.body) == {"message", "type", "param", "code"}


def test_zero_budget_is_insufficient_quota(reef_server: ReefServer, store: Store) -> None:
    key = store.new_key(budget_usd=0.0)
    with sdk_client(reef_server, key) as sdk, pytest.raises(openai.RateLimitError) as caught:
        sdk.chat.completions.create(model=CHAT_MODEL, messages=HELLO, max_tokens=1)
    assert caught.value.status_code == 429
    assert isinstance(caught.value.body, dict)
    assert caught.value.body["type"] == "insufficient_quota"
    assert caught.value.body["code"] == "insufficient_quota"


def test_spending_the_budget_stops_further_requests(reef_server: ReefServer, store: Store) -> None:
    """A budget smaller than one request's cost: the first request runs, its cost is
    recorded, and the next is refused."""
    key = store.new_key(budget_usd=1e-9)
    with sdk_client(reef_server, key) as sdk:
        first = sdk.chat.completions.create(model=CHAT_MODEL, messages=HELLO, max_tokens=2)
        assert first.usage is not None
        with pytest.raises(openai.RateLimitError) as caught:
            sdk.chat.completions.create(model=CHAT_MODEL, messages=HELLO, max_tokens=2)
    assert isinstance(caught.value.body, dict)
    assert caught.value.body["code"] == "insufficient_quota"

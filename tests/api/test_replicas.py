"""The server on PostgreSQL, and two replicas sharing one PostgreSQL store and one Redis."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from pathlib import Path

import openai
import pytest

from tests.support.catalogue import CHAT_MODEL
from tests.support.fixtures import ADMIN_KEY_LINE, async_sdk_client, sdk_client
from tests.support.servers import ReefServer, Store, server_env

pytestmark = pytest.mark.postgres


@pytest.fixture
def pg_store(pg_url: str) -> Iterator[Store]:
    handle = Store(pg_url)
    yield handle
    handle.close()


def test_postgres_server_smoke(
    tmp_path: Path, catalogue_file: Path, pg_url: str, pg_store: Store
) -> None:
    env = server_env(tmp_path / "data", catalogue_file, database_url=pg_url, n_ctx=2048)
    server = ReefServer(tmp_path, env).start()
    try:
        admin_key = ADMIN_KEY_LINE.search(server.stdout())
        assert admin_key, server.stdout()
        key = pg_store.new_key()
        request_id = f"pg-{uuid.uuid4().hex}"
        with sdk_client(server, key) as sdk:
            assert CHAT_MODEL in {m.id for m in sdk.models.list()}
            reply = sdk.chat.completions.create(
                model=CHAT_MODEL,
                messages=[{"role": "user", "content": "Hi"}],
                max_tokens=2,
                extra_headers={"x-request-id": request_id},
            )
        with sdk_client(server, admin_key.group(1)) as admin:
            assert admin.models.list().data
    finally:
        server.stop()
    assert reply.usage is not None
    row = pg_store.wait_for_rows([request_id])[request_id]
    assert row.completion_tokens == reply.usage.completion_tokens
    assert row.prompt_tokens == reply.usage.prompt_tokens


async def test_two_replicas_share_one_rate_limit(
    tmp_path: Path,
    catalogue_file: Path,
    pg_url: str,
    pg_store: Store,
    redis_url: str,
    redis_prefix: str,
) -> None:
    replicas = []
    try:
        for name in ("a", "b"):
            workdir = tmp_path / name
            workdir.mkdir()
            env = server_env(
                workdir / "data",
                catalogue_file,
                database_url=pg_url,
                redis_url=redis_url,
                redis_prefix=redis_prefix,
            )
            replicas.append(ReefServer(workdir, env).start())
        # The first replica bootstrapped the store; the second found it initialised.
        assert ADMIN_KEY_LINE.search(replicas[0].stdout())
        assert not ADMIN_KEY_LINE.search(replicas[1].stdout())
        key = pg_store.new_key(rpm=10)

        async def one(server: ReefServer) -> int:
            async with async_sdk_client(server, key) as sdk:
                try:
                    await sdk.chat.completions.create(
                        model="remote-echo", messages=[{"role": "user", "content": "hi"}]
                    )
                except openai.RateLimitError:
                    return 429
                return 200

        outcomes = await asyncio.gather(*(one(replicas[i % 2]) for i in range(30)))
    finally:
        for server in replicas:
            server.stop()
    assert outcomes.count(200) == 10
    assert outcomes.count(429) == 20

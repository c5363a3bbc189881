"""`reef serve`: first start announces the admin key once; shutdown writes pending usage."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import openai
import pytest

from tests.support.catalogue import catalogue_toml
from tests.support.fixtures import ADMIN_KEY_LINE, sdk_client
from tests.support.servers import ReefServer, Store, server_env
from tests.support.upstream import DEFAULT_KEY, FakeUpstream


@pytest.fixture(scope="module")
def upstream() -> Iterator[FakeUpstream]:
    fake = FakeUpstream()
    fake.start()
    fake.gate.set()
    yield fake
    fake.stop()


def test_admin_key_once_and_usage_flushed_on_shutdown(
    tmp_path: Path, upstream: FakeUpstream
) -> None:
    catalogue = tmp_path / "catalogue.toml"
    catalogue.write_text(catalogue_toml(upstream.base_url, DEFAULT_KEY))
    env = server_env(tmp_path / "data", catalogue)
    # Only the shutdown flush can write the row within this test.
    env["REEF_METERING_FLUSH_INTERVAL_S"] = "3600"
    first = ReefServer(tmp_path, env).start()
    request_id = f"serve-{uuid.uuid4().hex}"
    try:
        announced = ADMIN_KEY_LINE.search(first.stdout())
        assert announced, first.stdout()
        with sdk_client(first, announced.group(1)) as admin:
            reply = admin.chat.completions.create(
                model="remote-echo",
                messages=[{"role": "user", "content": "one two"}],
                extra_headers={"x-request-id": request_id},
            )
        assert reply.choices[0].message.content == "echo: one two"
    finally:
        assert first.stop() == 0
    store = Store(f"sqlite:///{tmp_path / 'data' / 'reef.db'}")
    try:
        assert store.rows([request_id])[request_id].completion_tokens == 3
    finally:
        store.close()

    second = ReefServer(tmp_path, env).start()
    try:
        assert not ADMIN_KEY_LINE.search(second.stdout())
        with sdk_client(second, announced.group(1)) as admin:
            assert admin.models.list().data
        with (
            sdk_client(second, "sk-reef-unknown-key-000000") as stranger,
            pytest.raises(openai.AuthenticationError),
        ):
            stranger.models.list()
    finally:
        second.stop()

"""One real `reef serve` per test session (SQLite store, real engine, fake cloud upstream),
and clients speaking to it through the official `openai` SDK."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import openai
import pytest

from tests.support.catalogue import catalogue_toml
from tests.support.servers import ReefServer, Store, server_env
from tests.support.upstream import DEFAULT_KEY, FakeUpstream

ADMIN_KEY_LINE = re.compile(r"Admin API key \(shown only once, store it safely\): (\S+)")


@pytest.fixture(scope="session")
def upstream() -> Iterator[FakeUpstream]:
    fake = FakeUpstream(slow_s=1.5)
    fake.start()
    fake.gate.set()
    yield fake
    fake.gate.set()
    fake.stop()


@pytest.fixture(scope="session")
def catalogue_file(tmp_path_factory: pytest.TempPathFactory, upstream: FakeUpstream) -> Path:
    path = tmp_path_factory.mktemp("catalogue") / "catalogue.toml"
    path.write_text(catalogue_toml(upstream.base_url, DEFAULT_KEY))
    return path


@pytest.fixture(scope="session")
def reef_server(
    tmp_path_factory: pytest.TempPathFactory, catalogue_file: Path
) -> Iterator[ReefServer]:
    workdir = tmp_path_factory.mktemp("reef-serve")
    server = ReefServer(workdir, server_env(workdir / "data", catalogue_file)).start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def store(reef_server: ReefServer) -> Iterator[Store]:
    handle = Store(f"sqlite:///{reef_server.workdir / 'data' / 'reef.db'}")
    yield handle
    handle.close()


@pytest.fixture(scope="session")
def admin_key(reef_server: ReefServer) -> str:
    found = ADMIN_KEY_LINE.search(reef_server.stdout())
    assert found, f"no admin key announced on first start:\n{reef_server.stdout()}"
    return found.group(1)


@pytest.fixture
def key(store: Store) -> str:
    """A key of its own organisation, with no limits."""
    return store.new_key()


def sdk_client(server: ReefServer, key: str) -> openai.OpenAI:
    return openai.OpenAI(base_url=f"{server.base_url}/v1", api_key=key, max_retries=0, timeout=120)


def async_sdk_client(server: ReefServer, key: str) -> openai.AsyncOpenAI:
    return openai.AsyncOpenAI(
        base_url=f"{server.base_url}/v1", api_key=key, max_retries=0, timeout=120
    )


@pytest.fixture
def client(reef_server: ReefServer, key: str) -> Iterator[openai.OpenAI]:
    with sdk_client(reef_server, key) as sdk:
        yield sdk


@pytest.fixture
async def aclient(reef_server: ReefServer, key: str) -> AsyncIterator[openai.AsyncOpenAI]:
    async with async_sdk_client(reef_server, key) as sdk:
        yield sdk

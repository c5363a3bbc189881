"""Shared fixtures: real SQLite and PostgreSQL stores, real Redis, and Settings.

PostgreSQL and Redis must be up (they are on dev machines and CI); a test that needs an
unreachable one fails loudly, or is skipped when REEF_TEST_SKIP_SERVICES=1.
Each PostgreSQL fixture gets its own schema and each Redis fixture its own key prefix, so
parallel runs never collide.
"""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any, NoReturn

import pytest
import redis
from sqlalchemy import create_engine, make_url, text
from sqlalchemy.exc import OperationalError

from reef.platform.service import PlatformServices
from reef.settings import Settings
from reef.store.db import Database, _normalise_url
from tests.support.clock import ManualClock

pytest_plugins = ["tests.support.fixtures"]

POSTGRES_URL = os.environ.get("REEF_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("REEF_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
SKIP_UNREACHABLE = os.environ.get("REEF_TEST_SKIP_SERVICES") == "1"


def service_unreachable(service: str, error: Exception) -> NoReturn:
    if SKIP_UNREACHABLE:
        pytest.skip(f"{service} unreachable ({error}); REEF_TEST_SKIP_SERVICES=1")
    pytest.fail(
        f"{service} is unreachable: {error}. Start it, or set REEF_TEST_SKIP_SERVICES=1 to skip.",
        pytrace=False,
    )


def url_with_search_path(url: str, schema: str) -> str:
    """`url` whose connections see only `schema` (libpq `options=-csearch_path=...`)."""
    parsed = make_url(_normalise_url(url))
    parsed = parsed.update_query_dict({"options": f"-csearch_path={schema}"})
    return parsed.render_as_string(hide_password=False)


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'reef.db'}"


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A PostgreSQL URL pointing at a fresh, empty schema that is dropped afterwards."""
    schema = f"reef_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(_normalise_url(POSTGRES_URL))
    try:
        with admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    except OperationalError as exc:
        admin.dispose()
        service_unreachable(f"PostgreSQL at {POSTGRES_URL}", exc)
    try:
        yield url_with_search_path(POSTGRES_URL, schema)
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest) -> str:
    """Each test using it runs twice: on SQLite and on PostgreSQL."""
    name = "sqlite_url" if request.param == "sqlite" else "pg_url"
    return str(request.getfixturevalue(name))


def _open(url: str) -> Iterator[Database]:
    database = Database(url)
    try:
        yield database
    finally:
        database.dispose()


@pytest.fixture
def sqlite_db(sqlite_url: str) -> Iterator[Database]:
    """A migrated SQLite store in a temporary file."""
    yield from _open(sqlite_url)


@pytest.fixture
def pg_db(pg_url: str) -> Iterator[Database]:
    """A migrated PostgreSQL store in its own schema."""
    yield from _open(pg_url)


@pytest.fixture
def db(db_url: str) -> Iterator[Database]:
    """A migrated store, parametrized over SQLite and PostgreSQL."""
    yield from _open(db_url)


@pytest.fixture
def redis_url() -> str:
    client = redis.Redis.from_url(REDIS_URL)
    try:
        client.ping()
    except redis.RedisError as exc:
        service_unreachable(f"Redis at {REDIS_URL}", exc)
    finally:
        client.close()
    return REDIS_URL


@pytest.fixture
def redis_prefix(redis_url: str) -> Iterator[str]:
    """A key prefix no other test uses; its keys are deleted afterwards."""
    prefix = f"reef-test:{uuid.uuid4().hex[:12]}:"
    yield prefix
    client = redis.Redis.from_url(redis_url)
    try:
        stale = list(client.scan_iter(match=f"{prefix}*"))
        if stale:
            client.delete(*stale)
    finally:
        client.close()


@pytest.fixture
def settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[..., Settings]:
    """Factory: `settings(**overrides)` -> Settings with a temporary data dir and no
    reef.toml, database or Redis unless given."""
    monkeypatch.setenv("REEF_CONFIG", str(tmp_path / "absent-reef.toml"))

    def make(**overrides: Any) -> Settings:
        values: dict[str, Any] = {
            "data_dir": tmp_path / "data",
            "database_url": None,
            "redis_url": None,
        }
        values.update(overrides)
        return Settings(**values)

    return make


@pytest.fixture
def clock() -> ManualClock:
    """Time that moves only when the test calls `clock.advance(seconds)`."""
    return ManualClock()


@pytest.fixture
async def make_services(
    settings: Callable[..., Settings],
) -> AsyncIterator[Callable[..., Any]]:
    """Factory: `await make_services(db, clock=..., **settings_overrides)` -> started
    PlatformServices; all are stopped (queued usage written) at teardown."""
    started: list[PlatformServices] = []

    async def make(
        db: Database, *, clock: Callable[[], float] = time.time, **overrides: Any
    ) -> PlatformServices:
        services = PlatformServices(settings(**overrides), db, clock=clock)
        await services.start()
        started.append(services)
        return services

    yield make
    for services in started:
        await services.stop()

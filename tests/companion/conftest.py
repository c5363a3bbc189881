"""Fixtures: the rich card files under data/, raw and parsed."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from reef.companion.cards.codec import Card, parse_card
from reef.store.db import Database
from tests.companion.support import DATA, load_json
from tests.support.inprocess import (
    InProcessServer,
    client,
    new_org_key,
    server_settings,
    start_server,
)


@pytest.fixture
def v2_json() -> dict[str, Any]:
    return load_json("card_v2_rich.json")


@pytest.fixture
def v3_json() -> dict[str, Any]:
    return load_json("card_v3_rich.json")


@pytest.fixture
def v2_card() -> Card:
    return parse_card((DATA / "card_v2_rich.json").read_bytes(), "card_v2_rich.json")


@pytest.fixture
def v3_card() -> Card:
    return parse_card((DATA / "card_v3_rich.json").read_bytes(), "card_v3_rich.json")


# --- companion API and service fixtures -------------------------------------------------------


@pytest.fixture(scope="session")
def companion_server(
    tmp_path_factory: pytest.TempPathFactory, catalogue_file: Path
) -> Iterator[InProcessServer]:
    """One real HTTP server for the companion route tests."""
    workdir = tmp_path_factory.mktemp("companion-serve")
    server = start_server(server_settings(workdir, catalogue_file))
    yield server
    server.stop()


@pytest.fixture(scope="session")
def companion_db(companion_server: InProcessServer) -> Iterator[Database]:
    """The test's own handle on the server's store."""
    handle = Database(companion_server.db_url)
    yield handle
    handle.dispose()


@pytest.fixture
def api(companion_server: InProcessServer, companion_db: Database) -> Iterator[httpx.Client]:
    """A client of a fresh organisation."""
    with client(companion_server.base_url, new_org_key(companion_db)) as http:
        yield http


@pytest.fixture
def other_api(companion_server: InProcessServer, companion_db: Database) -> Iterator[httpx.Client]:
    """A client of another fresh organisation."""
    with client(companion_server.base_url, new_org_key(companion_db)) as http:
        yield http

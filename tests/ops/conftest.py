"""A fake upstream whose `gated` model stays open until the test ends (streams that outlive
a drain deadline), and the API tests' catalogue pointing at it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.catalogue import catalogue_toml
from tests.support.upstream import DEFAULT_KEY, FakeUpstream


@pytest.fixture(scope="module")
def upstream() -> Iterator[FakeUpstream]:
    fake = FakeUpstream(slow_s=1.5)
    fake.start()
    yield fake
    fake.gate.set()
    fake.stop()


@pytest.fixture(scope="module")
def catalogue_file(tmp_path_factory: pytest.TempPathFactory, upstream: FakeUpstream) -> Path:
    path = tmp_path_factory.mktemp("catalogue") / "catalogue.toml"
    path.write_text(catalogue_toml(upstream.base_url, DEFAULT_KEY))
    return path

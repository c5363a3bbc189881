"""`reef chat`: a streaming terminal REPL against a running server."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.catalogue import catalogue_toml
from tests.support.servers import REEF_COMMAND, ReefServer, Store, server_env
from tests.support.upstream import DEFAULT_KEY, FakeUpstream


@pytest.fixture(scope="module")
def upstream() -> Iterator[FakeUpstream]:
    fake = FakeUpstream()
    fake.start()
    fake.gate.set()
    yield fake
    fake.stop()


@pytest.fixture(scope="module")
def server(
    tmp_path_factory: pytest.TempPathFactory, upstream: FakeUpstream
) -> Iterator[ReefServer]:
    workdir = tmp_path_factory.mktemp("chat-serve")
    catalogue = workdir / "catalogue.toml"
    catalogue.write_text(catalogue_toml(upstream.base_url, DEFAULT_KEY))
    running = ReefServer(workdir, server_env(workdir / "data", catalogue)).start()
    yield running
    running.stop()


@pytest.fixture(scope="module")
def api_key(server: ReefServer) -> Iterator[str]:
    store = Store(f"sqlite:///{server.workdir / 'data' / 'reef.db'}")
    yield store.new_key()
    store.close()


def run_chat(args: list[str], stdin: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if k != "REEF_API_KEY"}
    return subprocess.run(
        [str(REEF_COMMAND), "chat", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env={**clean, **env},
        timeout=120,
        check=False,
    )


def test_multi_turn_streaming_chat(
    server: ReefServer, api_key: str, upstream: FakeUpstream, tmp_path: Path
) -> None:
    before = len(upstream.requests)
    result = run_chat(
        ["--model", "remote-echo", "--base-url", f"{server.base_url}/v1"],
        "hello there\nsecond turn\n/exit\n",
        {"REEF_API_KEY": api_key, "REEF_CONFIG": str(tmp_path / "absent.toml")},
    )
    assert result.returncode == 0, result.stderr
    assert "echo: hello there" in result.stdout
    assert "echo: second turn" in result.stdout
    sent = upstream.requests[before:]
    assert len(sent) == 2
    # The second turn carries the whole conversation so far.
    assert [m["role"] for m in sent[1]["body"]["messages"]] == ["user", "assistant", "user"]
    assert sent[1]["body"]["messages"][1]["content"] == "echo: hello there"


def test_api_key_option_and_error_recovery(
    server: ReefServer, api_key: str, tmp_path: Path
) -> None:
    result = run_chat(
        ["--model", "no-such-model", "--base-url", f"{server.base_url}/v1", "--api-key", api_key],
        "anyone?\n/exit\n",
        {"REEF_CONFIG": str(tmp_path / "absent.toml")},
    )
    assert result.returncode == 0
    assert "no-such-model" in result.stderr


def test_no_key_is_a_clear_message(tmp_path: Path) -> None:
    result = run_chat([], "", {"REEF_CONFIG": str(tmp_path / "absent.toml")})
    assert result.returncode == 2
    assert "REEF_API_KEY" in result.stderr

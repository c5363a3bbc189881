"""`reef keys create|list|revoke` against real stores, in-process and as a real command."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from reef.cli.main import app
from reef.errors import AuthenticationFailed
from reef.platform import accounts, keys
from reef.store.db import Database
from tests.support.clock import ManualClock

REEF = Path(sys.executable).with_name("reef")
runner = CliRunner()


@pytest.fixture
def cli_env(db_url: str, tmp_path: Path) -> dict[str, str]:
    return {
        "REEF_DATABASE_URL": db_url,
        "REEF_CONFIG": str(tmp_path / "absent-reef.toml"),
        "COLUMNS": "200",
    }


def reef(env: dict[str, str], *args: str) -> Result:
    return runner.invoke(app, list(args), env=env)


def last_line(result: Result) -> str:
    return result.stdout.strip().splitlines()[-1]


async def test_create_prints_the_key_last_and_it_authenticates(
    cli_env: dict[str, str], db_url: str, make_services: Callable[..., Any]
) -> None:
    result = reef(
        cli_env, "keys", "create", "--org", "acme", "--name", "ci", "--rpm", "5", "--tpm", "500",
        "--budget-usd", "10", "--models", "small, large",
    )  # fmt: skip

    assert result.exit_code == 0, result.output
    raw = last_line(result)
    assert raw.startswith("sk-reef-") and "(created)" in result.stdout
    db = Database(db_url)
    try:
        services = await make_services(db)
        principal = await services.authenticate(f"Bearer {raw}")
    finally:
        db.dispose()
    assert principal.org_name == "acme"
    assert (principal.rpm, principal.tpm) == (5, 500)
    assert principal.allowed_models == ("small", "large")
    assert principal.monthly_budget_usd == 10.0


def test_create_adds_keys_to_an_existing_org(cli_env: dict[str, str], db_url: str) -> None:
    first = reef(cli_env, "keys", "create", "--org", "acme")
    second = reef(cli_env, "keys", "create", "--org", "acme", "--budget-usd", "3")
    assert first.exit_code == second.exit_code == 0
    assert "(created)" not in second.stdout
    db = Database(db_url)
    try:
        (org,) = accounts.list_orgs(db)
        assert org.monthly_budget_usd == 3.0
        assert [k.prefix for k in keys.list_keys(db, "acme")] == [
            last_line(first)[:14],
            last_line(second)[:14],
        ]
    finally:
        db.dispose()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--rpm", "0"], "rpm must be a positive integer"),
        (["--models", ","], "allowed_models"),
        (["--budget-usd", "-1"], "budget"),
    ],
)
def test_bad_create_options_fail_and_create_nothing(
    sqlite_url: str, tmp_path: Path, args: list[str], message: str
) -> None:
    env = {"REEF_DATABASE_URL": sqlite_url, "REEF_CONFIG": str(tmp_path / "absent.toml")}
    result = reef(env, "keys", "create", "--org", "acme", *args)

    assert result.exit_code == 1
    assert message in result.stderr and "sk-reef-" not in result.stdout
    db = Database(sqlite_url)
    try:
        assert accounts.list_orgs(db) == []
    finally:
        db.dispose()


def test_list_shows_prefixes_but_never_full_keys(cli_env: dict[str, str]) -> None:
    acme_key = last_line(reef(cli_env, "keys", "create", "--org", "acme", "--name", "alpha"))
    globex_key = last_line(reef(cli_env, "keys", "create", "--org", "globex", "--name", "beta"))

    everything = reef(cli_env, "keys", "list")
    only_acme = reef(cli_env, "keys", "list", "--org", "acme")

    assert everything.exit_code == only_acme.exit_code == 0
    for raw in (acme_key, globex_key):
        assert raw[:14] in everything.stdout
        assert raw not in everything.stdout and raw[14:] not in everything.stdout
    assert "alpha" in only_acme.stdout and "beta" not in only_acme.stdout


def test_revoke_marks_the_key_revoked(cli_env: dict[str, str]) -> None:
    raw = last_line(reef(cli_env, "keys", "create", "--org", "acme"))

    result = reef(cli_env, "keys", "revoke", raw[:14])

    assert result.exit_code == 0 and "revoked key" in result.stdout
    assert "revoked" in reef(cli_env, "keys", "list").stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["keys", "revoke", "sk-reef-zzzzzz"], "No API key matches 'sk-reef-zzzzzz'"),
        (["keys", "revoke", "9999"], "No API key matches '9999'"),
        (["keys", "list", "--org", "ghost"], "Organization 'ghost' does not exist"),
    ],
)
def test_unknown_key_or_org_is_a_clear_error(
    sqlite_url: str, tmp_path: Path, args: list[str], message: str
) -> None:
    env = {"REEF_DATABASE_URL": sqlite_url, "REEF_CONFIG": str(tmp_path / "absent.toml")}
    result = reef(env, *args)
    assert result.exit_code == 1
    assert message in result.stderr


async def test_real_command_beside_a_running_server(
    tmp_path: Path, make_services: Callable[..., Any], clock: ManualClock
) -> None:
    """Keys made and revoked by `reef` processes reach a running server (within its TTL)."""
    data_dir = tmp_path / "data"
    env = {
        **os.environ,
        "REEF_DATA_DIR": str(data_dir),
        "REEF_CONFIG": str(tmp_path / "absent.toml"),
    }
    env.pop("REEF_DATABASE_URL", None)
    db = Database(f"sqlite:///{data_dir / 'reef.db'}")
    try:
        services = await make_services(db, clock=clock, key_cache_ttl_s=5.0)

        created = subprocess.run(
            [str(REEF), "keys", "create", "--org", "acme"],
            env=env, capture_output=True, text=True, timeout=120,
        )  # fmt: skip
        assert created.returncode == 0, created.stderr
        raw = created.stdout.strip().splitlines()[-1]
        principal = await services.authenticate(f"Bearer {raw}")
        assert principal.org_name == "acme"

        subprocess.run(
            [str(REEF), "keys", "revoke", raw[:14]],
            env=env, capture_output=True, text=True, check=True, timeout=120,
        )  # fmt: skip
        clock.advance(6.0)
        with pytest.raises(AuthenticationFailed):
            await services.authenticate(f"Bearer {raw}")
    finally:
        db.dispose()

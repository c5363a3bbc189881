"""`reef usage`: per-organisation reports and the operator summary, from the ledger."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from reef.cli.main import app
from reef.platform import accounts
from reef.platform.metering import MeteringWriter
from reef.platform.types import UsageRecord
from reef.store.db import Database

runner = CliRunner()
NOW = datetime.now(UTC)
TODAY = NOW.date()


def _record(org_id: int, model: str, when: datetime, prompt: int, cost: int) -> UsageRecord:
    return UsageRecord(
        request_id=uuid.uuid4().hex,
        org_id=org_id,
        key_id=None,
        endpoint="/v1/chat/completions",
        model=model,
        status=200,
        prompt_tokens=prompt,
        cached_tokens=prompt // 2,
        completion_tokens=3,
        cost_nano_usd=cost,
        created_at=when,
    )


@pytest.fixture
async def ledger(db_url: str) -> str:
    """A store where acme and globex used models today and yesterday."""
    db = Database(db_url)
    try:
        acme = accounts.create_org(db, "acme").id
        globex = accounts.create_org(db, "globex").id
        writer = MeteringWriter(db, flush_interval_s=3600, batch_size=100)
        for record in (
            _record(acme, "small", NOW - timedelta(days=1), 10, 1_000_000),
            _record(acme, "small", NOW, 20, 2_000_000),
            _record(acme, "small", NOW, 30, 3_000_000),
            _record(globex, "globex-only", NOW, 99, 500_000_000),
        ):
            writer.record(record)
        await writer.flush()
    finally:
        db.dispose()
    return db_url


@pytest.fixture
def cli_env(ledger: str, tmp_path: Path) -> dict[str, str]:
    return {
        "REEF_DATABASE_URL": ledger,
        "REEF_CONFIG": str(tmp_path / "absent-reef.toml"),
        "COLUMNS": "200",
    }


def reef(env: dict[str, str], *args: str) -> Result:
    return runner.invoke(app, ["usage", *args], env=env)


def test_org_usage_as_json(cli_env: dict[str, str]) -> None:
    result = reef(cli_env, "--org", "acme", "--json")

    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["organization"] == "acme"
    rows = [
        (r["day"], r["model"], r["requests"], r["prompt_tokens"], r["cached_tokens"],
         r["completion_tokens"], round(r["cost_usd"] * 1e9))
        for r in report["data"]
    ]  # fmt: skip
    assert rows == [
        ((TODAY - timedelta(days=1)).isoformat(), "small", 1, 10, 5, 3, 1_000_000),
        (TODAY.isoformat(), "small", 2, 50, 25, 6, 5_000_000),
    ]


def test_since_limits_the_report(cli_env: dict[str, str]) -> None:
    result = reef(cli_env, "--org", "acme", "--json", "--since", TODAY.isoformat())
    assert [r["requests"] for r in json.loads(result.stdout)["data"]] == [2]
    later = reef(cli_env, "--org", "acme", "--json", "--since", (TODAY + timedelta(1)).isoformat())
    assert json.loads(later.stdout)["data"] == []


def test_org_usage_table(cli_env: dict[str, str]) -> None:
    result = reef(cli_env, "--org", "acme")

    assert result.exit_code == 0, result.output
    assert "Usage of acme" in result.stdout and "small" in result.stdout
    assert "0.006000" in result.stdout  # total cost: $0.006
    assert "globex-only" not in result.stdout


def test_piped_table_is_never_cut(cli_env: dict[str, str]) -> None:
    # No COLUMNS, output to a pipe: rich alone would squeeze the table into 80 columns.
    env: dict[str, str | None] = {**cli_env, "COLUMNS": None}
    result = runner.invoke(app, ["usage", "--org", "acme"], env=env)

    assert result.exit_code == 0, result.output
    assert TODAY.isoformat() in result.stdout and "characters" in result.stdout
    assert "…" not in result.stdout


def test_operator_summary(cli_env: dict[str, str]) -> None:
    as_json = reef(cli_env, "--operator", "--json")
    table = reef(cli_env, "--operator")

    assert as_json.exit_code == table.exit_code == 0, as_json.output + table.output
    summary = json.loads(as_json.stdout)
    assert summary["active_organizations"] == 2
    assert summary["revenue_usd"] == pytest.approx(0.506)
    assert summary["arr_run_rate_usd"] == pytest.approx(0.506 * 365 / 30)
    assert [tuple(d) for d in summary["tokens_per_day"]] == [
        ((TODAY - timedelta(days=1)).isoformat(), 13),
        (TODAY.isoformat(), 158),
    ]
    assert "ARR run-rate: $6.16" in table.stdout


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["--org", "ghost"], 1, "Organization 'ghost' does not exist"),
        (["--org", "acme", "--since", "yesterday"], 2, "not a date"),
        ([], 2, "either --org NAME or --operator"),
        (["--org", "acme", "--operator"], 2, "either --org NAME or --operator"),
    ],
)
def test_bad_requests_are_clear_errors(
    cli_env: dict[str, str], args: list[str], code: int, message: str
) -> None:
    result = reef(cli_env, *args)
    assert result.exit_code == code
    assert message in result.stderr

"""`reef usage`: an organisation's usage per day and model, or the operator's summary."""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import UTC, date, datetime, timedelta
from typing import Annotated

import typer
from rich.table import Table

from reef.cli.main import app
from reef.cli.platform_store import open_store
from reef.cli.tables import table_console
from reef.platform import accounts, analytics
from reef.platform.types import OperatorSummary, UsageRow


def _since(value: str | None) -> date:
    if value is None:
        return datetime.now(UTC).date() - timedelta(days=analytics.RECENT_DAYS - 1)
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise typer.BadParameter(
            f"{value!r} is not a date like 2026-01-31", param_hint="--since"
        ) from exc


def _org_table(org: str, since: date, rows: list[UsageRow]) -> Table:
    table = Table(title=f"Usage of {org} since {since.isoformat()}")
    for column in ("day", "model"):
        table.add_column(column)
    for column in ("requests", "prompt", "completion", "cached", "characters", "cost (USD)"):
        table.add_column(column, justify="right")
    for row in rows:
        table.add_row(
            row.day,
            row.model,
            str(row.requests),
            str(row.prompt_tokens),
            str(row.completion_tokens),
            str(row.cached_tokens),
            str(row.characters),
            f"{row.cost_usd:.6f}",
        )
    table.add_section()
    table.add_row(
        "total",
        "",
        str(sum(r.requests for r in rows)),
        str(sum(r.prompt_tokens for r in rows)),
        str(sum(r.completion_tokens for r in rows)),
        str(sum(r.cached_tokens for r in rows)),
        str(sum(r.characters for r in rows)),
        f"{sum(r.cost_usd for r in rows):.6f}",
    )
    return table


def _operator_table(summary: OperatorSummary) -> Table:
    table = Table(title="Platform tokens per day")
    table.add_column("day")
    table.add_column("tokens", justify="right")
    for day, tokens in summary.tokens_per_day:
        table.add_row(day, str(tokens))
    return table


@app.command("usage")
def usage(
    org: Annotated[str | None, typer.Option("--org", help="organisation to report")] = None,
    since: Annotated[
        str | None, typer.Option("--since", help="first UTC day, YYYY-MM-DD (default: 30 days)")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="machine-readable output")] = False,
    operator: Annotated[
        bool, typer.Option("--operator", help="platform summary: tokens, orgs, revenue, ARR")
    ] = False,
) -> None:
    """Report usage from the ledger."""
    if operator == (org is not None):
        typer.echo("error: give either --org NAME or --operator", err=True)
        raise typer.Exit(2)
    console = table_console()
    if operator:
        with open_store() as db:
            summary = analytics.operator_summary(db, datetime.now(UTC).date())
        if as_json:
            typer.echo(json.dumps(asdict(summary), indent=2))
            return
        console.print(_operator_table(summary))
        console.print(f"active organisations (30 days): {summary.active_organizations}")
        console.print(f"revenue, all time: ${summary.revenue_usd:.2f}")
        console.print(f"revenue, last 30 days: ${summary.revenue_30d_usd:.2f}")
        console.print(f"ARR run-rate: ${summary.arr_run_rate_usd:.2f}")
        return
    assert org is not None
    first_day = _since(since)
    with open_store() as db:
        org_info = accounts.get_org(db, org)
        rows = analytics.org_usage(db, org_info.id, first_day)
    if as_json:
        payload = {
            "organization": org_info.name,
            "since": first_day.isoformat(),
            "data": [asdict(r) for r in rows],
        }
        typer.echo(json.dumps(payload, indent=2))
        return
    console.print(_org_table(org_info.name, first_day, rows))

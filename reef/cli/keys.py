"""`reef keys create|list|revoke`: manage API keys directly in the store.

They work while `reef serve` runs; a revoked key stops authenticating there within the
server's key cache TTL.
"""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from reef.cli.main import app
from reef.cli.platform_store import open_store
from reef.cli.tables import table_console
from reef.platform import keys
from reef.platform.types import KeyInfo

keys_app = typer.Typer(help="Create, list and revoke API keys.", no_args_is_help=True)
app.add_typer(keys_app, name="keys")


def _models(csv: str | None) -> list[str] | None:
    if csv is None:
        return None
    return [m.strip() for m in csv.split(",") if m.strip()]


def _limits(info: KeyInfo) -> str:
    rpm = "-" if info.rpm is None else str(info.rpm)
    tpm = "-" if info.tpm is None else str(info.tpm)
    return f"rpm={rpm} tpm={tpm}"


@keys_app.command("create")
def create(
    org: Annotated[str, typer.Option("--org", help="organisation; created when new")],
    name: Annotated[str, typer.Option("--name", help="label shown in listings")] = "",
    rpm: Annotated[int | None, typer.Option("--rpm", help="requests per minute")] = None,
    tpm: Annotated[int | None, typer.Option("--tpm", help="tokens per minute")] = None,
    budget_usd: Annotated[
        float | None, typer.Option("--budget-usd", help="organisation's monthly budget (USD)")
    ] = None,
    models: Annotated[
        str | None, typer.Option("--models", help="comma-separated models the key may use")
    ] = None,
) -> None:
    """Create a key; the key itself is the last line of output and is never shown again."""
    with open_store() as db:
        raw, info, org_info, created = keys.provision_key(
            db,
            org,
            name=name,
            rpm=rpm,
            tpm=tpm,
            allowed_models=_models(models),
            monthly_budget_usd=budget_usd,
        )
    budget = (
        "none" if org_info.monthly_budget_usd is None else f"${org_info.monthly_budget_usd:.2f}"
    )
    typer.echo(f"organization: {org_info.name}{' (created)' if created else ''}")
    typer.echo(f"monthly budget: {budget}")
    allowed = ",".join(info.allowed_models) if info.allowed_models else "all"
    typer.echo(f"key id: {info.id}  name: {info.name or '-'}  {_limits(info)}  models: {allowed}")
    typer.echo("Save this key now; it cannot be shown again:")
    typer.echo(raw)


@keys_app.command("list")
def list_(
    org: Annotated[str | None, typer.Option("--org", help="only this organisation")] = None,
) -> None:
    """List keys by display prefix (never the full key)."""
    with open_store() as db:
        found = keys.list_keys(db, org)
    table = Table(title="API keys")
    for column in ("id", "org", "name", "prefix", "limits", "models", "created", "status"):
        table.add_column(column)
    for info in found:
        status = "active" if info.revoked_at is None else f"revoked {info.revoked_at:%Y-%m-%d}"
        table.add_row(
            str(info.id),
            info.org_name,
            info.name or "-",
            f"{info.prefix}...",
            _limits(info),
            ",".join(info.allowed_models) if info.allowed_models else "all",
            f"{info.created_at:%Y-%m-%d %H:%M}",
            status,
        )
    table_console().print(table)


@keys_app.command("revoke")
def revoke(
    key: Annotated[str, typer.Argument(help="key id, display prefix (sk-reef-xxxxxx) or full key")],
) -> None:
    """Revoke a key; running servers stop accepting it within their key cache TTL."""
    with open_store() as db:
        info = keys.revoke_key(db, key)
    typer.echo(f"revoked key {info.id} ({info.prefix}...) of {info.org_name}")

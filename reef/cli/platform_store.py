"""What the account commands share: the configured store, and errors as exit codes."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import typer

from reef.errors import ReefError
from reef.settings import Settings
from reef.store.db import Database


@contextmanager
def open_store() -> Iterator[Database]:
    """The store named by Settings (REEF_DATABASE_URL or REEF_DATA_DIR), closed afterwards.

    A ReefError raised inside becomes `error: <message>` on stderr and exit status 1.
    """
    try:
        db = Database(Settings().resolved_database_url)
    except Exception as exc:
        typer.echo(f"error: cannot open the store: {exc}", err=True)
        raise typer.Exit(2) from exc
    try:
        yield db
    except ReefError as exc:
        typer.echo(f"error: {exc.message}", err=True)
        raise typer.Exit(1) from exc
    finally:
        db.dispose()

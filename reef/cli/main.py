"""Entry point of the `reef` command: each sub-command lives in its own module."""

from __future__ import annotations

import typer

app = typer.Typer(help="Reef: a self-hosted AI platform.", no_args_is_help=True)


def _register() -> None:
    """Import command modules; each adds itself to `app`."""
    from reef.cli import chat, eval, eval_tools, jobs, keys, serve, usage  # noqa: F401


_register()

if __name__ == "__main__":
    app()

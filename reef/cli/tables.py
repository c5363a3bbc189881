"""Where the CLI prints its tables."""

from __future__ import annotations

from rich.console import Console

PIPED_WIDTH = 200
"""Columns a table may use when output goes to a pipe or file (rich would assume 80)."""


def table_console() -> Console:
    """A terminal gets tables fitted to its width; pipes and files get them whole, never cut."""
    console = Console()
    return console if console.is_terminal else Console(width=PIPED_WIDTH)

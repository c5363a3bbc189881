"""`reef worker` (run jobs) and `reef jobs list|show|cancel` (follow them, with progress bars)."""

from __future__ import annotations

import json
import signal
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated

import typer
from rich.live import Live
from rich.progress_bar import ProgressBar
from rich.table import Table

from reef.cli.main import app
from reef.cli.platform_store import open_store
from reef.cli.tables import table_console
from reef.errors import ReefError
from reef.jobs import JobInfo, JobRuntime, JobStatus
from reef.platform import accounts
from reef.settings import Settings

jobs_app = typer.Typer(help="Inspect and cancel durable jobs.", no_args_is_help=True)
app.add_typer(jobs_app, name="jobs")

OrgOption = Annotated[
    str | None, typer.Option("--org", help="organisation name or id (default: every one)")
]


@contextmanager
def _runtime() -> Iterator[JobRuntime]:
    try:
        runtime = JobRuntime(Settings()).open()
    except Exception as exc:
        typer.echo(f"error: cannot open the job store: {exc}", err=True)
        raise typer.Exit(2) from exc
    try:
        yield runtime
    except ReefError as exc:
        typer.echo(f"error: {exc.message}", err=True)
        raise typer.Exit(1) from exc
    finally:
        runtime.close()


def _org_id(org: str | None) -> int | None:
    if org is None:
        return None
    with open_store() as db:
        return accounts.get_org(db, int(org) if org.isdigit() else org).id


def _bar(job: JobInfo) -> ProgressBar:
    return ProgressBar(total=100.0, completed=job.progress.percent, width=20)


def _table(jobs: list[JobInfo], title: str) -> Table:
    table = Table(title=title)
    for column in ("id", "org", "kind", "status", "progress", "%", "stage", "updated"):
        table.add_column(column, justify="right" if column in ("org", "%") else "left")
    for job in jobs:
        table.add_row(
            job.id,
            str(job.org_id),
            job.kind,
            job.status.value,
            _bar(job),
            f"{job.progress.percent:.0f}",
            f"{job.progress.stage} {job.progress.message}".strip(),
            job.updated_at.strftime("%Y-%m-%d %H:%M:%S") if job.updated_at else "",
        )
    return table


@jobs_app.command("list")
def list_jobs(
    org: OrgOption = None,
    status: Annotated[JobStatus | None, typer.Option(help="only jobs in this state")] = None,
    limit: Annotated[int, typer.Option(help="newest N jobs")] = 50,
    as_json: Annotated[bool, typer.Option("--json", help="machine-readable output")] = False,
) -> None:
    """Jobs, newest first, with their progress."""
    org_id = _org_id(org)
    with _runtime() as runtime:
        jobs = runtime.list(org_id, status=status, limit=limit)
    if as_json:
        typer.echo(json.dumps([j.to_dict() for j in jobs], indent=2))
        return
    table_console().print(_table(jobs, f"Jobs of {org}" if org else "Jobs"))


@jobs_app.command("show")
def show_job(
    job_id: str,
    follow: Annotated[bool, typer.Option("--follow", "-f", help="live until it ends")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="machine-readable output")] = False,
) -> None:
    """One job: status, progress, outputs and result files."""
    with _runtime() as runtime:
        job = runtime.get(None, job_id)
        if follow and not as_json:
            with Live(_table([job], job_id), console=table_console(), refresh_per_second=4) as live:
                while not job.status.finished:
                    time.sleep(0.25)
                    job = runtime.get(None, job_id)
                    live.update(_table([job], job_id))
    if as_json:
        typer.echo(json.dumps(job.to_dict(), indent=2))
        return
    console = table_console()
    if not follow:
        console.print(_table([job], job_id))
    if job.error:
        console.print(f"error: {job.error}")
    for file in job.files:
        console.print(f"file: {file.name}  {file.bytes} bytes  {file.path}")


@jobs_app.command("cancel")
def cancel_job(job_id: str) -> None:
    """Stop a job at its next step boundary."""
    with _runtime() as runtime:
        job = runtime.cancel(None, job_id)
    typer.echo(f"{job.id}: {job.status.value}")


@app.command()
def worker() -> None:
    """Run queued jobs (and resume those of dead workers) until SIGTERM or Ctrl-C."""
    import logging

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    with _runtime() as runtime:
        executor = runtime.start_worker()
        typer.echo(f"reef worker {executor} ready", err=True)
        stop.wait()
        typer.echo(f"reef worker {executor} stopping", err=True)

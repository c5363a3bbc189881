"""`reef jobs list|show|cancel` against a real job store, with a worker running the jobs."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from reef.cli.main import app
from reef.jobs import JobRuntime, JobStatus
from reef.platform import accounts
from reef.store.db import Database
from tests.support.jobs import JobStore, job_store, open_runtime, wait_for_trace

runner = CliRunner()


@pytest.fixture
def jobs(tmp_path: Path) -> Iterator[tuple[JobRuntime, JobStore]]:
    store = job_store(tmp_path, None)
    runtime = open_runtime(store.settings())
    runtime.start_worker()
    yield runtime, store
    runtime.close()


def test_list_show_and_cancel(
    jobs: tuple[JobRuntime, JobStore], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    runtime, store = jobs
    for name, value in store.env().items():
        monkeypatch.setenv(name, value)
    db = Database(store.settings().resolved_database_url)
    org = accounts.create_org(db, "acme")
    db.dispose()
    log = tmp_path / "steps.log"
    done = runtime.submit(org.id, "test.pipeline", {"log": str(log)})
    assert runtime.wait(org.id, done.id).status == JobStatus.SUCCEEDED
    slow = runtime.submit(org.id + 1, "test.pipeline", {"log": str(log), "step_s": 2.0})
    wait_for_trace(log, lambda seen: any(t.job_id == slow.id for t in seen), "the slow job")

    listed = runner.invoke(app, ["jobs", "list", "--org", "acme", "--json"])
    assert listed.exit_code == 0, listed.output
    assert [j["id"] for j in json.loads(listed.output)] == [done.id]
    table = runner.invoke(app, ["jobs", "list"])
    assert table.exit_code == 0 and slow.id in table.output and "━" in table.output

    shown = runner.invoke(app, ["jobs", "show", done.id])
    assert shown.exit_code == 0, shown.output
    assert "succeeded" in shown.output and "publish.txt" in shown.output
    followed = runner.invoke(app, ["jobs", "show", done.id, "--follow", "--json"])
    assert json.loads(followed.output)["progress"]["percent"] == 100.0

    cancelled = runner.invoke(app, ["jobs", "cancel", slow.id])
    assert cancelled.exit_code == 0 and cancelled.output.strip() == f"{slow.id}: cancelled"
    missing = runner.invoke(app, ["jobs", "show", "j1_nothing"])
    assert missing.exit_code == 1 and "no job" in missing.output

"""A job whose worker is SIGKILLed mid-step resumes after its last finished step, on SQLite
(one machine: the restarted worker) and on PostgreSQL (another worker takes it over)."""

from __future__ import annotations

from pathlib import Path

import pytest

from reef.jobs import JobStatus
from tests.support.jobs import Worker, job_store, open_runtime, traces, wait_for_trace

STEPS = ("fetch", "render", "encode", "publish")


@pytest.mark.parametrize(
    "backend", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def test_a_killed_worker_s_job_resumes_after_its_last_finished_step(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    url = None if backend == "sqlite" else str(request.getfixturevalue("pg_url"))
    store = job_store(tmp_path, url)
    log = tmp_path / "steps.log"
    runtime = open_runtime(store.settings())
    first = Worker(store, "first")
    second: Worker | None = None
    try:
        job = runtime.submit(7, "test.pipeline", {"log": str(log), "step_s": 1.5})
        wait_for_trace(
            log,
            lambda seen: any(t.event == "start" and t.step == "render" for t in seen),
            "the second step to start",
        )
        running = runtime.get(7, job.id)
        assert running.status == JobStatus.RUNNING and running.progress.stage == "render"
        first.kill()  # SIGKILL in the middle of "render"
        second = Worker(store, "second")
        done = runtime.wait(7, job.id, timeout_s=60)
    finally:
        first.stop()
        if second is not None:
            second.stop()
        runtime.close()

    assert done.status == JobStatus.SUCCEEDED, done
    seen = traces(log, job.id)
    starts = [(t.step, t.pid) for t in seen if t.event == "start"]
    finished = [(t.step, t.pid) for t in seen if t.event == "done"]
    assert second is not None
    # The finished step is not run again; the interrupted one is, once, by the new worker.
    assert finished == [
        ("fetch", first.pid),
        ("render", second.pid),
        ("encode", second.pid),
        ("publish", second.pid),
    ]
    assert starts == [
        ("fetch", first.pid),
        ("render", first.pid),
        ("render", second.pid),
        ("encode", second.pid),
        ("publish", second.pid),
    ]
    assert [f.name for f in done.files] == [f"{s}.txt" for s in STEPS]
    for file in done.files:
        assert Path(file.path).read_bytes() == f"{file.name[:-4]} of {job.id}".encode()
    assert done.outputs["publish"]["seen"] == ["encode", "fetch", "render"]
    assert done.progress.percent == 100.0

"""The job API in one process (worker included) on SQLite and PostgreSQL: progress, result
files, retries with backoff, cancellation, per-organisation isolation and concurrency."""

from __future__ import annotations

import itertools
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from reef.errors import InvalidRequest
from reef.jobs import JobNotFound, JobRuntime, JobStatus, WorkerTaken
from tests.support.jobs import job_store, open_runtime, traces, wait_for_trace


@pytest.fixture
def runtime(tmp_path: Path, db_url: str) -> Iterator[JobRuntime]:
    url = None if db_url.startswith("sqlite") else db_url
    handle = open_runtime(job_store(tmp_path, url).settings(org_concurrency=1))
    handle.start_worker()
    yield handle
    handle.close()


def test_progress_result_files_and_retried_steps(runtime: JobRuntime, tmp_path: Path) -> None:
    log = tmp_path / "steps.log"
    job = runtime.submit(1, "test.pipeline", {"log": str(log), "step_s": 0.6})
    assert job.status in (JobStatus.QUEUED, JobStatus.RUNNING) and job.kind == "test.pipeline"
    seen = []
    while not (current := runtime.get(1, job.id)).status.finished:
        seen.append(current.progress)
        time.sleep(0.05)
    assert current.status == JobStatus.SUCCEEDED
    percents = [p.percent for p in seen if p.steps]
    assert percents == sorted(percents) and len(set(percents)) >= 6, percents
    assert {p.stage for p in seen} >= {"fetch", "render", "encode", "publish"}
    assert any(p.message == "render 2/4" for p in seen)
    assert [f.name for f in current.files] == [
        "fetch.txt",
        "render.txt",
        "encode.txt",
        "publish.txt",
    ]
    assert all(Path(f.path).stat().st_size == f.bytes for f in current.files)
    assert current.outputs["render"] == {"stage": "render", "seen": ["fetch"], "bytes": 45}

    flaky = runtime.wait(1, runtime.submit(1, "test.flaky", {"log": str(log), "fail_times": 2}).id)
    assert flaky.status == JobStatus.SUCCEEDED and flaky.outputs == {"flaky": "ok after 3"}
    attempts = [t.at for t in traces(log, flaky.id)]
    gaps = [b - a for a, b in itertools.pairwise(attempts)]
    assert len(attempts) == 3 and gaps[0] >= 0.2 and gaps[1] >= 0.4, gaps  # backoff doubles

    broken = runtime.submit(1, "test.flaky", {"log": str(log), "fail_times": 5})
    failed = runtime.wait(1, broken.id)
    assert failed.status == JobStatus.FAILED and "flaky attempt 3 failed" in (failed.error or "")
    assert len(traces(log, broken.id)) == 3


def test_cancel_stops_the_job_at_the_next_step(runtime: JobRuntime, tmp_path: Path) -> None:
    log = tmp_path / "steps.log"
    job = runtime.submit(1, "test.pipeline", {"log": str(log), "step_s": 1.0})
    wait_for_trace(log, lambda seen: any(t.step == "render" for t in seen), "render to start")
    assert runtime.cancel(1, job.id).status == JobStatus.CANCELLED
    time.sleep(1.5)
    assert runtime.get(1, job.id).status == JobStatus.CANCELLED
    assert {t.step for t in traces(log, job.id)} <= {"fetch", "render"}
    assert runtime.list(1, status=JobStatus.CANCELLED)[0].id == job.id


def test_organisations_see_and_touch_only_their_own_jobs(
    runtime: JobRuntime, tmp_path: Path
) -> None:
    log = str(tmp_path / "steps.log")
    mine = runtime.submit(1, "test.pipeline", {"log": log})
    theirs = runtime.submit(12, "test.pipeline", {"log": log})
    assert [j.id for j in runtime.list(1)] == [mine.id]
    assert [j.id for j in runtime.list(12)] == [theirs.id]
    assert {j.id for j in runtime.list(None)} == {mine.id, theirs.id}
    for action in (runtime.get, runtime.cancel):
        with pytest.raises(JobNotFound):
            action(12, mine.id)
    with pytest.raises(JobNotFound):
        runtime.get(1, "not-a-job")
    with pytest.raises(InvalidRequest) as refused:
        runtime.submit(1, "no.such.kind", {})
    assert refused.value.param == "kind"
    with pytest.raises(InvalidRequest):
        runtime.list(1, limit=0)
    runtime.wait(1, mine.id)
    runtime.wait(12, theirs.id)
    assert runtime.get(1, mine.id).status == JobStatus.SUCCEEDED


def test_one_organisation_runs_one_job_at_a_time_others_run_beside_it(
    runtime: JobRuntime, tmp_path: Path
) -> None:
    log = tmp_path / "steps.log"
    params = {"log": str(log), "step_s": 0.3}
    first, second = (runtime.submit(1, "test.pipeline", params) for _ in range(2))
    other = runtime.submit(2, "test.pipeline", params)
    for job in (first, second, other):
        assert runtime.wait(None, job.id).status == JobStatus.SUCCEEDED

    def span(job_id: str) -> tuple[float, float]:
        times = [t.at for t in traces(log, job_id)]
        return min(times), max(times)

    (a_start, a_end), (b_start, _b_end) = sorted([span(first.id), span(second.id)])
    o_start, o_end = span(other.id)
    assert b_start >= a_end  # org 1's limit of 1: its second job waited for the first
    assert o_start < a_end and a_start < o_end  # org 2's job ran beside org 1's


def test_a_process_runs_one_worker_other_runtimes_stay_clients(
    runtime: JobRuntime, tmp_path: Path
) -> None:
    other = open_runtime(job_store(tmp_path / "other", None).settings())
    try:
        with pytest.raises(WorkerTaken):
            other.start_worker()
        assert other.executor_id is None
    finally:
        other.close()
    assert runtime.executor_id is not None

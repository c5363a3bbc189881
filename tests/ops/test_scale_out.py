"""The scaled-out shape on one machine: 2 API replicas and 2 `reef worker`s on one PostgreSQL
and one Redis. Limits and budgets are shared, jobs spread over the workers, a worker killed
mid-job has its job finished by the other, and a client whose replica dies mid-stream
retries on the other and is billed once."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import openai
import pytest

from reef.jobs import JobRuntime, JobStatus
from tests.support.catalogue import CHAT_MODEL
from tests.support.fixtures import sdk_client
from tests.support.jobs import KINDS_MODULE, JobStore, Worker, job_store, traces, wait_for_trace
from tests.support.servers import REPO_ROOT, ReefServer, Store, server_env

pytestmark = [pytest.mark.slow, pytest.mark.postgres, pytest.mark.redis]


@pytest.fixture
def cluster(
    tmp_path: Path, catalogue_file: Path, pg_url: str, redis_url: str, redis_prefix: str
) -> Iterator[tuple[list[ReefServer], list[Worker], JobStore, Store]]:
    jobs = job_store(tmp_path / "shared", pg_url)
    replicas: list[ReefServer] = []
    workers: list[Worker] = []
    store = Store(pg_url)
    try:
        for name in ("a", "b"):
            workdir = tmp_path / name
            workdir.mkdir()
            env = server_env(
                workdir / "data",
                catalogue_file,
                database_url=pg_url,
                redis_url=redis_url,
                redis_prefix=redis_prefix,
                n_ctx=2048,
            )
            env.update(
                {
                    "REEF_JOBS__EMBEDDED": "false",  # replicas submit, workers run
                    "REEF_JOBS__MODULES": json.dumps([KINDS_MODULE]),
                    "REEF_JOBS__SYSTEM_SCHEMA": jobs.schema,
                    "PYTHONPATH": str(REPO_ROOT),
                }
            )
            replicas.append(ReefServer(workdir, env).start())
        workers.extend(Worker(jobs, name, worker_concurrency=2) for name in ("w1", "w2"))
        yield replicas, workers, jobs, store
    finally:
        for worker in workers:
            worker.stop()
        for replica in replicas:
            if replica.process is not None and replica.process.poll() is None:
                replica.stop()
        store.close()


def _echo(server: ReefServer, key: str) -> int:
    with sdk_client(server, key) as sdk:
        try:
            sdk.chat.completions.create(
                model="remote-echo", messages=[{"role": "user", "content": "one two three"}]
            )
        except openai.RateLimitError as exc:
            if exc.code == "rate_limit_exceeded":  # a spent budget has nothing to wait for
                assert exc.response.headers.get("retry-after")
            return 429
    return 200


def test_two_replicas_and_two_workers(
    cluster: tuple[list[ReefServer], list[Worker], JobStore, Store], tmp_path: Path
) -> None:
    replicas, workers, jobs, store = cluster

    # Limits and budgets are shared: whichever replica answers, the same counters apply.
    limited = store.new_key(rpm=4)
    assert [_echo(replicas[i % 2], limited) for i in range(8)] == [200] * 4 + [429] * 4
    thrifty = store.new_key(budget_usd=0.000_005)  # one echo costs more than this
    assert _echo(replicas[0], thrifty) == 200
    assert _echo(replicas[1], thrifty) == 429

    # Jobs spread over both workers.
    runtime = JobRuntime(jobs.settings()).open()
    try:
        log = tmp_path / "steps.log"
        submitted = [
            runtime.submit(org, "test.pipeline", {"log": str(log), "step_s": 0.4})
            for org in (1, 2, 3, 4)
        ]
        for job in submitted:
            assert runtime.wait(None, job.id, 90).status == JobStatus.SUCCEEDED
        ran_on = {t.pid for t in traces(log)}
        assert ran_on == {w.pid for w in workers}, ran_on

        # A worker killed mid-job: the other one (not restarted) finishes it.
        long_log = tmp_path / "long.log"
        job = runtime.submit(9, "test.pipeline", {"log": str(long_log), "step_s": 2.0})
        wait_for_trace(
            long_log, lambda seen: any(t.step == "render" for t in seen), "render to start"
        )
        victim_pid = traces(long_log, job.id)[-1].pid
        victim = next(w for w in workers if w.pid == victim_pid)
        survivor = next(w for w in workers if w.pid != victim_pid)
        victim.kill()
        done = runtime.wait(9, job.id, 90)
        assert done.status == JobStatus.SUCCEEDED, done
        finished = [(t.step, t.pid) for t in traces(long_log, job.id) if t.event == "done"]
        assert finished == [
            ("fetch", victim_pid),
            ("render", survivor.pid),
            ("encode", survivor.pid),
            ("publish", survivor.pid),
        ]
    finally:
        runtime.close()

    # A replica killed mid-stream: the client retries the same request on the other one.
    key = store.new_key()
    request_id = f"retry-{uuid.uuid4().hex}"
    body = {
        "model": CHAT_MODEL,
        "messages": [{"role": "user", "content": "Tell me a long story about a lighthouse."}],
        "max_tokens": 60,
        "stream": True,
        "stream_options": {"include_usage": True},
        "extra_headers": {"x-request-id": request_id},
    }
    with pytest.raises((openai.APIError, httpx.HTTPError)), sdk_client(replicas[0], key) as sdk:
        for index, _ in enumerate(sdk.chat.completions.create(**body)):
            if index == 3:
                assert replicas[0].process is not None
                replicas[0].process.kill()
    usage = None
    with sdk_client(replicas[1], key) as sdk:
        for chunk in sdk.chat.completions.create(**body):
            usage = chunk.usage or usage
    assert usage is not None and usage.completion_tokens > 0
    row = store.rows([request_id])[request_id]  # in the ledger before the last bytes
    assert row.completion_tokens == usage.completion_tokens and not row.aborted

"""Job counts in `/metrics`: read from the job engine when Prometheus scrapes."""

from __future__ import annotations

import logging
from collections.abc import Iterator

from prometheus_client import CollectorRegistry
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from reef.jobs import JobRuntime

log = logging.getLogger(__name__)


class JobCollector(Collector):
    def __init__(self, runtime: JobRuntime) -> None:
        self._runtime = runtime

    def collect(self) -> Iterator[GaugeMetricFamily]:
        family = GaugeMetricFamily(
            "reef_jobs",
            "Jobs by status (all organisations, newest 500 per status)",
            labels=["status"],
        )
        try:
            counts = self._runtime.counts()
        except Exception:
            log.exception("could not count jobs for /metrics")
            return
        for status, count in counts.items():
            family.add_metric([status.value], count)
        yield family
        worker = GaugeMetricFamily("reef_job_worker", "1 when this process runs jobs")
        worker.add_metric([], 1 if self._runtime.executor_id else 0)
        yield worker


def register_job_metrics(registry: CollectorRegistry, runtime: JobRuntime) -> None:
    registry.register(JobCollector(runtime))

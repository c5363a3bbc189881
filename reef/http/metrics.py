"""Prometheus metrics. Each app owns its registry, so several apps (tests, replicas in one
process) never share or collide on counters."""

from __future__ import annotations

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)

from reef.engine.protocol import EngineStats, Usage

LATENCY_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120)
TTFT_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)

CONTENT_TYPE = CONTENT_TYPE_LATEST


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "reef_requests",
            "HTTP requests by route, model and status",
            ["endpoint", "model", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "reef_request_latency_seconds",
            "Time from request arrival to the last byte of the response",
            ["endpoint", "model"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.ttft = Histogram(
            "reef_time_to_first_token_seconds",
            "Time from request arrival to the first generated chunk",
            ["model"],
            buckets=TTFT_BUCKETS,
            registry=self.registry,
        )
        self.prompt_tokens = Counter(
            "reef_prompt_tokens", "Prompt tokens processed", ["model"], registry=self.registry
        )
        self.cached_tokens = Counter(
            "reef_cached_tokens",
            "Prompt tokens served from the prefix cache",
            ["model"],
            registry=self.registry,
        )
        self.completion_tokens = Counter(
            "reef_completion_tokens",
            "Completion tokens generated",
            ["model"],
            registry=self.registry,
        )
        self.queue_depth = Gauge(
            "reef_engine_queue_depth",
            "Requests waiting for a slot",
            ["model"],
            registry=self.registry,
        )
        self.running = Gauge(
            "reef_engine_running_sequences",
            "Sequences being decoded",
            ["model"],
            registry=self.registry,
        )
        self.prefix_cache_hit_ratio = Gauge(
            "reef_prefix_cache_hit_ratio",
            "Share of prompt tokens the engine reused from its prefix cache",
            ["model"],
            registry=self.registry,
        )

    def observe_request(self, endpoint: str, model: str, status: int, seconds: float) -> None:
        self.requests.labels(endpoint, model, str(status)).inc()
        self.latency.labels(endpoint, model).observe(seconds)

    def observe_usage(self, model: str, usage: Usage) -> None:
        self.prompt_tokens.labels(model).inc(usage.prompt_tokens)
        self.cached_tokens.labels(model).inc(usage.cached_tokens)
        self.completion_tokens.labels(model).inc(usage.completion_tokens)

    def observe_engines(self, stats: dict[str, EngineStats]) -> None:
        for model, engine in stats.items():
            self.queue_depth.labels(model).set(engine.queue_depth)
            self.running.labels(model).set(engine.running)
            ratio = engine.cached_tokens / engine.prompt_tokens if engine.prompt_tokens else 0.0
            self.prefix_cache_hit_ratio.labels(model).set(ratio)

    def render(self) -> bytes:
        return generate_latest(self.registry)

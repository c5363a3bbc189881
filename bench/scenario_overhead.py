"""Scenario 3: latency a gateway adds in front of an instant OpenAI-compatible upstream.

The same bounded closed-loop load (C requests in flight) goes to the fake upstream directly and
through each gateway. Targets take turns in several rounds, so a burst of unrelated load on this
shared machine hits all of them alike. A gateway's overhead is its percentile minus the direct one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from loadgen import (
    ChatResult,
    Endpoint,
    RequestFactory,
    chat_body,
    failures,
    make_client,
    run_closed_loop,
)
from procs import log
from stats import latency_summary

MODES = {"non_streaming": False, "streaming_ttft": True}
DIRECT = "direct"


def _ping(endpoint: Endpoint, index: int) -> dict[str, Any]:
    messages = [{"role": "user", "content": f"ping {index}: say hello"}]
    return chat_body(endpoint, messages, max_tokens=16)


def _sample(result: ChatResult, stream: bool) -> float | None:
    """Streamed: time to the first content token. Non-streamed: the whole round trip."""
    return result.first_token_s if stream else result.total_s


@dataclass
class _Tally:
    """Running totals of one target in one mode across rounds."""

    samples: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    sent: int = 0
    wall_s: float = 0.0

    def add(self, results: list[ChatResult], wall_s: float, stream: bool) -> None:
        self.sent += len(results)
        self.wall_s += wall_s
        self.errors += failures(results)
        self.samples += [s for r in results if r.ok and (s := _sample(r, stream)) is not None]

    def summary(self) -> dict[str, Any]:
        return {
            "requests": self.sent,
            "failed": len(self.errors),
            "errors": self.errors[:3],
            "requests_per_s": self.sent / self.wall_s if self.wall_s else 0.0,
            **latency_summary(self.samples),
        }


async def gateway_comparison(
    targets: dict[str, Endpoint], concurrency: int, total: int, warmup: int, rounds: int
) -> dict[str, Any]:
    """Per target and mode: latency percentiles over `total` requests, req/s and failures.
    Each target keeps one client, so connections stay warm as they would behind a real app."""
    tallies = {(name, mode): _Tally() for name in targets for mode in MODES}
    clients = {name: make_client(concurrency) for name in targets}
    try:
        for name, endpoint in targets.items():
            log(f"gateway warm-up: {name}")
            for stream in MODES.values():
                await run_closed_loop(
                    endpoint, _bind(endpoint), concurrency, warmup, stream, clients[name]
                )
        for round_index in range(rounds):
            for (name, mode), tally in tallies.items():
                stream = MODES[mode]
                results, wall = await run_closed_loop(
                    targets[name],
                    _bind(targets[name]),
                    concurrency,
                    max(total // rounds, 1),
                    stream,
                    clients[name],
                )
                tally.add(results, wall, stream)
            log(f"gateway round {round_index + 1}/{rounds} done")
    finally:
        for client in clients.values():
            await client.aclose()
    summary: dict[str, Any] = {name: {} for name in targets}
    for (name, mode), tally in tallies.items():
        summary[name][mode] = tally.summary()
    for name in targets:
        plain = summary[name]["non_streaming"]
        log(f"  {name}: p50 {plain['p50_ms']:.1f} ms, p99 {plain['p99_ms']:.1f} ms")
    return summary


def _bind(endpoint: Endpoint) -> RequestFactory:
    return lambda index: _ping(endpoint, index)


def overhead_vs_direct(summary: dict[str, Any]) -> dict[str, Any]:
    """Each gateway's percentile minus the upstream's own, per mode."""
    direct = summary[DIRECT]
    return {
        name: {
            mode: {
                f"{p}_added_ms": measured[mode][f"{p}_ms"] - direct[mode][f"{p}_ms"]
                for p in ("p50", "p99")
            }
            for mode in MODES
        }
        for name, measured in summary.items()
        if name != DIRECT
    }

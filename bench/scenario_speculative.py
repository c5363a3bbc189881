"""Speculative decoding: single-stream speed with and without drafts, same prompts, same engine
settings otherwise, measured in-process (the engine's own speed; HTTP adds the same to both).

Engines with and without drafting are loaded side by side and each prompt runs on both, back to
back and in alternating order, so a burst of load from elsewhere hits both alike. The speed is
decode tokens/s: tokens after the first over the time from the first token to the last (the
prompt is prefilled identically either way), and the answers are compared for equality.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from procs import log
from spec_workloads import Workload, request_fields
from stats import percentile

from reef.engine.catalogue import Catalogue
from reef.engine.llama import EmbeddedChatBackend
from reef.engine.protocol import ChatRequest
from reef.settings import EngineSettings

MODEL = "smollm2-135m"


def make_engine(threads: int, **settings: Any) -> EmbeddedChatBackend:
    spec = Catalogue.load().get(MODEL)
    engine = EmbeddedChatBackend(spec, EngineSettings(n_threads=threads, **settings))
    engine.load()
    return engine


async def timed(engine: EmbeddedChatBackend, request: ChatRequest) -> dict[str, Any]:
    start = time.perf_counter()
    stream = await engine.open_stream(request)
    first: float | None = None
    parts: list[str] = []
    async for chunk in stream:
        if chunk.content:
            first = first or time.perf_counter()
            parts.append(chunk.content)
    end = time.perf_counter()
    tokens = stream.usage.completion_tokens
    decode_s = end - (first or end)
    return {
        "tokens": tokens,
        "total_s": end - start,
        "decode_tok_s": (tokens - 1) / decode_s if decode_s > 0 and tokens > 1 else 0.0,
        "text": "".join(parts),
    }


async def compare(
    workloads: list[Workload], threads: int, max_tokens: int, temperature: float, repeats: int
) -> list[dict[str, Any]]:
    """One row per workload: decode tok/s off and on (median of `repeats`), their ratio, and
    whether the texts matched."""
    engines = {
        "off": make_engine(threads, speculative="off"),
        "on": make_engine(threads, speculative="prompt_lookup"),
    }
    rows = []
    try:
        for workload in workloads:
            request = ChatRequest(
                model=MODEL,
                messages=workload.messages,
                **request_fields(max_tokens, temperature),
            )
            runs: dict[str, list[dict[str, Any]]] = {"off": [], "on": []}
            for i in range(repeats):
                order = ("off", "on") if i % 2 == 0 else ("on", "off")
                for mode in order:
                    runs[mode].append(await timed(engines[mode], request))
            off = percentile([r["decode_tok_s"] for r in runs["off"]], 50)
            on = percentile([r["decode_tok_s"] for r in runs["on"]], 50)
            row = {
                "kind": workload.kind,
                "name": workload.name,
                "should_help": workload.should_help,
                "tokens": runs["on"][0]["tokens"],
                "off_tok_s": off,
                "on_tok_s": on,
                "speedup": on / off if off else 0.0,
                "same_text": all(
                    a["text"] == b["text"] for a, b in zip(runs["off"], runs["on"], strict=True)
                ),
            }
            log(
                f"  {workload.kind:<10} {workload.name:<20} {off:6.1f} -> {on:6.1f} tok/s "
                f"({row['speedup']:.2f}x, {row['tokens']} tokens, same text: {row['same_text']})"
            )
            rows.append(row)
    finally:
        for engine in engines.values():
            await engine.close()
    return rows


def summarise(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Geometric-mean speed-up per kind, and over 'should help' / 'should not' groups."""

    def gmean(values: list[float]) -> float:
        product = 1.0
        for v in values:
            product *= v
        return product ** (1 / len(values)) if values else 0.0

    kinds = sorted({r["kind"] for r in rows})
    return {
        "by_kind": {k: gmean([r["speedup"] for r in rows if r["kind"] == k]) for k in kinds},
        "helps": gmean([r["speedup"] for r in rows if r["should_help"]]),
        "neutral": gmean([r["speedup"] for r in rows if not r["should_help"]]),
        "all_same_text": all(r["same_text"] for r in rows),
    }


def run(
    workloads: list[Workload], threads: int, max_tokens: int, temperature: float, repeats: int
) -> dict[str, Any]:
    rows = asyncio.run(compare(workloads, threads, max_tokens, temperature, repeats))
    return {"rows": rows, "summary": summarise(rows)}

"""Scenario 1: aggregate output tokens/s and time-to-first-token under N concurrent streams."""

from __future__ import annotations

from typing import Any

from loadgen import Endpoint, chat_body, failures, run_closed_loop
from procs import log
from stats import percentile

TOPICS = (
    "a lighthouse keeper who finds a message in a bottle",
    "the history of the bicycle",
    "how bees build a hive",
    "a robot learning to paint",
    "the water cycle",
    "a journey across the Sahara",
    "why the sky is blue",
    "a chef opening a tiny restaurant",
    "the life of a medieval blacksmith",
    "how volcanoes form",
    "a lost cat finding its way home",
    "the invention of the printing press",
    "a day on the International Space Station",
    "how trains changed the world",
    "a detective solving a mystery in Venice",
    "the migration of monarch butterflies",
    "a farmer preparing for winter",
    "how computers store numbers",
    "a musician writing her first symphony",
    "the coral reefs of Australia",
    "an old map leading to treasure",
    "how bread is baked",
    "a child building a treehouse",
    "the phases of the moon",
    "a sailor caught in a storm",
    "how forests recover after a fire",
    "a librarian who discovers a secret room",
    "the first flight of the Wright brothers",
    "a village festival in the mountains",
    "how rivers shape valleys",
    "an astronaut returning to Earth",
    "the craft of making violins",
)


def stream_prompt(index: int) -> str:
    """Varied short prompts (no shared prefix beyond the chat template) that invite long text."""
    topic = TOPICS[index % len(TOPICS)]
    return f"Write a long, detailed story about {topic}. Part {index // len(TOPICS) + 1}."


def stream_request(
    endpoint: Endpoint, index: int, max_tokens: int, eos_bias: dict[str, float]
) -> dict[str, Any]:
    return chat_body(
        endpoint,
        [{"role": "user", "content": stream_prompt(index)}],
        max_tokens=max_tokens,
        temperature=0,
        logit_bias=eos_bias,
    )


async def throughput_sweep(
    endpoint: Endpoint,
    levels: list[int],
    requests_per_stream: int,
    max_tokens: int,
    eos_bias: dict[str, float],
) -> list[dict[str, Any]]:
    """One row per concurrency level. Each of N workers sends `requests_per_stream` streamed
    completions back to back; tokens/s is all completion tokens over the level's wall time."""
    offset = 0

    def make_body(index: int) -> dict[str, Any]:
        return stream_request(endpoint, offset + index, max_tokens, eos_bias)

    log(f"{endpoint.name}: warm-up")
    await run_closed_loop(endpoint, make_body, concurrency=1, total_requests=2, stream=True)
    rows = []
    for concurrency in levels:
        offset += 1000
        total = concurrency * requests_per_stream
        log(f"{endpoint.name}: {concurrency} concurrent streams, {total} requests")
        results, wall = await run_closed_loop(endpoint, make_body, concurrency, total, stream=True)
        good = [r for r in results if r.ok]
        ttfts = [r.first_token_s for r in good if r.first_token_s is not None]
        tokens = sum(r.completion_tokens for r in good)
        row = {
            "concurrency": concurrency,
            "requests": total,
            "failed": len(results) - len(good),
            "errors": failures(results)[:3],
            "completion_tokens": tokens,
            "tokens_per_request": tokens / len(good) if good else 0.0,
            "token_count_source": "usage" if all(r.usage for r in good) else "stream chunks",
            "wall_s": wall,
            "tokens_per_s": tokens / wall if wall else 0.0,
            "ttft_p50_ms": percentile(ttfts, 50) * 1000,
            "ttft_p95_ms": percentile(ttfts, 95) * 1000,
        }
        log(
            f"  -> {row['tokens_per_s']:.1f} tok/s, TTFT p50 {row['ttft_p50_ms']:.0f} ms "
            f"p95 {row['ttft_p95_ms']:.0f} ms, {row['tokens_per_request']:.1f} tok/req, "
            f"{row['failed']} failed"
        )
        rows.append(row)
    return rows

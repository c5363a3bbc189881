"""Engine scenarios over HTTP: fixed- and natural-length concurrent streams, and a cold prompt
after a burst of conversations has filled the prefix cache.
"""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

from loadgen import Endpoint, chat_body, failures, make_client, run_closed_loop, stream_chat
from procs import ServerFailed, log
from scenario_prefix import build_system_prompt
from scenario_throughput import stream_prompt
from stats import percentile


async def streams(
    endpoint: Endpoint,
    concurrency: int,
    rounds: int,
    max_tokens: int,
    *,
    temperature: float,
    eos_bias: dict[str, float] | None,
    offset: int,
) -> dict[str, Any]:
    """`concurrency` closed-loop workers, `rounds` requests each. With `eos_bias` every answer
    has exactly `max_tokens` tokens (fixed length); without, answers end where the model ends
    them (natural length, what users send)."""

    def body(index: int) -> dict[str, Any]:
        params: dict[str, Any] = {"max_tokens": max_tokens, "temperature": temperature}
        if eos_bias:
            params["logit_bias"] = eos_bias
        messages = [{"role": "user", "content": stream_prompt(offset + index)}]
        return chat_body(endpoint, messages, **params)

    total = concurrency * rounds
    results, wall = await run_closed_loop(endpoint, body, concurrency, total, stream=True)
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
        "wall_s": wall,
        "tokens_per_s": tokens / wall if wall else 0.0,
        "ttft_p50_ms": percentile(ttfts, 50) * 1000,
        "ttft_p95_ms": percentile(ttfts, 95) * 1000,
    }
    log(
        f"  {endpoint.name} x{concurrency} ({'fixed' if eos_bias else 'natural'}): "
        f"{row['tokens_per_s']:.1f} tok/s, TTFT p95 {row['ttft_p95_ms']:.0f} ms, "
        f"{row['tokens_per_request']:.1f} tok/req, {row['failed']} failed"
    )
    return row


def _conversation(index: int, system_prompt: str) -> list[dict[str, str]]:
    return [
        {"role": "system", "content": f"[companion {index}]\n{system_prompt}"},
        {"role": "user", "content": f"Hello! Tell me about rule {index + 1}."},
    ]


async def _ttft(endpoint: Endpoint, messages: list[dict[str, str]], max_tokens: int) -> Any:
    async with make_client(1) as client:
        result = await stream_chat(
            client, endpoint, chat_body(endpoint, messages, max_tokens=max_tokens, temperature=0)
        )
    if not result.ok or result.first_token_s is None:
        raise ServerFailed(f"{endpoint.name}: request failed: {result.error}")
    return result


async def cold_after_burst(
    endpoint: Endpoint,
    count_tokens: Any,
    cold_tokens: int,
    burst_conversations: int,
    burst_tokens: int,
) -> dict[str, Any]:
    """TTFT of a cold ~`cold_tokens` prompt on an empty cache, then again after a burst of
    conversations left ~`burst_conversations * burst_tokens` idle tokens in the prefix cache;
    then each conversation's second turn, to show whether the cache still hits."""
    handbook = build_system_prompt(count_tokens, cold_tokens)
    burst_prompt = build_system_prompt(count_tokens, burst_tokens)

    def cold_messages() -> list[dict[str, str]]:
        return [
            {"role": "system", "content": f"[session {uuid.uuid4().hex}]\n{handbook}"},
            {"role": "user", "content": "Which rule covers damaged parcels?"},
        ]

    empty = await _ttft(endpoint, cold_messages(), 1)
    conversations = [_conversation(i, burst_prompt) for i in range(burst_conversations)]
    async with make_client(burst_conversations) as client:
        answers = await asyncio.gather(
            *(
                stream_chat(client, endpoint, chat_body(endpoint, c, max_tokens=32, temperature=0))
                for c in conversations
            )
        )
    if not all(a.ok for a in answers):
        raise ServerFailed(f"{endpoint.name}: burst failed: {failures(list(answers))[:2]}")
    idle_tokens = sum(
        (a.usage or {}).get("prompt_tokens", 0) + a.completion_tokens for a in answers
    )
    after = await _ttft(endpoint, cold_messages(), 1)
    hits = []
    for conversation, answer in zip(conversations, answers, strict=True):
        turn2 = [
            *conversation,
            {"role": "assistant", "content": answer.text},
            {"role": "user", "content": "Thanks. And the rule after that?"},
        ]
        result = await _ttft(endpoint, turn2, 1)
        prompt = (result.usage or {}).get("prompt_tokens") or 0
        hits.append((result.cached_tokens or 0) / prompt if prompt else 0.0)
    row = {
        "cold_prompt_tokens": (empty.usage or {}).get("prompt_tokens"),
        "idle_tokens_after_burst": idle_tokens,
        "empty_cache_ttft_ms": empty.first_token_s * 1000,
        "after_burst_ttft_ms": after.first_token_s * 1000,
        "after_over_empty": after.first_token_s / empty.first_token_s,
        "prefill_tok_s": ((empty.usage or {}).get("prompt_tokens") or 0) / empty.first_token_s,
        "turn2_cached_share_mean": sum(hits) / len(hits) if hits else 0.0,
        "turn2_cached_share_min": min(hits, default=0.0),
    }
    log(
        f"  {endpoint.name}: cold {row['empty_cache_ttft_ms']:.0f} ms empty, "
        f"{row['after_burst_ttft_ms']:.0f} ms after {idle_tokens} idle tokens "
        f"({row['after_over_empty']:.2f}x); "
        f"turn-2 cached share {row['turn2_cached_share_mean']:.2f}"
    )
    return row

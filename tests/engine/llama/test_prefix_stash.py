"""Idle cached prefixes leave the KV cache while other work runs, and come back on a hit."""

from __future__ import annotations

import asyncio

import llama_cpp

from reef.engine.llama import EmbeddedChatBackend
from tests.engine.llama.support import Answer, complete, make_backend, read_all, request

PERSONA = (
    "You are Captain Mira Vale, a retired starship pilot who runs a tea shop on a quiet moon. "
    "You speak warmly, love old engines and tell short stories about the colonies. " * 4
)
TOPICS = ["rivers", "owls", "bread", "trains", "moons", "ships"]


def chat(persona: str, question: str) -> list[dict[str, str]]:
    return [{"role": "system", "content": persona}, {"role": "user", "content": question}]


def resident_positions(engine: EmbeddedChatBackend) -> dict[int, int]:
    """What llama.cpp itself holds: the highest position of every sequence (-1: empty)."""
    loaded = engine._loaded
    assert loaded is not None
    native = loaded.native
    return {
        seq: llama_cpp.llama_memory_seq_pos_max(native.memory, seq)
        for seq in range(native.n_seq_max)
    }


async def test_idle_prefixes_are_parked_when_new_work_arrives() -> None:
    engine = make_backend(n_seq_max=8)
    try:
        burst = [
            request(f"Tell me about {topic}.", max_tokens=24, temperature=0, ignore_eos=True)
            for topic in TOPICS
        ]
        await asyncio.gather(*(complete(engine, r) for r in burst))
        stats = engine.stats().extra
        # Nothing else is running: the last ones to finish stay in the KV cache, ready.
        assert stats["kv_cells_used"] > 0
        stream = await engine.open_stream(
            request("Write about glaciers.", max_tokens=40, temperature=0, ignore_eos=True)
        )
        first = await anext(stream)
        assert first is not None
        running_slot = stream.slot
        positions = resident_positions(engine)
        # Only the running request has cells; every idle prefix went to host memory.
        assert [seq for seq, pos in positions.items() if pos >= 0] == [running_slot]
        stats = engine.stats().extra
        assert stats["parked_tokens"] >= len(TOPICS) * 24
        assert stats["parked_bytes"] > 0
        await read_all(stream)
    finally:
        await engine.close()


async def test_a_parked_conversation_is_restored_for_its_next_turn() -> None:
    engine = make_backend(n_seq_max=4)
    try:
        turn1 = chat(PERSONA, "What tea do you recommend?")
        first = await complete(engine, request(turn1, max_tokens=16, temperature=0))
        # Other users' requests push the conversation out of the KV cache.
        await asyncio.gather(
            *(complete(engine, request(f"Name a {t}.", max_tokens=8)) for t in TOPICS[:3])
        )
        assert engine.stats().extra["prefix_parked"] >= 1
        turn2 = [
            *turn1,
            {"role": "assistant", "content": first.text},
            {"role": "user", "content": "And what cake goes with it?"},
        ]
        second = await complete(engine, request(turn2, max_tokens=16, temperature=0))
        assert engine.stats().extra["prefix_restored"] >= 1
        expected_reuse = first.usage.prompt_tokens + first.usage.completion_tokens - 2
        assert second.usage.cached_tokens >= expected_reuse
    finally:
        await engine.close()
    # The restored cells give the same answer as prefilling the whole prompt from scratch.
    cold = make_backend(n_seq_max=4, prefix_stash=False)
    try:
        reference: Answer = await complete(cold, request(turn2, max_tokens=16, temperature=0))
        assert reference.usage.cached_tokens == 0
        assert reference.text == second.text
    finally:
        await cold.close()


async def test_without_the_stash_idle_prefixes_stay_resident() -> None:
    engine = make_backend(n_seq_max=4, prefix_stash=False)
    try:
        await complete(engine, request(chat(PERSONA, "Hello"), max_tokens=4))
        stream = await engine.open_stream(request("Count to five.", max_tokens=8))
        await anext(stream)
        assert sum(1 for pos in resident_positions(engine).values() if pos >= 0) == 2
        assert engine.stats().extra["parked_tokens"] == 0
        await read_all(stream)
    finally:
        await engine.close()

"""Prefix reuse across requests and turns, and LRU eviction of idle prefixes."""

from __future__ import annotations

from reef.engine.llama import EmbeddedChatBackend
from reef.engine.llama.slots import SlotTable, common_prefix_len, distinct_cells
from tests.engine.llama.support import complete, make_backend, request

PERSONA_A = (
    "You are Captain Mira Vale, a retired starship pilot who runs a tea shop on a quiet moon. "
    "You speak warmly, love old engines and tell short stories about the colonies. " * 4
)
PERSONA_B = (
    "You are Professor Odo Finch, a botanist obsessed with desert succulents and rare cacti. "
    "You answer precisely, cite the Latin names of plants and dislike small talk. " * 4
)


def chat(persona: str, question: str) -> list[dict[str, str]]:
    return [{"role": "system", "content": persona}, {"role": "user", "content": question}]


async def test_shared_system_prompt_is_prefilled_once(backend: EmbeddedChatBackend) -> None:
    first = await complete(backend, request(chat(PERSONA_A, "Hello!"), max_tokens=4))
    second = await complete(backend, request(chat(PERSONA_A, "What do you sell?"), max_tokens=4))
    persona_tokens = backend.count_tokens(PERSONA_A)
    assert first.usage.prompt_tokens > persona_tokens
    assert second.usage.cached_tokens >= persona_tokens
    assert second.usage.cached_tokens > second.usage.prompt_tokens * 0.8
    assert second.usage.cached_tokens < second.usage.prompt_tokens


async def test_next_turn_reuses_the_previous_prompt_and_answer(
    backend: EmbeddedChatBackend,
) -> None:
    turn1 = chat(PERSONA_B, "Which cactus should I buy first?")
    first = await complete(backend, request(turn1, max_tokens=16, temperature=0))
    turn2 = [
        *turn1,
        {"role": "assistant", "content": first.text},
        {"role": "user", "content": "And how often should I water it?"},
    ]
    second = await complete(backend, request(turn2, max_tokens=4, temperature=0))
    assert (
        second.usage.cached_tokens >= first.usage.prompt_tokens + first.usage.completion_tokens - 2
    )


def test_next_turn_prompt_starts_with_the_previous_prompt_and_answer(
    backend: EmbeddedChatBackend,
) -> None:
    turn1 = chat(PERSONA_B, "Name a cactus.")
    answer = "The golden barrel cactus, Echinocactus grusonii."
    turn2 = [*turn1, {"role": "assistant", "content": answer}, {"role": "user", "content": "Why?"}]
    prompt1 = backend.render_prompt(turn1)
    prompt2 = backend.render_prompt(turn2)
    assert prompt2.startswith(prompt1 + answer)
    tokens1 = backend.render_prompt_tokens(turn1)
    tokens2 = backend.render_prompt_tokens(turn2)
    assert tokens2[: len(tokens1)] == tokens1


async def test_idle_prefixes_beyond_the_budget_are_evicted_lru(
    backend: EmbeddedChatBackend,
) -> None:
    persona_tokens = backend.count_tokens(PERSONA_A)
    # Room for one persona's prefix, not two.
    engine = make_backend(n_seq_max=4, prefix_cache_tokens=int(persona_tokens * 1.5))
    try:
        await complete(engine, request(chat(PERSONA_A, "Hi"), max_tokens=2))
        await complete(engine, request(chat(PERSONA_B, "Hi"), max_tokens=2))
        assert engine.stats().extra["prefix_evictions"] >= 1
        assert engine.stats().extra["idle_cached_tokens"] <= persona_tokens * 1.5
        # A was least recently used, so it went; B, the most recent, stayed.
        again_a = await complete(engine, request(chat(PERSONA_A, "Hi"), max_tokens=2))
        assert again_a.usage.cached_tokens < persona_tokens / 4
        again_a2 = await complete(engine, request(chat(PERSONA_A, "Hey"), max_tokens=2))
        assert again_a2.usage.cached_tokens >= persona_tokens
    finally:
        await engine.close()


async def test_without_pressure_both_prefixes_stay(backend: EmbeddedChatBackend) -> None:
    await complete(backend, request(chat(PERSONA_A, "Hi there"), max_tokens=2))
    await complete(backend, request(chat(PERSONA_B, "Hi there"), max_tokens=2))
    again = await complete(backend, request(chat(PERSONA_A, "Hi there"), max_tokens=2))
    assert again.usage.cached_tokens >= backend.count_tokens(PERSONA_A)


class RecordingMemory:
    """Stands in for llama.cpp's KV memory to check which calls the slot table makes."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, int, int, int]] = []

    def seq_remove(self, seq_id: int, start: int = -1, end: int = -1) -> bool:
        self.calls.append(("rm", seq_id, start, end))
        return True

    def seq_copy(self, src: int, dst: int, end: int) -> None:
        self.calls.append(("cp", src, dst, end))


def test_common_prefix_len() -> None:
    assert common_prefix_len([], [1]) == 0
    assert common_prefix_len([1, 2, 3], [1, 2, 3]) == 3
    assert common_prefix_len([1, 2, 3], [1, 2]) == 2
    assert common_prefix_len([1, 2, 3, 4], [1, 2, 9, 4]) == 2
    assert common_prefix_len([5], [6]) == 0
    long = list(range(1000))
    assert common_prefix_len(long, [*long[:777], -1]) == 777


def test_distinct_cells_counts_shared_prefixes_once() -> None:
    assert distinct_cells([[1, 2, 3], [1, 2, 4], [1, 2, 3, 5], []]) == 5
    assert distinct_cells([[1, 2], [3, 4]]) == 4


def test_slot_table_reuses_the_longest_prefix_and_keeps_the_last_token() -> None:
    memory = RecordingMemory()
    table = SlotTable(2, memory)
    first = table.assign([1, 2, 3, 4])
    assert first.reused == 0
    first.slot.tokens = [1, 2, 3, 4]
    table.release(first.slot)
    # Exactly the cached prompt: everything but the last token is reused.
    again = table.assign([1, 2, 3, 4])
    assert again.slot is first.slot and again.reused == 3
    assert ("rm", first.slot.seq_id, 3, -1) in memory.calls
    # While that slot is busy, a prompt sharing its prefix is copied into the other slot.
    memory.calls.clear()
    other = table.assign([1, 2, 3, 9, 9])
    assert other.slot is not first.slot and other.reused == 3
    assert memory.calls[-1] == ("cp", first.slot.seq_id, other.slot.seq_id, 3)
    assert other.slot.tokens == [1, 2, 3]

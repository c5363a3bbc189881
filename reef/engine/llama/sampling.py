"""Per-request sampler chains: built once per request, used for every token, freed at the end."""

from __future__ import annotations

import ctypes
import math
from dataclasses import dataclass, field
from typing import Any

import llama_cpp
import numpy as np

from reef.errors import InvalidRequest


@dataclass(frozen=True)
class SamplingParams:
    """What a request asked for; `temperature == 0` means greedy decoding."""

    temperature: float
    top_p: float
    top_k: int
    min_p: float
    seed: int | None
    frequency_penalty: float = 0.0
    presence_penalty: float = 0.0
    penalty_last_n: int = 64
    logit_bias: dict[int, float] = field(default_factory=dict)
    ignore_eos: bool = False


class SamplerChain:
    """Owns one request's samplers; only the engine thread samples from it."""

    def __init__(self, chain: Any) -> None:
        self.handle = chain
        self._grammar: _GrammarGate | None = None

    @classmethod
    def build(
        cls,
        params: SamplingParams,
        *,
        vocab: Any,
        n_vocab: int,
        eog_tokens: list[int],
        grammar: str | None,
    ) -> SamplerChain:
        chain_params = llama_cpp.llama_sampler_chain_default_params()
        chain_params.no_perf = True
        self = cls(llama_cpp.llama_sampler_chain_init(chain_params))
        try:
            if grammar is not None:
                self._grammar = _GrammarGate(vocab, grammar, n_vocab)
            bias = dict(params.logit_bias)
            if params.ignore_eos and grammar is None:
                # A finished grammar only allows end-of-generation, so it keeps them.
                bias.update({token: -math.inf for token in eog_tokens})
            if bias:
                self._add(_logit_bias_sampler(bias, n_vocab))
            if params.frequency_penalty or params.presence_penalty:
                self._add(
                    llama_cpp.llama_sampler_init_penalties(
                        n_vocab,
                        params.penalty_last_n,
                        1.0,
                        params.frequency_penalty,
                        params.presence_penalty,
                    )
                )
            if params.temperature <= 0:
                self._add(llama_cpp.llama_sampler_init_greedy())
                return self
            if params.top_k > 0:
                self._add(llama_cpp.llama_sampler_init_top_k(params.top_k))
            if params.top_p < 1.0:
                self._add(llama_cpp.llama_sampler_init_top_p(params.top_p, 1))
            if params.min_p > 0:
                self._add(llama_cpp.llama_sampler_init_min_p(params.min_p, 1))
            self._add(llama_cpp.llama_sampler_init_temp(params.temperature))
            seed = llama_cpp.LLAMA_DEFAULT_SEED if params.seed is None else params.seed & 0xFFFFFFFF
            self._add(llama_cpp.llama_sampler_init_dist(seed))
        except BaseException:
            self.close()
            raise
        return self

    def _add(self, sampler: Any) -> None:
        llama_cpp.llama_sampler_chain_add(self.handle, sampler)

    def sample(self, ctx: Any, batch_index: int) -> int:
        """Pick the next token from one output row and record it in the samplers' state."""
        if self._grammar is None:
            return int(llama_cpp.llama_sampler_sample(self.handle, ctx, batch_index))
        return self._grammar.sample(self.handle, llama_cpp.llama_get_logits_ith(ctx, batch_index))

    def close(self) -> None:
        if self.handle is not None:
            llama_cpp.llama_sampler_free(self.handle)
            self.handle = None
        if self._grammar is not None:
            self._grammar.close()
            self._grammar = None


class _GrammarGate:
    """Grammar-constrained sampling that is cheap when the model already follows the grammar.

    Checking a grammar against the whole vocabulary costs milliseconds per token; checking one
    token costs microseconds. So the chain samples freely first, and only when the grammar
    rejects that token is it applied to every candidate before sampling again (the approach of
    llama.cpp's own common sampler)."""

    def __init__(self, vocab: Any, grammar: str, n_vocab: int) -> None:
        handle = llama_cpp.llama_sampler_init_grammar(vocab, grammar.encode("utf-8"), b"root")
        if not handle:
            raise InvalidRequest(
                "The schema could not be compiled into a decoding grammar",
                param="response_format",
            )
        self.handle = handle
        self._n_vocab = n_vocab
        self._candidates = (llama_cpp.llama_token_data * n_vocab)()
        self._view = np.ctypeslib.as_array(self._candidates)
        self._view["id"] = np.arange(n_vocab, dtype=np.int32)
        self._single = (llama_cpp.llama_token_data * 1)()

    def sample(self, chain: Any, logits: Any) -> int:
        token = self._apply(chain, logits, constrained=False)
        if not self._allows(token):
            token = self._apply(chain, logits, constrained=True)
        llama_cpp.llama_sampler_accept(self.handle, token)
        llama_cpp.llama_sampler_accept(chain, token)
        return token

    def _apply(self, chain: Any, logits: Any, *, constrained: bool) -> int:
        view = self._view
        view["id"] = np.arange(self._n_vocab, dtype=np.int32)
        view["logit"] = np.ctypeslib.as_array(logits, shape=(self._n_vocab,))
        view["p"] = 0.0
        cur = llama_cpp.llama_token_data_array(
            ctypes.cast(self._candidates, llama_cpp.llama_token_data_p), self._n_vocab, -1, False
        )
        if constrained:
            llama_cpp.llama_sampler_apply(self.handle, ctypes.byref(cur))
        llama_cpp.llama_sampler_apply(chain, ctypes.byref(cur))
        if not 0 <= cur.selected < cur.size:
            raise RuntimeError("sampler chain selected no token")
        return int(cur.data[cur.selected].id)

    def _allows(self, token: int) -> bool:
        self._single[0] = llama_cpp.llama_token_data(token, 1.0, 0.0)
        one = llama_cpp.llama_token_data_array(
            ctypes.cast(self._single, llama_cpp.llama_token_data_p), 1, -1, False
        )
        llama_cpp.llama_sampler_apply(self.handle, ctypes.byref(one))
        return bool(math.isfinite(one.data[0].logit))

    def close(self) -> None:
        if self.handle is not None:
            llama_cpp.llama_sampler_free(self.handle)
            self.handle = None


def _logit_bias_sampler(bias: dict[int, float], n_vocab: int) -> Any:
    entries = (llama_cpp.llama_logit_bias * len(bias))()
    for i, (token, value) in enumerate(bias.items()):
        if not 0 <= token < n_vocab:
            raise InvalidRequest(
                f"logit_bias token {token} is not in the vocabulary", param="logit_bias"
            )
        entries[i] = llama_cpp.llama_logit_bias(token, value)
    return llama_cpp.llama_sampler_init_logit_bias(
        n_vocab, len(bias), ctypes.cast(entries, llama_cpp.llama_logit_bias_p)
    )

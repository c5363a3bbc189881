"""The physical reference: llama.cpp's own batched decode of the same GGUF, no server.

A plain Python loop over llama-cpp-python's low-level API, as the llama.cpp `batched` example
does it: one context with a unified KV cache, every sequence's next token in one `llama_decode`,
greedy sampling with end-of-generation banned (so every sequence runs to the fixed length), the
same thread count as the servers. What Reef delivers is compared with this ceiling.
"""

from __future__ import annotations

import ctypes
import time
from pathlib import Path
from typing import Any

import llama_cpp

CHAT_PROMPT = "<|im_start|>user\n{}<|im_end|>\n<|im_start|>assistant\n"


@llama_cpp.llama_log_callback
def _quiet(_level: int, _text: bytes, _user_data: Any) -> None:
    pass


class RawLlama:
    def __init__(self, model_path: Path, threads: int, n_ctx: int, n_batch: int, n_seq: int):
        llama_cpp.llama_backend_init()
        llama_cpp.llama_log_set(_quiet, ctypes.c_void_p(0))
        self.model = llama_cpp.llama_model_load_from_file(
            str(model_path).encode(), llama_cpp.llama_model_default_params()
        )
        self.vocab = llama_cpp.llama_model_get_vocab(self.model)
        self.n_vocab = llama_cpp.llama_vocab_n_tokens(self.vocab)
        params = llama_cpp.llama_context_default_params()
        params.n_ctx, params.n_batch, params.n_ubatch = n_ctx, n_batch, n_batch
        params.n_seq_max, params.kv_unified, params.no_perf = n_seq, True, True
        params.n_threads = params.n_threads_batch = threads
        self.ctx = llama_cpp.llama_init_from_model(self.model, params)
        self.memory = llama_cpp.llama_get_memory(self.ctx)
        self.n_batch = n_batch
        self.batch = llama_cpp.llama_batch_init(n_batch, 0, 1)
        self.eog = [t for t in range(self.n_vocab) if llama_cpp.llama_vocab_is_eog(self.vocab, t)]

    def tokenize(self, text: str) -> list[int]:
        data = text.encode()
        buffer = (llama_cpp.llama_token * (len(data) + 8))()
        n = llama_cpp.llama_tokenize(self.vocab, data, len(data), buffer, len(buffer), True, True)
        return list(buffer[:n])

    def _fill(self, items: list[tuple[int, list[int], int, bool]]) -> None:
        """items: (seq_id, tokens, first position, logits for the last token)."""
        b, n = self.batch, 0
        for seq, tokens, pos, logits in items:
            for i, token in enumerate(tokens):
                b.token[n], b.pos[n], b.n_seq_id[n] = token, pos + i, 1
                b.seq_id[n][0] = seq
                b.logits[n] = logits and i == len(tokens) - 1
                n += 1
        b.n_tokens = n

    def _decode(self) -> None:
        rc = llama_cpp.llama_decode(self.ctx, self.batch)
        if rc != 0:
            raise RuntimeError(f"llama_decode failed ({rc})")

    def _greedy_chain(self) -> Any:
        chain = llama_cpp.llama_sampler_chain_init(llama_cpp.llama_sampler_chain_default_params())
        bias = (llama_cpp.llama_logit_bias * len(self.eog))(
            *(llama_cpp.llama_logit_bias(t, float("-inf")) for t in self.eog)
        )
        llama_cpp.llama_sampler_chain_add(
            chain,
            llama_cpp.llama_sampler_init_logit_bias(
                self.n_vocab, len(self.eog), ctypes.cast(bias, llama_cpp.llama_logit_bias_p)
            ),
        )
        llama_cpp.llama_sampler_chain_add(chain, llama_cpp.llama_sampler_init_greedy())
        return chain

    def generate(self, prompts: list[str], n_tokens: int) -> dict[str, float]:
        """Prefill every prompt, then decode `n_tokens` for all of them together."""
        llama_cpp.llama_memory_clear(self.memory, True)
        chains = [self._greedy_chain() for _ in prompts]
        tokens = [self.tokenize(CHAT_PROMPT.format(p)) for p in prompts]
        start = time.perf_counter()
        self._fill([(s, t, 0, True) for s, t in enumerate(tokens)])
        self._decode()
        rows, offset = [], 0
        for t in tokens:
            offset += len(t)
            rows.append(offset - 1)
        positions = [len(t) for t in tokens]
        nxt = [
            llama_cpp.llama_sampler_sample(c, self.ctx, r)
            for c, r in zip(chains, rows, strict=True)
        ]
        first_token_s = time.perf_counter() - start
        for _ in range(n_tokens - 1):
            self._fill([(s, [nxt[s]], positions[s], True) for s in range(len(prompts))])
            self._decode()
            for s in range(len(prompts)):
                positions[s] += 1
            nxt = [llama_cpp.llama_sampler_sample(c, self.ctx, s) for s, c in enumerate(chains)]
        wall = time.perf_counter() - start
        for chain in chains:
            llama_cpp.llama_sampler_free(chain)
        return {
            "tokens": float(n_tokens * len(prompts)),
            "wall_s": wall,
            "tokens_per_s": n_tokens * len(prompts) / wall,
            "first_token_s": first_token_s,
        }

    def prefill(self, tokens: list[int], chunk: int) -> dict[str, float]:
        """Prefill one prompt in `chunk`-token decodes; tokens/s to its first logits."""
        llama_cpp.llama_memory_clear(self.memory, True)
        start = time.perf_counter()
        for i in range(0, len(tokens), chunk):
            part = tokens[i : i + chunk]
            self._fill([(0, part, i, i + chunk >= len(tokens))])
            self._decode()
        wall = time.perf_counter() - start
        return {"tokens": float(len(tokens)), "wall_s": wall, "tokens_per_s": len(tokens) / wall}

    def close(self) -> None:
        llama_cpp.llama_batch_free(self.batch)
        llama_cpp.llama_free(self.ctx)
        llama_cpp.llama_model_free(self.model)

"""One loaded GGUF model and its llama.cpp context, behind a small typed surface.

Everything that touches llama.cpp pointers for the model, vocabulary and KV memory lives here so
the scheduler reads as scheduling, not as ctypes plumbing.
"""

from __future__ import annotations

import ctypes
import logging
import os
import threading
from functools import cached_property
from pathlib import Path
from typing import Any

import llama_cpp

from reef.settings import EngineSettings

logger = logging.getLogger("reef.engine.llama")
_native_logger = logging.getLogger("reef.engine.llama.cpp")

# ggml_log_level: NONE, DEBUG, INFO, WARN, ERROR, CONT (continues the previous line).
_GGML_LEVELS = {
    0: logging.CRITICAL,
    1: logging.DEBUG,
    2: logging.INFO,
    3: logging.WARNING,
    4: logging.ERROR,
    5: logging.DEBUG,
}
_PIECE_BUFFER_BYTES = 256


@llama_cpp.llama_log_callback
def _route_native_log(level: int, text: bytes, _user_data: Any) -> None:
    """llama.cpp prints hundreds of load-time lines to stderr; keep only warnings and errors."""
    py_level = _GGML_LEVELS.get(level, logging.DEBUG)
    if py_level >= logging.WARNING and _native_logger.isEnabledFor(py_level):
        _native_logger.log(py_level, "%s", text.decode("utf-8", "replace").rstrip())


_backend_lock = threading.Lock()
_backend_ready = False


def _init_backend() -> None:
    global _backend_ready
    with _backend_lock:
        if not _backend_ready:
            llama_cpp.llama_backend_init()
            llama_cpp.llama_log_set(_route_native_log, ctypes.c_void_p(0))
            _backend_ready = True


def default_threads() -> int:
    """All cores but one: ggml's worker threads spin at barriers, and when they compete with the
    event loop (or anything else) for every core, a step can take ten times longer."""
    return max(1, (os.cpu_count() or 1) - 1)


class NativeModel:
    """A GGUF model plus one batched-decoding context (unified KV cache, `n_seq_max` sequences)."""

    def __init__(self, path: Path, settings: EngineSettings) -> None:
        if not path.is_file():
            raise FileNotFoundError(f"model file not found: {path}")
        _init_backend()
        self.path = path
        model_params = llama_cpp.llama_model_default_params()
        model = llama_cpp.llama_model_load_from_file(str(path).encode(), model_params)
        if not model:
            raise RuntimeError(f"llama.cpp could not load {path}")
        self.model = model
        vocab = llama_cpp.llama_model_get_vocab(model)
        if not vocab:
            llama_cpp.llama_model_free(model)
            raise RuntimeError(f"model {path} has no vocabulary")
        self.vocab = vocab
        self.n_vocab: int = llama_cpp.llama_vocab_n_tokens(vocab)
        self.n_ctx_train: int = llama_cpp.llama_model_n_ctx_train(model)
        self.n_seq_max = max(1, min(settings.n_seq_max, llama_cpp.llama_max_parallel_sequences()))
        self.n_batch = max(settings.n_batch, self.n_seq_max)
        self.ctx = self._new_context(settings)
        self.n_ctx: int = llama_cpp.llama_n_ctx(self.ctx)
        self.n_batch = llama_cpp.llama_n_batch(self.ctx)  # llama.cpp caps it at n_ctx
        memory = llama_cpp.llama_get_memory(self.ctx)
        if not memory:
            self.close()
            raise RuntimeError("llama.cpp context has no KV memory")
        self.memory = memory
        self.add_bos: bool = llama_cpp.llama_vocab_get_add_bos(vocab)
        self.bos_text = self._special_text(llama_cpp.llama_vocab_bos(vocab))
        self.eos_text = self._special_text(llama_cpp.llama_vocab_eos(vocab))
        self._pieces: dict[int, bytes] = {}
        self._piece_buf = ctypes.create_string_buffer(_PIECE_BUFFER_BYTES)

    def _new_context(self, settings: EngineSettings) -> Any:
        params = llama_cpp.llama_context_default_params()
        threads = settings.n_threads or default_threads()
        params.n_ctx = settings.n_ctx
        params.n_batch = self.n_batch
        params.n_ubatch = self.n_batch
        params.n_seq_max = self.n_seq_max
        params.n_threads = threads
        params.n_threads_batch = threads
        params.kv_unified = True
        params.no_perf = True
        ctx = llama_cpp.llama_init_from_model(self.model, params)
        if not ctx:
            llama_cpp.llama_model_free(self.model)
            raise RuntimeError("llama.cpp could not create a context")
        return ctx

    def _special_text(self, token: int) -> str:
        if token < 0:
            return ""
        text = llama_cpp.llama_vocab_get_text(self.vocab, token)
        return text.decode("utf-8", "replace") if text else ""

    # Metadata

    def chat_template(self) -> str | None:
        raw = llama_cpp.llama_model_chat_template(self.model, None)
        return raw.decode("utf-8") if raw else None

    # Vocabulary

    def tokenize(self, text: str, *, add_special: bool, parse_special: bool = True) -> list[int]:
        data = text.encode("utf-8")
        capacity = len(data) + 8
        tokens = (llama_cpp.llama_token * capacity)()
        n = llama_cpp.llama_tokenize(
            self.vocab, data, len(data), tokens, capacity, add_special, parse_special
        )
        if n < 0:
            capacity = -n
            tokens = (llama_cpp.llama_token * capacity)()
            n = llama_cpp.llama_tokenize(
                self.vocab, data, len(data), tokens, capacity, add_special, parse_special
            )
            if n < 0:
                raise RuntimeError(f"tokenization failed ({n})")
        return list(tokens[:n])

    def piece(self, token: int) -> bytes:
        """Bytes of one token as text (control tokens render empty); cached per token id.

        Only the engine thread calls this, so the shared buffer needs no lock."""
        cached = self._pieces.get(token)
        if cached is not None:
            return cached
        n = llama_cpp.llama_token_to_piece(
            self.vocab, token, self._piece_buf, _PIECE_BUFFER_BYTES, 0, False
        )
        if n < 0:
            big = ctypes.create_string_buffer(-n)
            n = llama_cpp.llama_token_to_piece(self.vocab, token, big, -n, 0, False)
            value = big.raw[:n]
        else:
            value = self._piece_buf.raw[:n]
        self._pieces[token] = value
        return value

    def is_eog(self, token: int) -> bool:
        return bool(llama_cpp.llama_vocab_is_eog(self.vocab, token))

    @cached_property
    def eog_tokens(self) -> list[int]:
        """Every end-of-generation token (a vocabulary scan, done once on first use)."""
        return [t for t in range(self.n_vocab) if llama_cpp.llama_vocab_is_eog(self.vocab, t)]

    # KV memory (engine thread only)

    def seq_remove(self, seq_id: int, start: int = -1, end: int = -1) -> bool:
        return bool(llama_cpp.llama_memory_seq_rm(self.memory, seq_id, start, end))

    def seq_copy(self, src: int, dst: int, end: int) -> None:
        llama_cpp.llama_memory_seq_cp(self.memory, src, dst, 0, end)

    def seq_save(self, seq_id: int) -> ctypes.Array[ctypes.c_uint8] | None:
        """A copy of one sequence's KV cells (positions and data), for `seq_load`."""
        size = llama_cpp.llama_state_seq_get_size(self.ctx, seq_id)
        if size <= 0:
            return None
        buffer = (ctypes.c_uint8 * size)()
        written = llama_cpp.llama_state_seq_get_data(self.ctx, buffer, size, seq_id)
        return buffer if written == size else None

    def seq_load(self, state: ctypes.Array[ctypes.c_uint8], seq_id: int) -> bool:
        """Replace `seq_id` with a saved sequence; False (sequence left empty) if no room."""
        loaded = llama_cpp.llama_state_seq_set_data(self.ctx, state, len(state), seq_id)
        if loaded != len(state):
            self.seq_remove(seq_id)
            return False
        return True

    def clear_memory(self) -> None:
        llama_cpp.llama_memory_clear(self.memory, True)

    def close(self) -> None:
        if getattr(self, "ctx", None):
            llama_cpp.llama_free(self.ctx)
            self.ctx = None
        if getattr(self, "model", None):
            llama_cpp.llama_model_free(self.model)
            self.model = None

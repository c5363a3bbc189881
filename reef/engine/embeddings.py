"""Sentence-embedding backend over a model folder shipped inside a Python package.

The model loads offline (no hub access, ever), on first use, in the backend's own worker thread;
every call runs in that same thread because the fast tokenizer is not safe to share between
threads.
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import logging
import math
import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from reef.engine.catalogue import ModelSpec
from reef.engine.protocol import EmbeddingResult
from reef.errors import ContextLengthExceeded, InvalidRequest

log = logging.getLogger(__name__)

MODEL_MARKERS = ("modules.json", "config_sentence_transformers.json", "config.json")
ENCODE_BATCH_SIZE = 32


def find_model_folder(root: Path) -> Path:
    """The folder holding the model files: `root` itself or the first folder below it."""
    if any((root / marker).is_file() for marker in MODEL_MARKERS):
        return root
    for marker in MODEL_MARKERS:
        found = sorted(root.rglob(marker), key=lambda p: (len(p.parts), str(p)))
        if found:
            return found[0].parent
    raise FileNotFoundError(f"no sentence-transformers model folder under {root}")


def truncate(vector: list[float], dimensions: int | None) -> list[float]:
    """Keep the first `dimensions` values and scale back to unit length (Matryoshka style)."""
    if dimensions is None or dimensions >= len(vector):
        return vector
    head = vector[:dimensions]
    norm = math.sqrt(sum(v * v for v in head))
    return [v / norm for v in head] if norm > 0 else head


def default_threads() -> int:
    """All cores but one, as the llama.cpp engine: torch's OpenMP workers spin at barriers, and
    when they compete for every core with other work, one short query can take a second."""
    return max(1, (os.cpu_count() or 1) - 1)


class SentenceTransformerBackend:
    def __init__(self, spec: ModelSpec, threads: int = 0) -> None:
        self.spec = spec
        self._threads = threads or default_threads()
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"embed-{spec.name}")
        self._model: Any = None

    @property
    def dimensions(self) -> int | None:
        return self.spec.dimensions

    def _load(self) -> Any:
        if self._model is None:
            os.environ["HF_HUB_OFFLINE"] = "1"
            os.environ["TRANSFORMERS_OFFLINE"] = "1"
            os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
            os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
            import torch
            from sentence_transformers import SentenceTransformer

            # OpenMP's thread count belongs to the calling thread: this is the worker thread
            # every call runs in.
            torch.set_num_threads(self._threads)

            folder = find_model_folder(self.spec.resolved_path())
            log.info("loading embedding model %s from %s", self.spec.name, folder)
            self._model = SentenceTransformer(str(folder), device="cpu", local_files_only=True)
        return self._model

    def _token_counts(self, model: Any, texts: list[str]) -> list[int]:
        """Tokens the model reads per text, its [CLS]/[SEP] markers included."""
        encoded = model.tokenizer(texts, add_special_tokens=True, truncation=False)
        return [len(ids) for ids in encoded["input_ids"]]

    def _embed_sync(self, texts: list[str], dimensions: int | None) -> EmbeddingResult:
        model = self._load()
        counts = self._token_counts(model, texts)
        limit = min(int(model.max_seq_length), self.spec.context_length)
        for index, count in enumerate(counts):
            if count > limit:
                raise ContextLengthExceeded(
                    f"input[{index}] is {count} tokens long; model {self.spec.name!r} reads at "
                    f"most {limit} tokens per input.",
                    param="input",
                )
        vectors = model.encode(
            texts,
            batch_size=ENCODE_BATCH_SIZE,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return EmbeddingResult(
            vectors=[truncate([float(v) for v in row], dimensions) for row in vectors],
            prompt_tokens=sum(counts),
        )

    async def embed(self, texts: list[str], dimensions: int | None = None) -> EmbeddingResult:
        native = self.spec.dimensions
        if dimensions is not None and native is not None and dimensions > native:
            raise InvalidRequest(
                f"'dimensions' is {dimensions}, but model {self.spec.name!r} has only {native}.",
                param="dimensions",
            )
        loop = asyncio.get_running_loop()
        call = functools.partial(
            contextvars.copy_context().run, self._embed_sync, texts, dimensions
        )
        return await loop.run_in_executor(self._executor, call)

    async def close(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)

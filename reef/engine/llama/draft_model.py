"""A smaller model with the same vocabulary drafting for the served one.

The draft model keeps its own context with one sequence per request. Each step it first catches
up with what the request really produced (dropping its own rejected guesses from its KV cache),
then guesses greedily, one batched decode per drafted position for all requests together.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

import llama_cpp
import numpy as np

from reef.engine.llama.batch import DecodeBatch
from reef.engine.llama.native import NativeModel
from reef.engine.llama.prefix import common_prefix_len
from reef.engine.llama.speculative import DraftSource
from reef.settings import EngineSettings

logger = logging.getLogger("reef.engine.llama")


class ModelDraftSource:
    def __init__(self, prompt: Sequence[int], seq_id: int | None) -> None:
        self.history = list(prompt)
        self.seq_id = seq_id
        self.cached: list[int] = []  # tokens the draft model's KV holds for this sequence

    def extend(self, tokens: Sequence[int]) -> None:
        self.history.extend(tokens)

    def feedback(self, drafted: int, kept: int) -> None:
        pass


class DraftModelDrafter:
    def __init__(self, native: NativeModel, prefill_chunk: int) -> None:
        self.native = native
        self._batch = DecodeBatch(native.n_batch)
        self._free = list(range(native.n_seq_max))
        self._chunk = max(1, prefill_chunk)

    @classmethod
    def load(cls, path: Path, target: NativeModel, settings: EngineSettings) -> DraftModelDrafter:
        native = NativeModel(path, settings)
        if native.n_vocab != target.n_vocab or any(
            native.piece(t) != target.piece(t) for t in range(0, target.n_vocab, 97)
        ):
            native.close()
            raise ValueError(f"draft model {path} does not share the served model's vocabulary")
        return cls(native, settings.prefill_chunk)

    def open(self, prompt: Sequence[int]) -> ModelDraftSource:
        return ModelDraftSource(prompt, self._free.pop() if self._free else None)

    def release(self, source: DraftSource) -> None:
        assert isinstance(source, ModelDraftSource)
        if source.seq_id is not None:
            self.native.seq_remove(source.seq_id)
            self._free.append(source.seq_id)
            source.seq_id = None

    def close(self) -> None:
        self._batch.close()
        self.native.close()

    def propose(self, wants: Sequence[tuple[DraftSource, int]]) -> list[list[int]]:
        sources: list[ModelDraftSource] = []
        for source, _ in wants:
            assert isinstance(source, ModelDraftSource)
            sources.append(source)
        active = [i for i, s in enumerate(sources) if s.seq_id is not None]
        drafts: list[list[int]] = [[] for _ in wants]
        rows = self._catch_up([sources[i] for i in active])
        if rows is None:
            return drafts
        limits = [wants[i][1] for i in active]
        for step in range(max(limits, default=0)):
            batch = self._batch
            batch.clear()
            next_rows: dict[int, int] = {}
            for k, i in enumerate(active):
                if k not in rows or step >= limits[k]:
                    continue
                token = self._argmax(rows[k])
                drafts[i].append(token)
                source = sources[i]
                if step + 1 < limits[k] and not self.native.is_eog(token):
                    next_rows[k] = self._add(source, [token], logits=True)
            if not next_rows or not self._decode([sources[i] for i in active]):
                break
            rows = next_rows
        return drafts

    def _catch_up(self, sources: list[ModelDraftSource]) -> dict[int, int] | None:
        """Make each source's draft sequence hold its history; the batch row of each one's
        last-token logits (None if the draft context failed). Every last token goes in the
        final decode, so that all their logits are still there afterwards."""
        pending: dict[int, list[int]] = {}
        for k, source in enumerate(sources):
            assert source.seq_id is not None
            keep = min(common_prefix_len(source.cached, source.history), len(source.history) - 1)
            self.native.seq_remove(source.seq_id, keep, -1)
            del source.cached[keep:]
            pending[k] = source.history[keep:-1]
        while any(pending.values()):
            self._batch.clear()
            for k, todo in pending.items():
                count = min(len(todo), self._chunk, self._batch.free)
                if count > 0:
                    self._add(sources[k], todo[:count], logits=False)
                    pending[k] = todo[count:]
            if not self._decode(sources):
                return None
        self._batch.clear()
        rows = {
            k: self._add(source, source.history[-1:], logits=True)
            for k, source in enumerate(sources)
        }
        return rows if self._decode(sources) else None

    def _add(self, source: ModelDraftSource, tokens: list[int], *, logits: bool) -> int:
        assert source.seq_id is not None
        index = self._batch.add(source.seq_id, tokens, len(source.cached), logits)
        source.cached.extend(tokens)
        return index

    def _decode(self, sources: list[ModelDraftSource]) -> bool:
        if self._batch.decode(self.native.ctx) == 0:
            return True
        logger.warning("draft model decode failed; dropping its cache")
        for source in sources:
            assert source.seq_id is not None
            self.native.seq_remove(source.seq_id)
            source.cached.clear()
        return False

    def _argmax(self, row: int) -> int:
        logits = llama_cpp.llama_get_logits_ith(self.native.ctx, row)
        return int(np.argmax(np.ctypeslib.as_array(logits, shape=(self.native.n_vocab,))))

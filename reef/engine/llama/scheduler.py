"""The engine thread: continuous batching over one llama.cpp context.

Each step decodes one token for every generating sequence plus chunks of prompts still being
prefilled, all in a single `llama_decode`; requests join and leave between steps.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from dataclasses import dataclass, field

from reef.engine.llama.batch import DecodeBatch
from reef.engine.llama.job import END, GenerationJob
from reef.engine.llama.native import NativeModel
from reef.engine.llama.outbox import Outbox
from reef.engine.llama.slots import Slot, SlotTable, common_prefix_len
from reef.engine.llama.speculative import Drafter, DraftSource
from reef.engine.llama.stash import PrefixStash
from reef.engine.llama.text_stream import Utf8Assembler
from reef.engine.protocol import ChatChunk, EngineStats, FinishReason
from reef.errors import Overloaded, ReefError
from reef.settings import EngineSettings

logger = logging.getLogger("reef.engine.llama")

_KV_FULL = 1
_OVERLOADED_RETRY_S = 1.0
_STALL_WAIT_S = 0.05


@dataclass(eq=False)
class _Running:
    job: GenerationJob
    slot: Slot
    prompt_done: int
    next_token: int | None = None
    generated: int = 0
    utf8: Utf8Assembler = field(default_factory=Utf8Assembler)
    draft: DraftSource | None = None
    finished: bool = False


@dataclass(eq=False)
class _Planned:
    run: _Running
    tokens: list[int]
    logits_index: int  # -1 when this step produces no output for the sequence
    drafts: list[int] = field(default_factory=list)  # decoded after tokens[0], all with logits


class Scheduler:
    """Owns the context, the slots and the engine thread; callers only submit and cancel."""

    def __init__(
        self, native: NativeModel, settings: EngineSettings, drafter: Drafter | None = None
    ) -> None:
        self._native = native
        self._settings = settings
        self._drafter = drafter
        stash = PrefixStash(native) if settings.prefix_stash else None
        self._slots = SlotTable(native.n_seq_max, native, stash)
        self._batch = DecodeBatch(native.n_batch)
        self._prefill_chunk = max(1, settings.prefill_chunk)
        self._cv = threading.Condition()
        self._pending: deque[GenerationJob] = deque()
        self._running: list[_Running] = []
        self._idle_slots = native.n_seq_max
        self._stopping = False
        self._thread: threading.Thread | None = None
        # Counters (written by the engine thread, read by anyone).
        self.steps = 0
        self.max_step_sequences = 0
        self.multi_sequence_steps = 0
        self.prompt_tokens = 0
        self.cached_tokens = 0
        self.generated_tokens = 0
        self.kv_cells_used = 0
        self.idle_cached_tokens = 0
        self.drafted_tokens = 0
        self.decode_s = 0.0  # time inside llama_decode
        self.busy_s = 0.0  # time in steps that decoded something
        self.accepted_tokens = 0
        self.parked_tokens = 0
        self.parked_bytes = 0

    # Caller side (any thread)

    def submit(self, job: GenerationJob) -> None:
        with self._cv:
            if self._stopping:
                raise Overloaded("The engine is shutting down", retry_after=_OVERLOADED_RETRY_S)
            waiting = len(self._pending) - self._idle_slots
            if waiting >= self._settings.max_queue:
                raise Overloaded(
                    f"The engine is at capacity ({len(self._running)} running, "
                    f"{max(waiting, 0)} waiting); retry shortly",
                    retry_after=_OVERLOADED_RETRY_S,
                )
            self._pending.append(job)
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="reef-llama-engine", daemon=True
                )
                self._thread.start()
            self._cv.notify()

    def cancel(self, job: GenerationJob) -> None:
        """Lock-free: a queued or running job means the engine thread is awake and will drop
        it at its next step."""
        job.cancelled = True

    def stats(self) -> EngineStats:
        return EngineStats(
            queue_depth=len(self._pending),
            running=len(self._running),
            prompt_tokens=self.prompt_tokens,
            cached_tokens=self.cached_tokens,
            extra={
                "steps": float(self.steps),
                "max_step_sequences": float(self.max_step_sequences),
                "multi_sequence_steps": float(self.multi_sequence_steps),
                "generated_tokens": float(self.generated_tokens),
                "decode_s": self.decode_s,
                "busy_s": self.busy_s,
                "kv_cells_used": float(self.kv_cells_used),
                "kv_cells_total": float(self._native.n_ctx),
                "idle_cached_tokens": float(self.idle_cached_tokens),
                "prefix_evictions": float(self._slots.evictions),
                "drafted_tokens": float(self.drafted_tokens),
                "accepted_draft_tokens": float(self.accepted_tokens),
                "prefix_parked": float(self._slots.parked),
                "prefix_restored": float(self._slots.restored),
                "parked_tokens": float(self.parked_tokens),
                "parked_bytes": float(self.parked_bytes),
                "slots": float(self._native.n_seq_max),
            },
        )

    def shutdown(self) -> None:
        """Stop the thread; requests still queued or running end with `Overloaded`."""
        with self._cv:
            self._stopping = True
            thread = self._thread
            self._cv.notify_all()
        if thread is not None:
            thread.join()
        self._abort_all(Overloaded("The engine was stopped", retry_after=_OVERLOADED_RETRY_S))
        self._batch.close()
        if self._drafter is not None:
            self._drafter.close()

    # Engine thread

    def _run(self) -> None:
        try:
            while True:
                with self._cv:
                    while not self._stopping and not self._pending and not self._running:
                        self._cv.wait()
                    if self._stopping:
                        logger.info(
                            "engine stopped after %d steps: %.1f s busy, %.1f s in llama_decode",
                            self.steps,
                            self.busy_s,
                            self.decode_s,
                        )
                        return
                started = time.perf_counter()
                stepped = self._step()
                self.busy_s += time.perf_counter() - started
                if not stepped:
                    # Nothing could run (waiting for KV room): don't spin.
                    with self._cv:
                        self._cv.wait(_STALL_WAIT_S)
        except Exception:
            logger.exception("engine thread crashed")
            self._abort_all(ReefError("The inference engine failed"))
            with self._cv:
                self._stopping = True

    def _step(self) -> bool:
        """One decode step; False when there was nothing to decode."""
        outbox = Outbox()
        try:
            self._drop_cancelled(outbox)
            self._admit()
            planned = self._plan_batch()
            if not planned:
                return False
            started = time.perf_counter()
            rc = self._batch.decode(self._native.ctx)
            self.decode_s += time.perf_counter() - started
            if rc == 0:
                self._advance(planned, outbox)
            else:
                self._recover(rc, outbox)
            return True
        finally:
            outbox.flush()

    def _drop_cancelled(self, outbox: Outbox) -> None:
        for run in [r for r in self._running if r.job.cancelled]:
            logger.info("request %s cancelled after %d tokens", run.job.label, run.generated)
            outbox.add(run.job, END, released=True)
            self._retire(run)
        with self._cv:
            dropped = [job for job in self._pending if job.cancelled]
            for job in dropped:
                self._pending.remove(job)
        for job in dropped:
            job.sampler.close()
            outbox.add(job, END, released=True)

    def _admit(self) -> None:
        while True:
            with self._cv:
                if not self._pending or self._idle_slots == 0:
                    return
                job = self._pending[0]
            # Idle prefixes this prompt cannot use leave the KV cache before it takes cells
            # (see stash.py); the one it may use leaves once it has been shared or reused.
            self._slots.park_idle(keep=self._slots.best_idle(job.prompt))
            if not self._make_room(job.prompt):
                return
            assignment = self._slots.assign(job.prompt)
            self._slots.park_idle()
            self._update_cache_stats()
            with self._cv:
                self._pending.popleft()
                self._idle_slots -= 1
            run = _Running(job, assignment.slot, prompt_done=assignment.reused)
            if self._drafter is not None and job.speculate:
                run.draft = self._drafter.open(job.prompt)
            self._running.append(run)
            job.stream.usage.cached_tokens = assignment.reused
            job.stream.slot = assignment.slot.seq_id
            self.prompt_tokens += len(job.prompt)
            self.cached_tokens += assignment.reused
            logger.info(
                "request %s admitted to slot %d: %d prompt tokens, %d cached, max %d new",
                job.label,
                assignment.slot.seq_id,
                len(job.prompt),
                assignment.reused,
                job.max_tokens,
            )

    def _make_room(self, prompt: list[int]) -> bool:
        """Evict idle prefixes until the prompt's uncached part fits in the KV cache."""
        best_reuse = max(common_prefix_len(slot.tokens, prompt) for slot in self._slots.slots)
        need = len(prompt) - min(best_reuse, len(prompt) - 1) + len(self._running)
        while self._slots.used_cells() + need > self._native.n_ctx:
            if not self._slots.evict_lru():
                return False
        return True

    def _plan_batch(self) -> list[_Planned]:
        batch = self._batch
        batch.clear()
        planned: list[_Planned] = []
        decoding = [run for run in self._running if run.next_token is not None]
        drafts = self._draft(decoding)
        for run, draft in zip(decoding, drafts, strict=True):
            assert run.next_token is not None
            tokens = [run.next_token]
            index = batch.add(run.slot.seq_id, [*tokens, *draft], len(run.slot.tokens), True)
            if draft:
                batch.keep_logits(index - len(draft), index)
            planned.append(_Planned(run, tokens, index - len(draft), draft))
        for run in self._running:
            if run.next_token is not None or batch.free == 0:
                continue
            prompt = run.job.prompt
            remaining = len(prompt) - run.prompt_done
            count = min(remaining, self._prefill_chunk, batch.free)
            tokens = prompt[run.prompt_done : run.prompt_done + count]
            completes = count == remaining
            index = batch.add(run.slot.seq_id, tokens, len(run.slot.tokens), completes)
            planned.append(_Planned(run, tokens, index if completes else -1))
        return planned

    def _draft(self, decoding: list[_Running]) -> list[list[int]]:
        """Draft tokens per decoding sequence, within the batch, the KV cache and max_tokens."""
        drafts: list[list[int]] = [[] for _ in decoding]
        settings = self._settings
        if self._drafter is None or len(decoding) > settings.speculative_max_streams:
            return drafts
        room = min(
            self._batch.capacity - len(decoding),
            self._native.n_ctx - self._slots.used_cells() - len(decoding),
        ) // max(1, len(decoding))
        wants: list[tuple[DraftSource, int]] = []
        wanting: list[int] = []
        for i, run in enumerate(decoding):
            left = run.job.max_tokens - run.generated - 1
            limit = min(settings.speculative_max_draft, left, room)
            if run.draft is not None and limit > 0:
                wants.append((run.draft, limit))
                wanting.append(i)
        if wants:
            for i, draft in zip(wanting, self._drafter.propose(wants), strict=True):
                drafts[i] = draft
                self.drafted_tokens += len(draft)
        return drafts

    def _advance(self, planned: list[_Planned], outbox: Outbox) -> None:
        self.steps += 1
        self.max_step_sequences = max(self.max_step_sequences, len(planned))
        if len(planned) > 1:
            self.multi_sequence_steps += 1
        for item in planned:
            run = item.run
            run.slot.tokens.extend(item.tokens)
            if run.next_token is None:
                run.prompt_done += len(item.tokens)
            run.next_token = None
        for item in planned:
            if item.logits_index >= 0:
                for token in self._verify(item):
                    self._accept(item.run, token, outbox)
                    if item.run.finished:
                        break

    def _verify(self, item: _Planned) -> list[int]:
        """Sample each drafted position in order while the drafts hold: the tokens this step
        produced, of which all but the last are already in the KV cache."""
        run, drafts = item.run, item.drafts
        sampler, ctx = run.job.sampler, self._native.ctx
        sampled = [sampler.sample(ctx, item.logits_index)]
        kept = 0
        while kept < len(drafts) and sampled[-1] == drafts[kept]:
            if self._native.is_eog(sampled[-1]):
                break
            kept += 1
            sampled.append(sampler.sample(ctx, item.logits_index + kept))
        if drafts:
            self.accepted_tokens += kept
            run.slot.tokens.extend(drafts[:kept])
            if kept < len(drafts):
                self._native.seq_remove(run.slot.seq_id, len(run.slot.tokens), -1)
        if run.draft is not None:
            run.draft.extend(sampled)
            if drafts:
                run.draft.feedback(len(drafts), kept)
        return sampled

    def _accept(self, run: _Running, token: int, outbox: Outbox) -> None:
        job = run.job
        stream = job.stream
        if stream.first_token_step is None:
            stream.first_token_step = self.steps
        stream.last_token_step = self.steps
        if self._native.is_eog(token):
            self._finish(run, "stop", outbox)
            return
        run.generated += 1
        self.generated_tokens += 1
        stream.usage.completion_tokens = run.generated
        text = run.utf8.feed(self._native.piece(token))
        chunks, stopped = job.output.feed(text) if text else ([], False)
        self._emit(job, chunks, outbox)
        if stopped:
            self._finish(run, "stop", outbox, flush_text=False)
        elif run.generated >= job.max_tokens:
            self._finish(run, "length", outbox)
        else:
            run.next_token = token

    def _emit(self, job: GenerationJob, chunks: list[ChatChunk], outbox: Outbox) -> None:
        if not job.role_sent:
            job.role_sent = True
            if chunks:
                chunks[0].role = "assistant"
            else:
                chunks = [ChatChunk(role="assistant", content="")]
        if chunks:
            outbox.add(job, *chunks)

    def _finish(
        self, run: _Running, reason: FinishReason, outbox: Outbox, *, flush_text: bool = True
    ) -> None:
        job = run.job
        run.finished = True
        chunks: list[ChatChunk] = []
        if flush_text:
            tail = run.utf8.flush()
            if tail:
                chunks, _ = job.output.feed(tail)
        chunks.extend(job.output.finish(reason))
        self._emit(job, chunks, outbox)
        outbox.add(job, END, released=True)
        logger.info(
            "request %s finished (%s): %d prompt + %d completion tokens",
            job.label,
            reason,
            len(job.prompt),
            run.generated,
        )
        self._retire(run)

    def _retire(self, run: _Running) -> None:
        self._running.remove(run)
        run.finished = True
        run.job.sampler.close()
        if run.draft is not None and self._drafter is not None:
            self._drafter.release(run.draft)
        self._slots.release(run.slot)
        with self._cv:
            self._idle_slots += 1
            others_waiting = bool(self._pending)
        if self._running or others_waiting:
            self._slots.park(run.slot)
        self._slots.enforce_budget(self._settings.prefix_cache_tokens)
        self._update_cache_stats()

    def _update_cache_stats(self) -> None:
        self.kv_cells_used = self._slots.used_cells()
        self.idle_cached_tokens = self._slots.idle_cached_tokens()
        self.parked_tokens = self._slots.parked_tokens()
        self.parked_bytes = self._slots.parked_bytes()

    def _recover(self, rc: int, outbox: Outbox) -> None:
        """A failed decode leaves the KV cache as it was (rc 1) or in doubt (anything else)."""
        if rc == _KV_FULL:
            if self._slots.evict_lru():
                logger.info("KV cache full: evicted an idle prefix")
                return
            victim = max(self._running, key=lambda r: len(r.slot.tokens))
            logger.warning(
                "KV cache full: ending request %s early (%d tokens in cache)",
                victim.job.label,
                len(victim.slot.tokens),
            )
            self._finish(victim, "length", outbox)
            return
        logger.error("llama_decode failed with %d; resetting the KV cache", rc)
        error = ReefError(f"The inference engine failed to decode (code {rc})")
        for run in list(self._running):
            outbox.add(run.job, error, END, released=True)
            self._retire(run)
        self._native.clear_memory()
        self._slots.forget_all()

    def _abort_all(self, error: ReefError) -> None:
        outbox = Outbox()
        for run in list(self._running):
            outbox.add(run.job, error, END, released=True)
            self._retire(run)
        with self._cv:
            pending = list(self._pending)
            self._pending.clear()
        for job in pending:
            job.sampler.close()
            outbox.add(job, error, END, released=True)
        outbox.flush()

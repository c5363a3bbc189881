"""`ChatBackend` over the embedded llama.cpp engine: one instance per GGUF model."""

from __future__ import annotations

import asyncio
import logging
import threading
from dataclasses import dataclass
from typing import Any

from reef.engine.catalogue import ModelSpec
from reef.engine.llama.chat_format import ChatFormatter
from reef.engine.llama.job import EngineStream, GenerationJob
from reef.engine.llama.native import NativeModel
from reef.engine.llama.request_plan import PromptLimits, plan_generation, render_chat
from reef.engine.llama.sampling import SamplerChain
from reef.engine.llama.scheduler import Scheduler
from reef.engine.llama.speculative import build_drafter
from reef.engine.protocol import ChatRequest, EngineStats, Usage
from reef.errors import ReefError
from reef.settings import EngineSettings

logger = logging.getLogger("reef.engine.llama")


@dataclass
class _Loaded:
    native: NativeModel
    formatter: ChatFormatter
    scheduler: Scheduler
    limits: PromptLimits


class EmbeddedChatBackend:
    """Chat completions from a local GGUF model, many requests decoded together.

    The model loads on first use (or `load()`); everything after that is shared by all
    requests: one context, one KV cache with prefix reuse, one engine thread."""

    def __init__(self, spec: ModelSpec, settings: EngineSettings) -> None:
        self.spec = spec
        self.settings = settings
        self._loaded: _Loaded | None = None
        self._load_lock = threading.Lock()
        self._closed = False

    def load(self) -> None:
        """Load the model now (idempotent, thread-safe)."""
        self._ensure_loaded()

    def _ensure_loaded(self) -> _Loaded:
        loaded = self._loaded
        if loaded is not None:
            return loaded
        with self._load_lock:
            if self._closed:
                raise ReefError(f"model {self.spec.name!r} has been shut down")
            if self._loaded is None:
                self._loaded = self._load()
            return self._loaded

    def _load(self) -> _Loaded:
        path = self.spec.resolved_path()
        try:
            native = NativeModel(path, self.settings)
        except (FileNotFoundError, RuntimeError) as exc:
            logger.error("could not load model %s: %s", self.spec.name, exc)
            raise ReefError(f"model {self.spec.name!r} is unavailable: {exc}") from exc
        formatter = ChatFormatter(
            native.chat_template(), bos_token=native.bos_text, eos_token=native.eos_text
        )
        context_length = min(self.spec.context_length, native.n_ctx_train, native.n_ctx)
        limits = PromptLimits(context_length, self.settings.default_max_tokens)
        logger.info(
            "loaded %s: context %d, %d slots, KV cells %d",
            self.spec.name,
            context_length,
            native.n_seq_max,
            native.n_ctx,
        )
        try:
            drafter = build_drafter(self.settings, native)
        except (FileNotFoundError, RuntimeError, ValueError) as exc:
            logger.error("speculative decoding is off for %s: %s", self.spec.name, exc)
            drafter = None
        return _Loaded(native, formatter, Scheduler(native, self.settings, drafter), limits)

    async def open_stream(self, request: ChatRequest) -> EngineStream:
        loaded = self._loaded
        if loaded is None:
            loaded = await asyncio.to_thread(self._ensure_loaded)
        scheduler = loaded.scheduler
        plan = plan_generation(
            request,
            formatter=loaded.formatter,
            tokenize=self._tokenize_prompt,
            settings=self.settings,
            limits=loaded.limits,
        )
        native = loaded.native
        sampler = SamplerChain.build(
            plan.sampling,
            vocab=native.vocab,
            n_vocab=native.n_vocab,
            eog_tokens=native.eog_tokens if plan.sampling.ignore_eos else [],
            grammar=plan.grammar,
        )
        stream = EngineStream(
            self.spec.name,
            Usage(prompt_tokens=len(plan.prompt)),
            cancel=lambda: scheduler.cancel(job),
        )
        job = GenerationJob(
            prompt=plan.prompt,
            max_tokens=plan.max_tokens,
            sampler=sampler,
            output=plan.make_output(),
            stream=stream,
            loop=asyncio.get_running_loop(),
            request_id=plan.request_id,
        )
        try:
            scheduler.submit(job)
        except BaseException:
            sampler.close()
            raise
        return stream

    async def close(self) -> None:
        with self._load_lock:
            self._closed = True
            loaded, self._loaded = self._loaded, None
        if loaded is not None:
            await asyncio.to_thread(loaded.scheduler.shutdown)
            loaded.native.close()

    def stats(self) -> EngineStats:
        loaded = self._loaded
        return loaded.scheduler.stats() if loaded is not None else EngineStats()

    def count_tokens(self, text: str) -> int:
        """Tokens `text` takes in this model (special tokens such as `<|im_end|>` count as one)."""
        return len(self._ensure_loaded().native.tokenize(text, add_special=False))

    def render_prompt(
        self,
        messages: list[dict[str, Any]],
        *,
        tools: list[dict[str, Any]] | None = None,
        tool_choice: str | dict[str, Any] | None = None,
    ) -> str:
        """The exact prompt text a request with these messages (and tools) would be given."""
        text, _ = render_chat(self._ensure_loaded().formatter, messages, tools, tool_choice)
        return text

    def render_prompt_tokens(
        self,
        messages: list[dict[str, Any]],
        *,
        tools: list[dict[str, Any]] | None = None,
        tool_choice: str | dict[str, Any] | None = None,
    ) -> list[int]:
        """The prompt tokens a request with these messages would be charged for."""
        return self._tokenize_prompt(
            self.render_prompt(messages, tools=tools, tool_choice=tool_choice)
        )

    def _tokenize_prompt(self, text: str) -> list[int]:
        native = self._ensure_loaded().native
        add_bos = native.add_bos and not (native.bos_text and text.startswith(native.bos_text))
        return native.tokenize(text, add_special=add_bos)

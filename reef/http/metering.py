"""Exactly one usage record per metered request, whatever way the request ends."""

from __future__ import annotations

import time

from reef.engine.catalogue import Catalogue
from reef.engine.protocol import Usage
from reef.http.metrics import Metrics
from reef.platform.service import PlatformServices
from reef.platform.types import Principal, UsageRecord


class RequestMeter:
    """Created once a request is authenticated; the first `succeed`/`fail` wins."""

    def __init__(
        self,
        *,
        request_id: str,
        endpoint: str,
        principal: Principal,
        services: PlatformServices,
        catalogue: Catalogue,
        metrics: Metrics,
    ) -> None:
        self.request_id = request_id
        self.endpoint = endpoint
        self.principal = principal
        self.model = ""
        self.started = time.perf_counter()
        self.recorded = False
        self._services = services
        self._catalogue = catalogue
        self._metrics = metrics

    def elapsed_s(self) -> float:
        return time.perf_counter() - self.started

    def first_chunk(self, model: str) -> None:
        self._metrics.ttft.labels(model).observe(self.elapsed_s())

    async def succeed(
        self,
        usage: Usage,
        model: str,
        *,
        aborted: bool = False,
        status: int = 200,
        characters: int = 0,
    ) -> None:
        """Charge `model`'s prices for `usage` (the answering model, after any fallback) and
        for `characters` of speech."""
        self.model = model
        await self._record(status, usage, aborted, characters)

    async def fail(self, status: int) -> None:
        await self._record(status, Usage(), aborted=False)

    async def _record(self, status: int, usage: Usage, aborted: bool, characters: int = 0) -> None:
        if self.recorded:
            return
        self.recorded = True
        spec = self._catalogue.models.get(self.model)
        cost = (
            spec.cost_nano_usd(
                usage.prompt_tokens, usage.completion_tokens, usage.cached_tokens, characters
            )
            if spec is not None
            else 0
        )
        await self._services.record(
            UsageRecord(
                request_id=self.request_id,
                org_id=self.principal.org_id,
                key_id=self.principal.key_id,
                endpoint=self.endpoint,
                model=self.model,
                status=status,
                prompt_tokens=usage.prompt_tokens,
                cached_tokens=usage.cached_tokens,
                completion_tokens=usage.completion_tokens,
                characters=characters,
                cost_nano_usd=cost,
                latency_ms=self.elapsed_s() * 1000,
                aborted=aborted,
            )
        )
        if spec is not None:
            self._metrics.observe_usage(self.model, usage)

"""OpenTelemetry traces, when the operator names an OTLP endpoint (`REEF_OTEL_ENDPOINT`).

Off by default: without an endpoint nothing here loads the SDK, and the API's no-op tracer
makes `trace.get_current_span()` calls free. With one, every HTTP request is a server span
(health probes and scrapes excluded) carrying `reef.request_id`, the id in the ledger and in
the `x-request-id` header, and outgoing calls to upstream model servers are child spans.
"""

from __future__ import annotations

import logging

from fastapi import FastAPI

from reef.settings import Settings

log = logging.getLogger(__name__)
UNTRACED_PATHS = "healthz,readyz,metrics"


def install_tracing(app: FastAPI, settings: Settings) -> None:
    if not settings.otel_endpoint:
        return
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    provider = TracerProvider(
        resource=Resource.create({"service.name": settings.otel_service_name})
    )
    provider.add_span_processor(
        BatchSpanProcessor(OTLPSpanExporter(endpoint=settings.otel_endpoint))
    )
    FastAPIInstrumentor.instrument_app(app, tracer_provider=provider, excluded_urls=UNTRACED_PATHS)
    app.state.tracer_provider = provider
    log.info("tracing to %s", settings.otel_endpoint)


def shutdown_tracing(app: FastAPI) -> None:
    """Send the spans still buffered (the batch processor exports every few seconds)."""
    provider = getattr(app.state, "tracer_provider", None)
    if provider is not None:
        provider.shutdown()

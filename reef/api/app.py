"""The FastAPI application: `create_app(settings)` wires store, platform services, catalogue
and backends together for the lifetime of the server."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from reef.api.errors import install_error_handlers
from reef.api.metrics import Metrics
from reef.api.middleware import RequestContextMiddleware
from reef.api.routes import chat, embeddings, health, minimax, models, speech, usage
from reef.api.speech_files import AUDIO_DIR, SpeechFileStore
from reef.api.state import AppState
from reef.companion import routes as companion_routes
from reef.companion.service import CompanionService
from reef.companion.voice import VoiceService
from reef.engine.catalogue import Catalogue
from reef.engine.router import Router
from reef.engine.speech import SpeechEngine
from reef.ops import readiness
from reef.ops.job_metrics import register_job_metrics
from reef.ops.jobs_host import close_jobs, open_jobs
from reef.platform.service import PlatformServices
from reef.settings import Settings
from reef.store.db import Database
from reef.web import routes as web_routes

log = logging.getLogger(__name__)

ADMIN_KEY_BANNER = "=" * 72


def announce_admin_key(key: str) -> None:
    """The bootstrap key exists only here, once: print it where the operator will see it."""
    print(
        f"{ADMIN_KEY_BANNER}\n"
        "Reef created the admin organization on this first start.\n"
        f"Admin API key (shown only once, store it safely): {key}\n"
        f"{ADMIN_KEY_BANNER}",
        flush=True,
    )


def _lifespan(settings: Settings, metrics: Metrics):  # type: ignore[no-untyped-def]
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        catalogue = Catalogue.load(settings.catalogue)
        speech = SpeechEngine(settings.speech)  # voice models load on first use
        db = await asyncio.to_thread(Database, settings.resolved_database_url)
        services = PlatformServices(settings, db)
        await services.start()
        router = Router(catalogue, settings.engine, settings.upstream_timeout_s)
        app.state.jobs = None
        try:
            app.state.jobs = await open_jobs(settings)
            register_job_metrics(metrics.registry, app.state.jobs)
            admin_key = await services.ensure_admin_org()
            if admin_key is not None:
                announce_admin_key(admin_key)
            speech_files = SpeechFileStore(
                settings.data_dir / AUDIO_DIR, settings.speech.audio_url_ttl_s
            )
            app.state.reef = AppState(
                settings, db, services, catalogue, router, metrics, speech, speech_files
            )
            app.state.companion = CompanionService(
                settings,
                db,
                catalogue,
                router,
                services,
                voice=VoiceService(settings.speech, speech),
            )
            log.info("serving %d models from the catalogue", len(catalogue.models))
            yield
        finally:
            if getattr(app.state, "companion", None) is not None:
                app.state.companion.close()
            if app.state.jobs is not None:
                await close_jobs(app.state.jobs)
            await router.close()
            speech.close()
            await services.stop()
            db.dispose()

    return lifespan


def create_app(settings: Settings) -> FastAPI:
    metrics = Metrics()
    app = FastAPI(
        title="Reef",
        summary="OpenAI- and MiniMax-compatible API over an embedded engine",
        lifespan=_lifespan(settings, metrics),
    )
    for area in (health, models, chat, embeddings, minimax, speech, usage):
        app.include_router(area.router)
    app.include_router(companion_routes.router)
    app.include_router(web_routes.router)
    app.include_router(readiness.router)
    install_error_handlers(app)
    app.add_middleware(
        RequestContextMiddleware,
        max_body_bytes=settings.max_request_body_bytes,
        metrics=metrics,
        upload_limits={
            companion_routes.CARD_IMPORT_PATH: settings.companion.card_max_file_bytes
            + companion_routes.MULTIPART_ENVELOPE_BYTES
        },
    )
    return app

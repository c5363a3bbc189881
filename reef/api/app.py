"""The FastAPI application: `create_app(settings)` builds the shared ground (store, platform
services, catalogue, engines) for the server's lifetime and registers every product from
`PRODUCTS`; adding a product is one line there."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import AsyncExitStack, asynccontextmanager

from fastapi import FastAPI

from reef.agents.product import AgentsProduct
from reef.api import health
from reef.companion.product import CompanionProduct
from reef.engine.catalogue import Catalogue
from reef.engine.router import Router
from reef.engine.speech import SpeechEngine
from reef.gateway.product import GatewayProduct
from reef.http.errors import install_error_handlers
from reef.http.metrics import Metrics
from reef.http.middleware import RequestContextMiddleware
from reef.http.product import Product
from reef.http.state import AppState
from reef.platform.service import PlatformServices
from reef.settings import Settings
from reef.store.db import Database
from reef.web.product import WebProduct

log = logging.getLogger(__name__)

PRODUCTS: tuple[Callable[[Settings], Product], ...] = (
    GatewayProduct,
    CompanionProduct,
    WebProduct,
    AgentsProduct,
)
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


def _lifespan(settings: Settings, metrics: Metrics, products: Sequence[Product]):  # type: ignore[no-untyped-def]
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with AsyncExitStack() as stack:
            catalogue = Catalogue.load(settings.catalogue)
            speech = SpeechEngine(settings.speech)  # voice models load on first use
            stack.callback(speech.close)
            db = await asyncio.to_thread(Database, settings.resolved_database_url)
            stack.callback(db.dispose)
            services = PlatformServices(settings, db)
            await services.start()
            stack.push_async_callback(services.stop)
            router = Router(catalogue, settings.engine, settings.upstream_timeout_s)
            stack.push_async_callback(router.close)
            admin_key = await services.ensure_admin_org()
            if admin_key is not None:
                announce_admin_key(admin_key)
            state = AppState(settings, db, services, catalogue, router, metrics, speech)
            for product in products:
                await product.start(state)
                stack.push_async_callback(product.stop)
            app.state.reef = state
            log.info("serving %d models from the catalogue", len(catalogue.models))
            yield

    return lifespan


def create_app(settings: Settings) -> FastAPI:
    metrics = Metrics()
    products = [make(settings) for make in PRODUCTS]
    app = FastAPI(
        title="Reef",
        summary="OpenAI- and MiniMax-compatible API, companions and more, over an embedded engine",
        lifespan=_lifespan(settings, metrics, products),
    )
    app.include_router(health.router)
    upload_limits: dict[str, int] = {}
    for product in products:
        for router in product.routers:
            app.include_router(router)
        upload_limits.update(product.upload_limits)
    install_error_handlers(app)
    app.add_middleware(
        RequestContextMiddleware,
        max_body_bytes=settings.max_request_body_bytes,
        metrics=metrics,
        upload_limits=upload_limits,
    )
    return app

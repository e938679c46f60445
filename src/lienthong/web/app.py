"""The application factory: settings → engine → routers, middleware and error handlers."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from prometheus_client import CollectorRegistry
from sqlalchemy import Engine

from lienthong import __version__
from lienthong.audit.views import router as audit_router
from lienthong.config import Settings, get_settings
from lienthong.db import make_engine, session_factory
from lienthong.dti.views import router as dti_router
from lienthong.exchange.data_views import router as data_router
from lienthong.exchange.fast_reads import FastReads
from lienthong.exchange.runtime import start_runtime
from lienthong.exchange.views import router as grants_router
from lienthong.ingest.views import router as ingest_router
from lienthong.linkage.views import router as linkage_router
from lienthong.prepare import prepare_database
from lienthong.registry.catalogue import CatalogueCache
from lienthong.registry.views import router as registry_router
from lienthong.security.views import router as security_router
from lienthong.services.views import router as public_services_router
from lienthong.standards.views import router as standards_router
from lienthong.web import health
from lienthong.web.errors import install_error_handlers
from lienthong.web.middleware import BodyLimit, Metrics
from lienthong.web.operator import operator_token_digest

API = "/api/v1"
# Streamed upload endpoints accept the larger upload limit; everything else the JSON limit.
UPLOAD_PATHS: tuple[str, ...] = (f"{API}/ingest",)

log = logging.getLogger("lienthong")


def create_app(settings: Settings | None = None, engine: Engine | None = None) -> FastAPI:
    settings = settings or get_settings()
    digest = operator_token_digest(settings)  # refuses to build with an unsafe token
    owns_engine = engine is None
    engine = engine or make_engine(settings)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        if settings.should_auto_upgrade:
            prepare_database(engine)
        app.state.unit_catalogue.get()  # warm: the first lookup must not pay for loading
        app.state.exchange = start_runtime(settings, engine)
        yield
        app.state.exchange.stop()
        if owns_engine:
            engine.dispose()

    app = FastAPI(
        title="Lienthong",
        version=__version__,
        summary="Provincial data integration and sharing platform",
        lifespan=lifespan,
        docs_url="/docs",
        openapi_url="/openapi.json",
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.sessions = session_factory(engine)
    app.state.operator_digest = digest
    app.state.unit_catalogue = CatalogueCache(app.state.sessions)
    app.state.metrics_registry = CollectorRegistry()

    install_error_handlers(app)
    app.include_router(health.router)
    app.include_router(registry_router, prefix=API)
    app.include_router(standards_router, prefix=API)
    app.include_router(ingest_router, prefix=API)
    app.include_router(security_router)
    app.include_router(grants_router, prefix=API)
    app.include_router(data_router, prefix=API)
    app.include_router(audit_router, prefix=API)
    app.include_router(linkage_router, prefix=API)
    app.include_router(dti_router, prefix=API)
    app.include_router(public_services_router, prefix=API)

    def limit_for(path: str) -> int:
        if path.startswith(UPLOAD_PATHS):
            return settings.max_upload_bytes
        return settings.max_body_bytes

    app.add_middleware(FastReads, prefix=API)  # innermost: the single-record read, unrouted
    app.add_middleware(BodyLimit, limit_for=limit_for)
    app.add_middleware(Metrics, registry=app.state.metrics_registry)
    return app

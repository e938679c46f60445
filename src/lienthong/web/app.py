"""The application factory: settings → engine → routers, middleware and error handlers."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import APIRouter, FastAPI
from prometheus_client import CollectorRegistry
from sqlalchemy import Engine
from starlette.types import Scope, Send

from lienthong import __version__
from lienthong.audit.views import public_router as audit_public_router
from lienthong.audit.views import router as audit_router
from lienthong.changes.views import router as changes_router
from lienthong.changes.worker import Background
from lienthong.config import Settings, get_settings
from lienthong.console.alerts import router as console_alerts
from lienthong.console.audit import router as console_audit
from lienthong.console.batches import router as console_batches
from lienthong.console.credentials import router as console_credentials
from lienthong.console.devsignin import router as console_devsignin
from lienthong.console.grants import router as console_grants
from lienthong.console.render import refusal_page
from lienthong.console.review import router as console_review
from lienthong.console.standards import router as console_standards
from lienthong.console.upload import router as console_upload
from lienthong.console.views import PREFIX as CONSOLE
from lienthong.console.views import assets as console_assets
from lienthong.console.views import root as console_root
from lienthong.console.views import router as console_router
from lienthong.db import make_engine, session_factory, should_auto_upgrade
from lienthong.dti.views import router as dti_router
from lienthong.errors import LienthongError
from lienthong.exchange.data_views import router as data_router
from lienthong.exchange.fast_reads import FastReads
from lienthong.exchange.runtime import start_runtime
from lienthong.exchange.views import router as grants_router
from lienthong.federation.accept import PeerTokens
from lienthong.federation.views import router as federation_router
from lienthong.http.operator import operator_token_digest
from lienthong.ingest.background import Background as BackgroundIngests
from lienthong.ingest.views import router as ingest_router
from lienthong.linkage.views import router as linkage_router
from lienthong.paging import cursor_seal
from lienthong.people.service import Directory
from lienthong.people.views import router as people_router
from lienthong.preflight import refuse_unsafe
from lienthong.prepare import prepare_database
from lienthong.providers.runtime import start_providers
from lienthong.providers.views import router as providers_router
from lienthong.registry.catalogue import CatalogueCache
from lienthong.registry.views import router as registry_router
from lienthong.security.state import live_state
from lienthong.security.views import router as security_router
from lienthong.services.views import router as public_services_router
from lienthong.signin.provider import ClientSettings, Provider
from lienthong.signin.views import router as signin_router
from lienthong.signin.views import session_identity
from lienthong.soc.alerts.views import router as soc_alerts_router
from lienthong.soc.connections.views import router as connections_router
from lienthong.soc.rules.views import router as soc_rules_router
from lienthong.soc.runtime import start_monitoring
from lienthong.soc.siem.runtime import start_forwarding
from lienthong.standards.views import router as standards_router
from lienthong.web import health
from lienthong.web.access import check_routes
from lienthong.web.errors import install_error_handlers
from lienthong.web.headers import SecurityHeaders
from lienthong.web.middleware import BodyLimit, HeaderLimit, Metrics, send_error
from lienthong.web.openapi import install_openapi
from lienthong.web.sources import SourceGuard, SourceLimits

API = "/api/v1"
# Streamed upload endpoints accept the larger upload limit; everything else the JSON limit.
UPLOAD_PATHS: tuple[str, ...] = (f"{API}/ingest", f"{CONSOLE}/upload")  # the same limit

log = logging.getLogger("lienthong")
ROUTERS: tuple[tuple[APIRouter, str], ...] = (
    (health.router, ""),
    (registry_router, API),
    (standards_router, API),
    (ingest_router, API),
    (security_router, ""),
    (grants_router, API),
    (data_router, API),
    (audit_router, API),
    (audit_public_router, ""),
    (linkage_router, API),
    (dti_router, API),
    (public_services_router, API),
    (signin_router, ""),
    (people_router, API),
    (connections_router, API),
    (changes_router, API),
    (providers_router, API),
    (soc_alerts_router, API),
    (soc_rules_router, API),
    (federation_router, API),
)
check_routes(ROUTERS)  # deny by default: no route without an access rule, checked on import


def create_app(settings: Settings | None = None, engine: Engine | None = None) -> FastAPI:
    settings = settings or get_settings()
    refuse_unsafe(settings)  # before anything is created
    digest = operator_token_digest(settings)
    owns_engine = engine is None
    engine = engine or make_engine(settings)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        if should_auto_upgrade(settings):
            prepare_database(engine)
        app.state.unit_catalogue.get()  # warm: the first lookup must not pay for loading
        app.state.exchange = start_runtime(settings, engine)
        # Tokens of registered peer instances, verified with their JWKS (federation).
        app.state.exchange.verifier.foreign = PeerTokens(engine, settings)
        app.state.sources.emit = app.state.exchange.writer.submit
        app.state.providers = start_providers(settings, app.state.exchange)
        stop_forwarding = start_forwarding(settings, engine)  # LIENTHONG_SOC_SYSLOG_TARGET
        changes_worker = Background(engine, settings) if settings.changes_worker else None
        if changes_worker is not None:
            changes_worker.start()
        # rules → alerts → notifications; ``soc_store`` None: the alert store itself
        monitoring = start_monitoring(settings, engine, app.state.soc_store)
        app.state.ingests.start()  # the console's uploads; ends the batches a stop left running
        yield
        app.state.ingests.stop()
        monitoring.stop()
        if changes_worker is not None:
            changes_worker.close()
        stop_forwarding()
        app.state.sources.close()  # the open windows' aggregates, before the writer stops
        await app.state.providers.stop()  # its probes write to the audit log
        app.state.exchange.stop()
        if owns_engine:
            engine.dispose()

    app = FastAPI(
        title="Lienthong",
        version=__version__,
        summary="Provincial data integration and sharing platform",
        lifespan=lifespan,
        docs_url="/docs" if settings.docs_are_open else None,
        redoc_url=None,
        openapi_url="/openapi.json" if settings.docs_are_open else None,
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.sessions = session_factory(engine)
    app.state.operator_digest = digest
    app.state.live_check = live_state  # for http.callers, per request
    app.state.people = Directory()  # persons by personal access token or sign-in
    app.state.signed_in = session_identity  # a person's browser session (signin, http.callers)
    app.state.cursors = cursor_seal(settings)  # refuses to build without its key in production
    app.state.unit_catalogue = CatalogueCache(app.state.sessions)
    app.state.signin = Provider(ClientSettings.of(settings))  # contacted at the first sign-in
    app.state.metrics_registry = CollectorRegistry()
    app.state.ingests = BackgroundIngests(engine, settings)
    app.state.soc_store = None  # where detections go when not the alert store (a benchmark's probe)
    app.state.sources = SourceLimits(
        settings.source_refusal_limit, settings.source_refusal_window_seconds
    )

    install_error_handlers(app)
    install_openapi(app)
    for router, prefix in ROUTERS:
        app.include_router(router, prefix=prefix)
    # The console: pages with their own access rules (console/access.py), not API operations.
    app.mount(f"{CONSOLE}/static", console_assets(), name="console-static")
    app.include_router(console_root)
    app.include_router(console_grants)  # before the console's catch-all "not found" page
    app.include_router(console_audit)  # before console_router: its last route is a catch-all
    app.include_router(console_review)  # before the console's catch-all page
    app.include_router(console_standards)  # before the console's catch-all page
    app.include_router(console_upload)  # before the console's catch-all page
    app.include_router(console_batches)  # before the console's catch-all page
    app.include_router(console_devsignin)  # before the console's catch-all page
    app.include_router(console_credentials)  # before the console's catch-all page
    app.include_router(console_alerts)  # before the console's catch-all page
    app.include_router(console_router)

    def limit_for(path: str) -> int:
        if path.startswith(UPLOAD_PATHS):
            return settings.max_upload_bytes
        return settings.max_body_bytes

    app.add_middleware(FastReads, prefix=API)  # innermost: the single-record read, unrouted

    async def refuse(scope: Scope, send: Send, error: LienthongError) -> None:
        if scope["path"].startswith(f"{CONSOLE}/"):  # a person's form: a page, not JSON
            await refusal_page(scope, send, error)
        else:
            await send_error(send, error, close=True)

    app.add_middleware(BodyLimit, limit_for=limit_for, refuse=refuse)
    app.add_middleware(
        HeaderLimit, per_header=settings.max_header_bytes, total=settings.max_headers_bytes
    )
    app.add_middleware(SourceGuard, limits=app.state.sources)
    app.add_middleware(Metrics, registry=app.state.metrics_registry)
    app.add_middleware(SecurityHeaders)  # outermost: every answer, refusals included
    return app

"""Liveness, readiness and metrics endpoints."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy.exc import SQLAlchemyError

from lienthong import migrate
from lienthong.db import ping
from lienthong.errors import ErrorDetail, Unauthorized, error_body
from lienthong.http.deps import bearer_token
from lienthong.http.operator import token_matches

router = APIRouter(tags=["health"])


@router.get("/healthz", summary="The process is alive")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz", summary="The database is reachable and its schema current")
def readyz(request: Request) -> JSONResponse:
    engine = request.app.state.engine
    try:
        ping(engine)
        missing = migrate.pending(engine)
    except SQLAlchemyError:
        body = error_body("database-unavailable", "the database is not reachable")
        return JSONResponse(body, status_code=503)
    if missing:
        pending = [ErrorDetail(None, "pending-migration", rev) for rev in sorted(missing)]
        body = error_body("schema-out-of-date", "run `lienthong db upgrade`", pending)
        return JSONResponse(body, status_code=503)
    return JSONResponse({"status": "ready"})


@router.get("/metrics", summary="Prometheus metrics", include_in_schema=False)
def metrics(request: Request) -> Response:
    """Open outside production; there, the operator token unless ``open_metrics`` is set."""
    if not request.app.state.settings.metrics_are_open:
        token = bearer_token(request)
        if token is None or not token_matches(token, request.app.state.operator_digest):
            raise Unauthorized("the metrics need the operator token", code="invalid-token")
    return Response(
        generate_latest(request.app.state.metrics_registry), media_type=CONTENT_TYPE_LATEST
    )

"""One error shape for every failure: ``{"error": {"code", "message", "details"}}``."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DBAPIError
from starlette.exceptions import HTTPException as StarletteHTTPException

from lienthong.errors import DatabaseUnavailable, LienthongError, ValidationFailed, error_body
from lienthong.outage import database_unavailable, is_unreachable

log = logging.getLogger("lienthong")

HTTP_CODES = {
    400: "bad-request",
    401: "unauthorized",
    403: "forbidden",
    404: "not-found",
    405: "method-not-allowed",
    406: "not-acceptable",
    409: "conflict",
    413: "payload-too-large",
    415: "unsupported-media-type",
    422: "validation-failed",
    429: "rate-limited",
}


def error_response(error: LienthongError, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(error.as_dict(), status_code=error.status, headers=headers)


def _validation(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    error = ValidationFailed.of_parser(exc.errors())
    return JSONResponse(error.as_dict(), status_code=error.status)


def _lienthong(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, LienthongError)
    headers = getattr(exc, "headers", None)
    if exc.status >= 500 and not isinstance(exc, DatabaseUnavailable):  # the outage log has it
        log.error("%s: %s", exc.code, exc.message)
    return error_response(exc, headers)


def _database(request: Request, exc: Exception) -> JSONResponse:
    if not is_unreachable(exc):
        return _unexpected(request, exc)
    error = database_unavailable(exc)
    return error_response(error, error.headers)


def _http(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    code = HTTP_CODES.get(exc.status_code, "http-error")
    message = exc.detail if isinstance(exc.detail, str) else code
    return JSONResponse(error_body(code, message), status_code=exc.status_code, headers=exc.headers)


def _unexpected(_request: Request, exc: Exception) -> JSONResponse:
    log.exception("unhandled error", exc_info=exc)
    return JSONResponse(error_body("internal-error", "internal error"), status_code=500)


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(RequestValidationError, _validation)
    app.add_exception_handler(LienthongError, _lienthong)
    app.add_exception_handler(StarletteHTTPException, _http)
    app.add_exception_handler(DBAPIError, _database)
    app.add_exception_handler(Exception, _unexpected)

"""The OpenAPI document's error responses, generated in one place for every operation.

FastAPI documents only its own 422 body (``HTTPValidationError``, with ``detail``), which is not
what the API answers. Here every operation gets the one error shape
(``{"error": {"code", "message", "details"}}``) for each status it can answer, derived from
the operation's shape: parameters can be invalid (400, 422) or name something missing (404);
a body can be too large (413) or conflict with what exists (409); everything that is not public
can be refused (401, 403); everything can be over a rate (429) or meet an unreachable database
(503).
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from fastapi import FastAPI
from pydantic import BaseModel, Field

from lienthong.security.views import OAuthError
from lienthong.web.access import PUBLIC

ERROR_SCHEMA = "Error"
# Answered by the process alone: it refuses no one. Routes outside web.access.PUBLIC also
# document 401 and 403.
# Answered by the process alone: no database, no limit.
PROCESS_ONLY: frozenset[str] = frozenset({"/healthz"})
# Public, but they judge the credentials sent to them (and refuse bad ones).
AUTHENTICATES: frozenset[str] = frozenset({"/oauth/token", "/signin/callback"})
# They talk to the identity provider, which may be down or answer garbage (502).
REACHES_PROVIDER: frozenset[str] = frozenset({"/signin/login", "/signin/callback"})
# Served only when the deployment turns the feature on (404 otherwise).
MAY_BE_OFF: frozenset[str] = frozenset({"/signin/login", "/signin/callback", "/signin/logout"})
WRITES = frozenset({"post", "put", "patch", "delete"})
# The token endpoint refuses a client as OAuth libraries expect (RFC 6749 §5.2), not in the
# error shape: these statuses of these paths document that body instead.
OAUTH_SCHEMA = "OAuthError"
OAUTH_REFUSALS: dict[str, frozenset[int]] = {"/oauth/token": frozenset({400, 401})}


class ErrorDetailBody(BaseModel):
    field: str | None = Field(description="Dotted path of the offending field, if any")
    code: str = Field(description="Stable kebab-case code of this detail")
    message: str


class ErrorBody(BaseModel):
    code: str = Field(description="Stable kebab-case error code (docs/errors.md)")
    message: str
    details: list[ErrorDetailBody]


class Error(BaseModel):
    """The one error shape of every failure."""

    error: ErrorBody


def error_statuses(method: str, path: str, operation: dict[str, Any]) -> set[int]:
    """The error statuses this operation can answer."""
    if path in PROCESS_ONLY:
        return set()
    statuses = {429, 431, 503}
    has_body = "requestBody" in operation
    if operation.get("parameters") or has_body:
        statuses |= {400, 404, 422}
    if has_body:
        statuses |= {413}
    if method in WRITES:
        statuses |= {409}
    public = (method.upper(), path) in PUBLIC and path not in AUTHENTICATES
    if not public or operation.get("security"):
        statuses |= {401, 403}
    if path in REACHES_PROVIDER:
        statuses |= {502}
    if path in MAY_BE_OFF:
        statuses |= {404}
    return statuses


def _response(status: int, schema: str = ERROR_SCHEMA) -> dict[str, Any]:
    return {
        "description": HTTPStatus(status).phrase,
        "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema}"}}},
    }


def document_errors(document: dict[str, Any]) -> dict[str, Any]:
    """Give every operation of ``document`` its error responses, all in the error shape."""
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    model = Error.model_json_schema(ref_template="#/components/schemas/{model}")
    schemas.update(model.pop("$defs", {}))
    schemas[ERROR_SCHEMA] = model
    schemas[OAUTH_SCHEMA] = OAuthError.model_json_schema()
    for path, item in document.get("paths", {}).items():
        for method, operation in item.items():
            responses = operation.setdefault("responses", {})
            for status in list(responses):
                if status.isdigit() and int(status) >= 400:
                    del responses[status]
            oauth = OAUTH_REFUSALS.get(path, frozenset())
            for status in sorted(error_statuses(method, path, operation)):
                schema = OAUTH_SCHEMA if status in oauth else ERROR_SCHEMA
                responses[str(status)] = _response(status, schema)
    for unused in ("HTTPValidationError", "ValidationError"):
        schemas.pop(unused, None)
    return document


def install_openapi(app: FastAPI) -> None:
    """Make ``app.openapi()`` return the document with the generated error responses."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = document_errors(generate())
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]

"""The one error family. Every failure a user can see is a LienthongError subclass.

Each class carries a stable kebab-case ``code`` (declared in lienthong/codes/errors.toml and
documented in docs/errors.md), an HTTP ``status`` and a message; ``details`` name the offending
fields. An undeclared code fails where the error is made.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from lienthong.codes import error_code

# Where a request parser says a problem lies; the field path follows it.
_LOCATIONS = frozenset({"body", "query", "path", "header"})


@dataclass(frozen=True)
class ErrorDetail:
    """One offending part of a request: a field (dotted path) and what is wrong with it."""

    field: str | None
    code: str
    message: str
    # A request parser's own code (``missing``, ``string-too-short``, …): not ours to declare.
    parser: bool = dataclasses.field(default=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not self.parser:
            error_code(self.code)

    def as_dict(self) -> dict[str, Any]:
        return {"field": self.field, "code": self.code, "message": self.message}


def error_body(code: str, message: str, details: Iterable[ErrorDetail] = ()) -> dict[str, Any]:
    """The one error shape: ``{"error": {"code", "message", "details": [...]}}``."""
    return {
        "error": {
            "code": error_code(code),
            "message": message,
            "details": [d.as_dict() for d in details],
        }
    }


class LienthongError(Exception):
    code: ClassVar[str] = "internal-error"
    status: ClassVar[int] = 500

    def __init__(
        self, message: str, *, details: list[ErrorDetail] | None = None, code: str | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.details = details or []
        if code is not None:
            self.code = code  # type: ignore[misc]
        error_code(self.code, self.status)

    def as_dict(self) -> dict[str, Any]:
        return error_body(self.code, self.message, self.details)


class NotFound(LienthongError):
    code = "not-found"
    status = 404


class Conflict(LienthongError):
    code = "conflict"
    status = 409


class ValidationFailed(LienthongError):
    code = "validation-failed"
    status = 422

    @classmethod
    def on(cls, field: str, code: str, message: str) -> ValidationFailed:
        """A validation error about a single field."""
        return cls(message, details=[ErrorDetail(field, code, message)])

    @classmethod
    def of_parser(cls, errors: Iterable[Mapping[str, Any]]) -> ValidationFailed:
        """From a request parser's errors (``loc``, ``type``, ``msg``: pydantic, FastAPI)."""
        details = [
            ErrorDetail(
                _field(tuple(e.get("loc", ()))), e["type"].replace("_", "-"), e["msg"], parser=True
            )
            for e in errors
        ]
        return cls("the request is not valid", details=details)


def _field(loc: tuple[Any, ...]) -> str | None:
    parts = [str(p) for p in (loc[1:] if loc and loc[0] in _LOCATIONS else loc)]
    return ".".join(parts) or (str(loc[0]) if loc else None)


# Refusals of a bearer token that was sent: RFC 6750 §3.1 ``invalid_token``.
INVALID_TOKEN_CODES = frozenset({"invalid-token", "token-expired", "credential-revoked"})
REALM = "lienthong"


class Unauthorized(LienthongError):
    """A missing or refused bearer token; the answer carries the RFC 6750 challenge
    (``WWW-Authenticate: Bearer realm=…``, with ``error="invalid_token"`` when one was sent)."""

    code = "unauthorized"
    status = 401

    def __init__(
        self, message: str, *, details: list[ErrorDetail] | None = None, code: str | None = None
    ) -> None:
        super().__init__(message, details=details, code=code)
        challenge = f'Bearer realm="{REALM}"'
        if self.code in INVALID_TOKEN_CODES:
            challenge += ', error="invalid_token"'
        self.headers = {"WWW-Authenticate": challenge}


class Forbidden(LienthongError):
    code = "forbidden"
    status = 403


class PayloadTooLarge(LienthongError):
    code = "payload-too-large"
    status = 413


class HeadersTooLarge(LienthongError):
    code = "headers-too-large"
    status = 431


class BadRequest(LienthongError):
    code = "bad-request"
    status = 400


class Gone(LienthongError):
    """It was served and no longer is (a retired standard version); ``headers`` say since when."""

    code = "no-longer-served"
    status = 410

    def __init__(
        self, message: str, *, code: str | None = None, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(message, code=code)
        self.headers = headers or {}


class ConfigurationError(LienthongError):
    """The platform refuses to start: a setting is missing or unsafe."""

    code = "configuration-error"
    status = 500


def retry_after_header(seconds: float) -> dict[str, str]:
    """The ``Retry-After`` header of an answer that asks to wait: whole seconds, rounded up (an
    earlier retry would be refused again), at least one."""
    return {"Retry-After": str(max(1, math.ceil(seconds)))}


class DatabaseUnavailable(LienthongError):
    """The database cannot be reached: answer 503 with ``Retry-After``, never a traceback."""

    code = "database-unavailable"
    status = 503

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message)
        self.headers = retry_after_header(retry_after)

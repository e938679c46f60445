"""Provider service requests and answers."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field

from lienthong.exchange.schemas import CODE_PATTERN

SERVICE_PATTERN = r"^[a-z0-9][a-z0-9-]{0,31}$"
MAX_DOCUMENT = 1_000_000
MAX_TIMEOUT = 120.0


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class ServiceRegister(Strict):
    """A provider system registers (or registers again) one of its services."""

    organisation: str = Field(max_length=35, pattern=CODE_PATTERN, description="Provider's e-ID")
    system: str = Field(max_length=64, pattern=CODE_PATTERN, description="Provider system code")
    name: str = Field(pattern=SERVICE_PATTERN, description="Service name: a-z, 0-9 and -")
    base_url: str = Field(
        max_length=500, pattern=r"^https?://[^\s\x00]+$", description="Where the service answers"
    )
    document: str = Field(
        min_length=2,
        max_length=MAX_DOCUMENT,
        description="The service's OpenAPI 3.x document, as JSON or YAML text",
    )
    timeout_seconds: float = Field(
        10.0, gt=0, le=MAX_TIMEOUT, strict=True, description="Longest wait for the whole answer"
    )
    max_response_bytes: int = Field(
        1_048_576, ge=1, le=64 * 1_048_576, strict=True, description="Largest answer passed on"
    )
    health_path: str | None = Field(
        None,
        max_length=200,
        pattern=r"^/[^\s\x00?#]*$",
        description="Path the health probe asks (GET); unset: the base URL itself",
    )


class OperationRead(BaseModel):
    id: str
    method: str
    path: str


class ServiceRead(BaseModel):
    name: str
    organisation: str
    system: str
    base_url: str
    health_path: str | None
    title: str
    document_version: str
    timeout_seconds: float
    max_response_bytes: int
    revision: int
    registered_at: datetime
    operations: list[OperationRead]


class ServiceGrantRequest(Strict):
    """A consumer asks to call some of a service's operations, for its purposes."""

    operations: list[str] = Field(
        min_length=1, max_length=200, description="Operation ids (GET /api/v1/providers/{name})"
    )
    purposes: list[str] = Field(min_length=1, description="Codes from /api/v1/purposes")
    expires_on: date
    consumer_organisation: str | None = Field(
        None, max_length=35, pattern=CODE_PATTERN, description="A person: the consumer's e-ID"
    )
    consumer_system: str | None = Field(
        None, max_length=64, pattern=CODE_PATTERN, description="A person: the consumer system"
    )

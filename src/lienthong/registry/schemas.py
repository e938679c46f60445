"""Registry request and response models."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field


class Level(StrEnum):
    central = "central"
    province = "province"
    district = "district"
    commune = "commune"


class SystemStatus(StrEnum):
    registered = "registered"
    connected = "connected"
    suspended = "suspended"


class Strict(BaseModel):
    """Request bodies reject unknown fields."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class UnitVersionRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    name: str
    effective_from: date | None
    effective_to: date | None
    tiers: int


class UnitRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    version_id: str
    code: str
    level: str
    parent_code: str | None
    name: str
    full_name: str
    name_en: str | None
    unit_type: str


class UnitDetail(BaseModel):
    unit: UnitRead
    ancestors: list[UnitRead]
    children: list[UnitRead]


class UnitLinks(BaseModel):
    """A unit with its successors (or predecessors) in another version."""

    unit: UnitRead
    units: list[UnitRead]


class OrganisationCreate(Strict):
    code: str = Field(description="e-ID code (Decision 20/2020): up to 35 of [0-9A-Z.]")
    name: str = Field(min_length=1, max_length=300)
    level: Level
    unit_code: str | None = Field(None, description="Administrative unit served; none if central")
    unit_version: str | None = Field(None, description="Unit code-list version; default: current")
    parent_code: str | None = Field(None, description="e-ID code of the parent organisation")
    sector: str | None = Field(None, max_length=100)


class OrganisationUpdate(Strict):
    name: str | None = Field(None, min_length=1, max_length=300)
    level: Level | None = None
    unit_code: str | None = None
    unit_version: str | None = None
    parent_code: str | None = None
    sector: str | None = Field(None, max_length=100)


class OrganisationRead(BaseModel):
    code: str
    name: str
    level: str
    unit_code: str | None
    unit_version: str | None
    parent_code: str | None
    sector: str | None
    active: bool
    created_at: datetime
    updated_at: datetime


class RejectedRow(BaseModel):
    row: int
    field: str | None
    code: str
    message: str


class ImportReport(BaseModel):
    read: int
    created: int
    rejected: list[RejectedRow]


class SystemCreate(Strict):
    code: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
    name: str = Field(min_length=1, max_length=300)


class SystemUpdate(Strict):
    name: str | None = Field(None, min_length=1, max_length=300)
    status: SystemStatus | None = None


class SystemRead(BaseModel):
    organisation_code: str
    code: str
    name: str
    status: str
    last_seen_at: datetime | None
    created_at: datetime


class CredentialCreate(BaseModel):
    tls_client_name: str | None = Field(
        None,
        min_length=1,
        max_length=512,
        description="Authenticate with a TLS client certificate (tls_client_auth, RFC 8705) "
        "whose subject DN (RFC 4514, e.g. CN=portal,O=H33.05,C=VN) or a subject alternative "
        "name (DNS, URI, e-mail, IP) is this; the credential then has no secret.",
    )


class CredentialRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    client_id: str
    created_at: datetime
    revoked_at: datetime | None
    tls_client_name: str | None = None


class CredentialIssued(CredentialRead):
    client_secret: str | None = Field(
        description="Shown once; only its hash is stored. None for a certificate credential."
    )


class ConnectionRow(BaseModel):
    key: str
    name: str
    organisations: int
    connected: int
    percent: float


class ConnectionReport(BaseModel):
    version: str
    scope: str | None
    organisations: int
    connected: int
    percent: float
    by_level: list[ConnectionRow]
    by_unit: list[ConnectionRow]

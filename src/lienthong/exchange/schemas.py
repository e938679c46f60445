"""Exchange request and response models."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class GrantStatus(StrEnum):
    requested = "requested"
    approved = "approved"
    suspended = "suspended"
    rejected = "rejected"
    revoked = "revoked"


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


# Codes and names the database is asked about: checked before it sees them (PostgreSQL refuses
# a NUL byte in text, which would otherwise be a server error).
CODE_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]*$"


class GrantRequest(Strict):
    dataset: str = Field(
        min_length=1, max_length=64, pattern=CODE_PATTERN, description="Standard name, e.g. citizen"
    )
    version: int | None = Field(
        None, ge=1, le=2**31 - 1, description="Standard version to read (default: the current one)"
    )
    fields: list[str] = Field(min_length=1, description="Fields the consumer needs")
    units: list[str] = Field(min_length=1, description="Province or commune codes (2025 list)")
    purposes: list[str] = Field(min_length=1, description="Codes from /api/v1/purposes")
    expires_on: date
    consumer_organisation: str | None = Field(
        None,
        max_length=35,
        pattern=CODE_PATTERN,
        description="Operator only: the consumer system's organisation",
    )
    consumer_system: str | None = Field(
        None, max_length=64, pattern=CODE_PATTERN, description="Operator only: the consumer system"
    )


class GrantDecision(Strict):
    organisation: str | None = Field(
        None,
        description="e-ID code of the dataset's owner, if given checked against it (the "
        "deciding steward's organisation is what counts)",
    )
    reason: str | None = Field(None, max_length=500)


class GrantRevoke(Strict):
    reason: str | None = Field(None, max_length=500)


class GrantSuspend(Strict):
    reason: str = Field(min_length=1, max_length=500, description="Why reads stop for now")


class ApprovalRead(BaseModel):
    person: int
    name: str
    organisation: str
    at: datetime


class GrantRead(BaseModel):
    id: int
    consumer_organisation: str
    consumer_system: str
    dataset: str
    version: int = Field(description="The standard version this grant reads")
    fields: list[str]
    units: list[str]
    communes: int = Field(description="Number of communes the units cover")
    purposes: list[str]
    expires_on: date
    status: GrantStatus
    decided_by: str | None = Field(
        description="``person:ID`` of the data steward who decided (an organisation code for "
        "grants decided before people signed in)"
    )
    reason: str | None
    requested_at: datetime
    decided_at: datetime | None
    approvals: list[ApprovalRead] = Field(default_factory=list)
    approvals_needed: int | None = Field(
        None,
        description="Approvals the grant needs: 2 with four eyes; None while the dataset "
        "has no owner",
    )
    suspended_by: str | None = Field(
        None, description="While suspended: ``person:ID`` who suspended it, or ``operator``"
    )
    suspended_at: datetime | None = None
    suspension_reason: str | None = None


class OwnerSet(Strict):
    organisation: str = Field(min_length=1, max_length=35, pattern=CODE_PATTERN)
    four_eyes: bool | None = Field(
        None, description="A second steward must approve; None: only for sensitive fields"
    )


class OwnerRead(BaseModel):
    dataset: str
    organisation: str
    four_eyes: bool | None


class PurposeRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    code: str
    name: str


class LookupRequest(Strict):
    keys: list[str] = Field(min_length=1, max_length=1000)


class RecordPage(BaseModel):
    items: list[dict[str, Any]]
    next_cursor: str | None = None


class LookupResult(BaseModel):
    items: list[dict[str, Any]]
    missing: list[str]


class RetireRequest(Strict):
    on: date = Field(description="From this day (UTC) the version is not served")

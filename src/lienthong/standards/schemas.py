"""Standards request and response models."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from lienthong.paging import Page


class StandardRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    name: str
    version: int
    status: str
    title: str
    document: dict[str, Any]
    breaking: list[dict[str, str]] | None
    breaking_reason: str | None = Field(description="Why a breaking version was published")
    created_at: datetime
    published_at: datetime | None
    deprecated_at: datetime | None
    retire_on: date | None = Field(description="From this day (UTC) the version is not served")


class PublishRequest(BaseModel):
    """Publishing a version with breaking changes must say so, and why."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    breaking: bool = False
    reason: str | None = Field(None, max_length=500)


class CodeListSummary(BaseModel):
    name: str
    version: str
    title: str
    valid_from: date | None
    valid_to: date | None
    size: int


class CodeEntry(BaseModel):
    code: str
    label: str


class CodeListRead(Page[CodeEntry]):
    """One version of a code list and one page of its codes (ordered by code)."""

    name: str
    version: str
    title: str
    valid_from: date | None
    valid_to: date | None

"""Public-service figures as returned by the API and the CLI."""

from __future__ import annotations

from pydantic import BaseModel


class CatalogueRow(BaseModel):
    """One agency's procedures by online level; shares are 0..1 (None without procedures)."""

    agency: str
    agency_name: str | None
    procedures: int
    full_online: int
    partial_online: int
    not_online: int
    full_online_share: float | None
    online_share: float | None


class MonthlyRow(BaseModel):
    """One agency's applications in one month (agency ``*``: the whole province)."""

    agency: str
    agency_name: str | None
    month: str
    received_total: int
    received_online: int
    processed_on_time: int
    paid_online: int
    online_share: float | None
    on_time_share: float | None
    paid_online_share: float | None


class CatalogueReport(BaseModel):
    total: CatalogueRow
    by_agency: list[CatalogueRow]


class MonthlyReport(BaseModel):
    province: list[MonthlyRow]
    by_agency: list[MonthlyRow]

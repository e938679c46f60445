"""Public-service routes: the procedure catalogue's online shares and monthly applications.

Reads of aggregates (no personal data): open, like the registry's connection report.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from lienthong.http.callers import permit
from lienthong.http.deps import SessionDep
from lienthong.http.permissions import Permission as P
from lienthong.services import figures
from lienthong.services.schemas import CatalogueReport, MonthlyReport

router = APIRouter(prefix="/public-services", tags=["public services"])
Month = Annotated[str | None, Query(description="YYYY-MM, inclusive")]


@router.get("/catalogue", response_model=CatalogueReport, dependencies=[permit(P.reports_read)])
def catalogue(session: SessionDep, agency: str | None = None) -> CatalogueReport:
    """Procedures per agency by online level: full (toàn trình), partial (một phần), none."""
    return figures.catalogue(session=session, agency=agency)


@router.get("/monthly", response_model=MonthlyReport, dependencies=[permit(P.reports_read)])
def monthly(
    session: SessionDep, agency: str | None = None, since: Month = None, until: Month = None
) -> MonthlyReport:
    """Applications per agency and month, and the province's per month, with online shares."""
    return figures.monthly(session=session, agency=agency, since=since, until=until)

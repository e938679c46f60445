"""The console's navigation: each section is shown to whoever holds its permission. The
sections of later slices (uploads, grant inbox, audit, linkage review) are added here with
their pages."""

from __future__ import annotations

from dataclasses import dataclass

from lienthong.console.access import Viewer
from lienthong.http.permissions import Permission as P

PREFIX = "/console"


def N_(message: str) -> str:
    return message


@dataclass(frozen=True)
class Section:
    path: str
    label: str  # a msgid, translated by the template
    permission: P | None  # None: anyone signed in (what the API shows to anyone)


SECTIONS: tuple[Section, ...] = (
    Section(f"{PREFIX}/overview", N_("Overview"), P.reports_read),
    Section(f"{PREFIX}/registry/units", N_("Administrative units"), P.registry_read),
    Section(f"{PREFIX}/registry/organisations", N_("Organisations"), P.registry_read),
    Section(f"{PREFIX}/registry/systems", N_("Systems"), P.registry_read),
    Section(f"{PREFIX}/grants/inbox", N_("Grant inbox"), P.grants_revoke),
    Section(f"{PREFIX}/grants/requests", N_("Data requests"), P.grants_request),
    Section(f"{PREFIX}/audit", N_("Audit log"), P.audit_search),
    Section(f"{PREFIX}/me/reads", N_("Who looked at my data"), P.own_reads),
    Section(f"{PREFIX}/linkage/reviews", N_("Linkage review"), P.linkage_read),
    Section(f"{PREFIX}/standards", N_("Standards"), None),
    Section(f"{PREFIX}/upload", N_("Upload data"), P.ingest_upload),
    Section(f"{PREFIX}/upload/batches", N_("Batches"), P.ingest_read),
    Section(f"{PREFIX}/alerts", N_("Security alerts"), P.soc_read),
)


def sections_for(viewer: Viewer | None) -> list[Section]:
    if viewer is None:
        return []
    return [s for s in SECTIONS if s.permission is None or viewer.may(s.permission)]


# Labels the templates take from data (levels, statuses), marked here for the catalogue.
DATA_LABELS = (
    N_("Central"),
    N_("Province"),
    N_("District"),
    N_("Commune"),
    N_("Registered"),
    N_("Connected"),
    N_("Suspended"),
    N_("Requested"),
    N_("Approved"),
    N_("Rejected"),
    N_("Revoked"),
    N_("Running"),
    N_("Completed"),
    N_("Failed"),
    # The built-in code-list versions' names (lienthong.registry.loader.BUILTIN_VERSIONS).
    N_("Three-tier list (Decision 124/2004/QĐ-TTg), in force until 2025-06-30"),
    N_("Two-tier list (Decision 19/2025/QĐ-TTg), in force from 2025-07-01"),
    N_("Open"),
    N_("Acknowledged"),
    N_("Resolved"),
    N_("Informational"),
    N_("Low"),
    N_("Medium"),
    N_("High"),
    N_("Critical"),
)

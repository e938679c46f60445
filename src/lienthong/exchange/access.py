"""What a system may read right now: approved, unexpired grants of one standard version
merged per purpose. Suspended grants are loaded too, to refuse with ``grant-suspended`` a
read that only a suspended grant would allow.

Grants are cached in process per (system, dataset) with their version's retirement day, and
tagged with the ``grants`` counter; the counter is read on every request (security.state), so
any approval, revocation or retirement in any worker empties this cache on the very next
request. Expiry and retirement are checked at use, not at caching.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import Connection, and_, select

from lienthong.errors import Forbidden
from lienthong.exchange.models import Grant
from lienthong.exchange.schemas import GrantStatus
from lienthong.standards.models import Standard

grants = Grant.__table__
standards = Standard.__table__
LOADED = (GrantStatus.approved.value, GrantStatus.suspended.value)


@dataclass(frozen=True)
class CachedGrant:
    fields: frozenset[str]
    communes: frozenset[str]
    purposes: frozenset[str]
    expires_on: date
    version: int = 1
    retire_on: date | None = None  # the version's announced retirement day
    deprecated_at: datetime | None = None
    suspended: bool = False


@dataclass(frozen=True)
class Access:
    """The union of the live grants of one version that allow the declared purpose."""

    fields: tuple[str, ...]
    communes: frozenset[str]
    version: int = 1
    retire_on: date | None = None
    deprecated_at: datetime | None = None


class GrantCache:
    def __init__(self) -> None:
        self.version = -1
        self._entries: dict[tuple[int, str], list[CachedGrant]] = {}

    def cached(self, version: int, system_id: int, dataset: str) -> list[CachedGrant] | None:
        """The cached grants, or None when they must be loaded (``grants_for``)."""
        if version != self.version:
            self._entries = {}
            self.version = version
        return self._entries.get((system_id, dataset))

    def grants_for(
        self, conn: Connection, version: int, system_id: int, dataset: str
    ) -> list[CachedGrant]:
        found = self.cached(version, system_id, dataset)
        key = (system_id, dataset)
        if found is None:
            of_version = and_(
                standards.c.name == grants.c.dataset, standards.c.version == grants.c.version
            )
            stmt = (
                select(
                    grants.c.fields,
                    grants.c.communes,
                    grants.c.purposes,
                    grants.c.expires_on,
                    grants.c.version,
                    standards.c.retire_on,
                    standards.c.deprecated_at,
                    grants.c.status,
                )
                .select_from(grants.outerjoin(standards, of_version))
                .where(
                    grants.c.system_id == system_id,
                    grants.c.dataset == dataset,
                    grants.c.status.in_(LOADED),
                )
            )
            found = [
                CachedGrant(
                    frozenset(r.fields),
                    frozenset(r.communes),
                    frozenset(r.purposes),
                    r.expires_on,
                    r.version,
                    r.retire_on,
                    r.deprecated_at,
                    r.status == GrantStatus.suspended.value,
                )
                for r in conn.execute(stmt)
            ]
            self._entries[key] = found
        return found


def resolve_access(
    found: list[CachedGrant], purpose: str, today: date, version: int | None = None
) -> Access:
    """The access the approved grants give for ``purpose``: to ``version`` if the caller
    asked for one (403 ``version-not-granted`` if none of them is for it), else to the highest
    version they are for. Refused with 403 ``grant-suspended`` instead when a suspended grant
    would have allowed it."""
    try:
        return _access([g for g in found if not g.suspended], purpose, today, version)
    except Forbidden as refused:
        try:
            _access([g for g in found if g.suspended], purpose, today, version)
        except Forbidden:
            raise refused from None
        raise Forbidden(
            "the grant that allows this read is suspended", code="grant-suspended"
        ) from None


def _access(found: list[CachedGrant], purpose: str, today: date, version: int | None) -> Access:
    live = [g for g in found if g.expires_on >= today]
    if not live:
        raise Forbidden("no grant allows this system to read this dataset", code="no-grant")
    usable = [g for g in live if purpose in g.purposes]
    if not usable:
        raise Forbidden(f"purpose {purpose!r} is not granted", code="purpose-not-granted")
    chosen = version if version is not None else max(g.version for g in usable)
    usable = [g for g in usable if g.version == chosen]
    if not usable:
        raise Forbidden(
            f"no grant for this purpose is for version {chosen}", code="version-not-granted"
        )
    fields: set[str] = set()
    communes: set[str] = set()
    for grant in usable:
        fields |= grant.fields
        communes |= grant.communes
    first = usable[0]
    return Access(
        tuple(sorted(fields)), frozenset(communes), chosen, first.retire_on, first.deprecated_at
    )

"""What a system may read right now: approved, unexpired grants merged per purpose.

Grants are cached in process per (system, dataset) and tagged with the ``grants`` counter; the
counter is read on every request (security.state), so any approval or revocation in any worker
empties this cache on the very next request. Expiry is checked at use, not at caching.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import Connection, select

from lienthong.errors import Forbidden
from lienthong.exchange.models import Grant
from lienthong.exchange.schemas import GrantStatus

grants = Grant.__table__


@dataclass(frozen=True)
class CachedGrant:
    fields: frozenset[str]
    communes: frozenset[str]
    purposes: frozenset[str]
    expires_on: date


@dataclass(frozen=True)
class Access:
    """The union of the live grants that allow the declared purpose."""

    fields: tuple[str, ...]
    communes: frozenset[str]


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
            stmt = select(
                grants.c.fields, grants.c.communes, grants.c.purposes, grants.c.expires_on
            ).where(
                grants.c.system_id == system_id,
                grants.c.dataset == dataset,
                grants.c.status == GrantStatus.approved.value,
            )
            found = [
                CachedGrant(
                    frozenset(r.fields), frozenset(r.communes), frozenset(r.purposes), r.expires_on
                )
                for r in conn.execute(stmt)
            ]
            self._entries[key] = found
        return found


def resolve_access(found: list[CachedGrant], purpose: str, today: date) -> Access:
    live = [g for g in found if g.expires_on >= today]
    if not live:
        raise Forbidden("no grant allows this system to read this dataset", code="no-grant")
    usable = [g for g in live if purpose in g.purposes]
    if not usable:
        raise Forbidden(f"purpose {purpose!r} is not granted", code="purpose-not-granted")
    fields: set[str] = set()
    communes: set[str] = set()
    for grant in usable:
        fields |= grant.fields
        communes |= grant.communes
    return Access(tuple(sorted(fields)), frozenset(communes))

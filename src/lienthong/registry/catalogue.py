"""An in-memory index of the administrative units for the hot read path.

Units are reference data that change only when a code-list version is added, so each process
keeps them in dictionaries and checks the list of versions at most every ``ttl`` seconds.
"""

from __future__ import annotations

import threading
import time
from collections import defaultdict
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from lienthong.errors import NotFound
from lienthong.registry.models import Unit
from lienthong.registry.schemas import UnitDetail, UnitRead, UnitVersionRead
from lienthong.registry.units import list_versions, pick_version


@dataclass(frozen=True)
class Catalogue:
    versions: tuple[UnitVersionRead, ...]
    units: dict[tuple[str, str], UnitRead]
    children: dict[tuple[str, str], tuple[UnitRead, ...]]

    def detail(
        self, *, code: str, version: str | None = None, on: date | None = None
    ) -> UnitDetail:
        chosen = pick_version(self.versions, version=version, on=on).id
        unit = self.units.get((chosen, code))
        if unit is None:
            raise NotFound(f"no unit {code!r} in version {chosen!r}")
        ancestors: list[UnitRead] = []
        current = unit
        while current.parent_code and (chosen, current.parent_code) in self.units:
            current = self.units[(chosen, current.parent_code)]
            ancestors.append(current)
        return UnitDetail(
            unit=unit, ancestors=ancestors, children=list(self.children.get((chosen, code), ()))
        )


def _stamp(session: Session) -> tuple[str, ...]:
    return tuple(v.id for v in list_versions(session=session))


def load_catalogue(*, session: Session) -> Catalogue:
    versions = tuple(UnitVersionRead.model_validate(v) for v in list_versions(session=session))
    units: dict[tuple[str, str], UnitRead] = {}
    children: dict[tuple[str, str], list[UnitRead]] = defaultdict(list)
    for row in session.scalars(select(Unit).order_by(Unit.version_id, Unit.code)):
        read = UnitRead.model_validate(row)
        units[(row.version_id, row.code)] = read
        if row.parent_code:
            children[(row.version_id, row.parent_code)].append(read)
    return Catalogue(versions, units, {k: tuple(v) for k, v in children.items()})


class CatalogueCache:
    """One catalogue per process, reloaded when the list of versions changes."""

    def __init__(self, sessions: sessionmaker[Session], ttl: float = 60.0) -> None:
        self._sessions = sessions
        self._ttl = ttl
        self._lock = threading.Lock()
        self._catalogue: Catalogue | None = None
        self._checked = 0.0

    def get(self) -> Catalogue:
        current = self._catalogue
        if current is not None and time.monotonic() - self._checked < self._ttl:
            return current
        with self._lock:
            if self._catalogue is not None and time.monotonic() - self._checked < self._ttl:
                return self._catalogue
            with self._sessions() as session:
                catalogue = self._catalogue
                if catalogue is None or _stamp(session) != tuple(v.id for v in catalogue.versions):
                    catalogue = self._catalogue = load_catalogue(session=session)
            self._checked = time.monotonic()
            return catalogue

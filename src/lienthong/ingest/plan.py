"""What a source is read against: the one set-up of an ingest, a check, a replay and a truth
evaluation alike.

A plan holds the standard's spec, its code lists, the mapping (none: the source's columns named
like the fields or their aliases) and, only when the mapping re-keys commune codes, the
registry's unit successions. ``prepare`` reads it in the caller's transaction; ``check`` then
maps and validates a source chunk by chunk without touching the database.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date

import polars as pl
from sqlalchemy.orm import Session

from lienthong.ingest.located import Placed
from lienthong.ingest.mapping import Mapping
from lienthong.ingest.pipeline import Chunk, checked_chunks
from lienthong.ingest.rekey import load_successions
from lienthong.ingest.sources import Source
from lienthong.standards.codelists import ADMIN_UNIT
from lienthong.standards.schema import StandardSpec
from lienthong.standards.seen import SEEN_IN_MEMORY
from lienthong.standards.service import get_standard, spec_of
from lienthong.standards.validate import CodeBook


@dataclass(frozen=True, kw_only=True)
class IngestPlan:
    spec: StandardSpec
    book: CodeBook
    mapping: Mapping | None
    successions: pl.DataFrame | None
    today: date

    def mapping_for(self, source: Source) -> Mapping:
        if self.mapping is not None:
            return self.mapping
        labels = {
            name: {code: label for v in versions for code, label in v.entries.items()}
            for name, versions in self.book.lists.items()
            if self.spec.field(name).codelist != ADMIN_UNIT  # names repeat across provinces
        }
        return Mapping.for_standard(self.spec, labels)

    def check(
        self,
        source: Source,
        *,
        frames: Iterable[pl.DataFrame] | None = None,
        workers: int = 1,
        seen_limit: int = SEEN_IN_MEMORY,
    ) -> Iterator[Chunk]:
        """The source's chunks (or ``frames`` already drawn from it) mapped and validated, in
        order; see :func:`lienthong.ingest.pipeline.checked_chunks`."""
        return checked_chunks(
            source.chunks() if frames is None else frames,
            spec=self.spec,
            book=self.book,
            mapping=self.mapping_for(source),
            successions=self.successions,
            today=self.today,
            workers=workers,
            placed=Placed(source.sheet_row_offset, source.headers),
            seen_limit=seen_limit,
        )


def prepare(
    *,
    session: Session,
    standard: str,
    version: int | None = None,
    mapping: Mapping | None = None,
    today: date | None = None,
) -> IngestPlan:
    """The plan for a standard (its latest published version unless ``version``)."""
    spec = spec_of(get_standard(session=session, name=standard, version=version))
    return IngestPlan(
        spec=spec,
        book=CodeBook.load(session=session, spec=spec),
        mapping=mapping,
        successions=load_successions(session) if mapping is not None and mapping.rekeys else None,
        today=today or date.today(),
    )

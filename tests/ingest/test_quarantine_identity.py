"""A bad row sent again is one open quarantine entry, counted in the batch that sent it again."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import polars as pl
import pytest
from sqlalchemy import Engine, select

from lienthong.config import Settings
from lienthong.db import transaction
from lienthong.ingest.job import run_source
from lienthong.ingest.models import Batch, QuarantineRow
from lienthong.ingest.replay import replay
from lienthong.ingest.schemas import BatchReport
from lienthong.ingest.service import IngestRequest, checksum, ingest_file
from lienthong.ingest.sources import Source, open_source
from tests.ingest.factories import SYSTEM, citizen_row, register_system, write_citizens

BAD = 20


def _rows(good: range = range(1, 31)) -> list[dict[str, str]]:
    """Good rows, then 20 rows that each break a rule."""
    rows = [citizen_row(i) for i in good]
    rows += [citizen_row(1000 + i, date_of_birth=f"{i + 1}/13/1990") for i in range(BAD)]
    return rows


def _ingest(engine: Engine, settings: Settings, path: Path, **kw: object) -> Batch:
    request = IngestRequest(path=path, standard="citizen", system=SYSTEM, **kw)  # type: ignore[arg-type]
    return ingest_file(engine=engine, request=request, settings=settings)


def _open(engine: Engine) -> list[tuple[str, int]]:
    with transaction(engine) as session:
        found = session.execute(
            select(QuarantineRow.batch_id, QuarantineRow.row).where(QuarantineRow.status == "open")
        )
        return sorted((b, r) for b, r in found)


def test_the_same_file_twice_leaves_one_open_entry_per_bad_row(
    engine: Engine, settings: Settings, tmp_path: Path
) -> None:
    register_system(engine, settings)
    path = write_citizens(tmp_path / "dan_cu.csv", _rows())
    first = _ingest(engine, settings, path)
    again = _ingest(engine, settings, path)
    assert first.id != again.id and again.status == "completed"
    open_entries = _open(engine)
    assert len(open_entries) == BAD
    assert {b for b, _ in open_entries} == {first.id}
    # Nothing hidden: the second batch still says the rows were quarantined, and that their
    # entries were open already.
    assert (again.rows_read, again.rows_loaded, again.rows_quarantined) == (50, 30, BAD)
    assert again.summary["rows_already_open"] == BAD
    assert first.summary.get("rows_already_open", 0) == 0
    said = BatchReport.model_validate(again).message
    assert f"{BAD} dòng đã có trong hàng cách ly" in said and "already open" in said


def test_the_same_bad_rows_in_another_file_and_order_are_not_entered_again(
    engine: Engine, settings: Settings, tmp_path: Path
) -> None:
    register_system(engine, settings)
    _ingest(engine, settings, write_citizens(tmp_path / "thang_10.csv", _rows()))
    other = _rows(range(31, 41))
    other = [citizen_row(2000, sex="x"), *reversed(other)]  # one new problem, rows moved
    again = _ingest(engine, settings, write_citizens(tmp_path / "thang_11.csv", other))
    assert again.rows_quarantined == BAD + 1
    assert again.summary["rows_already_open"] == BAD
    assert len(_open(engine)) == BAD + 1


def test_identical_bad_rows_within_one_file_are_one_entry(
    engine: Engine, settings: Settings, tmp_path: Path
) -> None:
    register_system(engine, settings)
    bad = citizen_row(7, date_of_birth="1990-13-01")
    batch = _ingest(engine, settings, write_citizens(tmp_path / "lap.csv", [bad, bad]))
    assert batch.rows_quarantined == 2 and batch.summary["rows_already_open"] == 1
    assert _open(engine) == [(batch.id, 1)]


def test_a_row_sent_again_after_its_entry_was_replayed_is_a_new_entry(
    engine: Engine, settings: Settings, tmp_path: Path
) -> None:
    register_system(engine, settings)
    path = write_citizens(tmp_path / "dan_cu.csv", _rows(range(1, 2))[:2])
    first = _ingest(engine, settings, path)
    with transaction(engine) as session:
        (entry,) = session.scalars(select(QuarantineRow))
        replay(
            session=session,
            settings=settings,
            batch_id=first.id,
            fixes={entry.id: {"date_of_birth": "1990-01-01"}},
        )
    assert _open(engine) == []
    again = _ingest(engine, settings, path)
    assert again.summary.get("rows_already_open", 0) == 0
    assert _open(engine) == [(again.id, 2)]


class Interrupted(Exception):
    pass


def _cut_after(source: Source, chunks: int) -> Source:
    def reader() -> Iterator[pl.DataFrame]:
        for i, frame in enumerate(source.chunks()):
            if i == chunks:
                raise Interrupted
            yield frame

    return Source(format=source.format, columns=source.columns, reader=reader)


def test_a_run_sent_again_and_resumed_after_a_crash_enters_nothing_twice(
    engine: Engine, settings: Settings, tmp_path: Path
) -> None:
    register_system(engine, settings)
    path = write_citizens(tmp_path / "dan_cu.csv", _rows())
    _ingest(engine, settings, path, chunk_rows=10)
    run = {
        "engine": engine,
        "standard": "citizen",
        "system": SYSTEM,
        "mapping": None,
        "digest": checksum(path),
        "source_name": path.name,
        "settings": settings,
    }
    opened = lambda: open_source(path, chunk_rows=10)  # noqa: E731
    with pytest.raises(Interrupted):  # dies in its 4th chunk, its first bad rows committed
        run_source(opener=lambda: _cut_after(opened(), 4), **run)  # type: ignore[arg-type]
    resumed = run_source(opener=opened, **run)  # type: ignore[arg-type]
    assert resumed.resumed_from_chunk == 4
    assert resumed.rows_quarantined == BAD and resumed.summary["rows_already_open"] == BAD
    assert len(_open(engine)) == BAD

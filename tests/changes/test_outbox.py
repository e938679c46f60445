"""The outbox is written by the store write itself, in its transaction: one row per inserted or
changed record (never for an unchanged one), positions in commit order, on both load paths
(a batch into an empty table; a merge into a filled one)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from lienthong.config import Settings
from lienthong.store.outbox import OutboxEvent, read_changes
from tests.changes.conftest import OUTSIDE, citizens, ingest
from tests.ingest.factories import COMMUNE, citizen_row, personal_id, register_system


def _rows(engine: Engine) -> list[OutboxEvent]:
    with Session(engine) as session:
        rows = list(session.scalars(select(OutboxEvent).order_by(OutboxEvent.position)))
        session.expunge_all()
        return rows


def test_each_insert_and_change_writes_one_outbox_row_with_its_fields_and_area(
    engine: Engine, settings: Settings, tmp_path: Path
) -> None:
    register_system(engine, settings)
    first = [*citizens(3), citizen_row(4, commune_code=OUTSIDE)]
    ingest(engine, settings, tmp_path / "a.csv", first)  # into an empty table
    rows = _rows(engine)
    assert [(r.record_key, r.operation, r.area) for r in rows] == [
        (personal_id(1), "insert", COMMUNE),
        (personal_id(2), "insert", COMMUNE),
        (personal_id(3), "insert", COMMUNE),
        (personal_id(4), "insert", OUTSIDE),
    ]
    assert rows[0].fields.split(",")[0] == "personal_id" and "phone" in rows[0].fields

    # A merge: one record changes two fields, one is new, the others are sent unchanged.
    second = [
        citizen_row(1, full_name="Trần Thị Một", phone="0911111111"),
        *citizens(3)[1:],
        citizen_row(4, commune_code=OUTSIDE),
        citizen_row(5),
    ]
    ingest(engine, settings, tmp_path / "b.csv", second)
    later = _rows(engine)[len(rows) :]
    assert sorted((r.record_key, r.operation, r.fields) for r in later) == [
        (personal_id(1), "update", "full_name,phone"),
        (personal_id(5), "insert", rows[0].fields),
    ]
    assert min(r.position for r in later) > max(r.position for r in rows)

    # Loading the same values again changes nothing and writes nothing.
    ingest(engine, settings, tmp_path / "c.csv", second)
    with Session(engine) as session:
        assert session.scalar(select(func.count()).select_from(OutboxEvent)) == 6
        seen = read_changes(session, dataset="citizen", after=rows[1].position, limit=2)
    assert [c.position for c in seen] == [rows[2].position, rows[3].position]
    assert seen[0].fields[:2] == ("personal_id", "full_name")

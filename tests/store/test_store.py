"""The store: idempotent upsert with history, and the read interface other domains use."""

from __future__ import annotations

from datetime import UTC, datetime

import polars as pl
import pytest
from sqlalchemy import Engine, func, select

from lienthong.dataset.keys import record_key
from lienthong.db import transaction
from lienthong.errors import NotFound, ValidationFailed
from lienthong.standards.service import get_standard, spec_of
from lienthong.standards.validate import CodeBook, validate_frame
from lienthong.store import service
from lienthong.store.load import load_frame
from lienthong.store.tables import history_table
from tests.ingest.factories import citizen_row, tax_code
from tests.paging import a_page

NOW = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


def _load(engine: Engine, rows: list[dict[str, str]], batch: str, name: str = "citizen"):
    frame = (
        pl.DataFrame(rows)
        .with_row_index("_row", offset=1)
        .with_columns(pl.col("_row").cast(pl.Int64))
    )
    with transaction(engine) as session:
        spec = spec_of(get_standard(session=session, name=name))
        result = validate_frame(frame, spec, CodeBook.load(session=session, spec=spec))
        assert result.findings.height == 0, result.findings.to_dicts()
        return load_frame(
            session=session,
            spec=spec,
            frame=result.valid,
            batch_id=batch,
            system="H33.02/hoso",
            now=NOW,
        )


def test_upsert_counts_and_history(engine: Engine) -> None:
    rows = [citizen_row(i) for i in range(1, 6)]
    first = _load(engine, rows, "b1")
    assert (first.inserted, first.updated, first.unchanged) == (5, 0, 0)
    again = _load(engine, rows, "b2")
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 5)
    rows[1] = citizen_row(2, address_line="Số 9 phố Mới", phone="")
    changed = _load(engine, [*rows, citizen_row(6)], "b3")
    assert (changed.inserted, changed.updated, changed.unchanged) == (1, 1, 4)
    with transaction(engine) as session:
        spec = spec_of(get_standard(session=session, name="citizen"))
        history = history_table(spec)
        old = session.execute(select(history)).mappings().all()
        assert len(old) == 1
        assert old[0]["address_line"] == "Số 2 phố Hiến" and old[0]["_replaced_by"] == "b3"
        assert old[0]["_batch_id"] == "b1"
        key = rows[1]["personal_id"]
        [record] = service.get_records(session=session, dataset="citizen", keys=[key])
        assert record["address_line"] == "Số 9 phố Mới" and record["phone"] is None
        assert record["_batch_id"] == "b3" and record["_key"] == key
        assert record["date_of_birth"] == "1990-05-17"
        assert session.scalar(select(func.count()).select_from(history)) == 1


def test_read_interface(engine: Engine) -> None:
    _load(
        engine,
        [citizen_row(i, commune_code="12166" if i % 2 else "11953") for i in range(1, 8)],
        "b1",
    )
    with transaction(engine) as session:
        info = service.dataset_info(session=session, dataset="citizen")
        assert info.table == "store_citizen_v1" and info.key_fields == ["personal_id"]
        assert info.area_field == "commune_code"
        assert {f.name: f.identifier for f in info.fields}["personal_id"] == "personal-id"
        keys = [citizen_row(3)["personal_id"], "000000000000", citizen_row(1)["personal_id"]]
        found = service.get_records(session=session, dataset="citizen", keys=keys)
        assert [r["_key"] for r in found] == [keys[0], keys[2]]
        page, cursor = service.list_records(session=session, dataset="citizen", page=a_page(3))
        assert len(page) == 3 and cursor
        rest, end = service.list_records(
            session=session, dataset="citizen", page=a_page(cursor=cursor)
        )
        assert len(rest) == 4 and end is None
        assert [r["_key"] for r in page + rest] == sorted(r["_key"] for r in page + rest)
        odd, _ = service.list_records(
            session=session, dataset="citizen", area_codes=["12166"], page=a_page()
        )
        assert len(odd) == 4
        none, _ = service.list_records(
            session=session, dataset="citizen", area_codes=[], page=a_page()
        )
        assert none == []
        named, _ = service.list_records(
            session=session,
            dataset="citizen",
            filters={"full_name": "Nguyễn Văn 2"},
            page=a_page(),
        )
        assert [r["full_name"] for r in named] == ["Nguyễn Văn 2"]
        with pytest.raises(NotFound) as caught:
            service.dataset_info(session=session, dataset="nope")
        assert caught.value.code == "unknown-dataset"
    frames = list(service.iter_frames(engine_or_session=engine, dataset="citizen", batch_size=3))
    assert [f.height for f in frames] == [3, 3, 1]
    assert frames[0].schema["date_of_birth"] == pl.Date
    assert "_key" in frames[0].columns


def test_composite_keys(engine: Engine) -> None:
    row = {
        "commune_code": "12166",
        "map_sheet": "2",
        "parcel_number": "10",
        "area_m2": "55.5",
        "land_use_type": "ONT",
        "holder_id": "",
        "holder_name": "A",
    }
    rows = [row, {**row, "parcel_number": "9"}, {**row, "map_sheet": "10"}]
    assert _load(engine, rows, "b1", "land_parcel").inserted == 3
    with transaction(engine) as session:
        assert (
            record_key({"commune_code": "12166", "map_sheet": 2, "parcel_number": 10})
            == "12166~2~10"
        )
        found = service.get_records(
            session=session, dataset="land_parcel", keys=["12166~10~10", "12166~2~9"]
        )
        assert [r["_key"] for r in found] == ["12166~10~10", "12166~2~9"]
        page, cursor = service.list_records(session=session, dataset="land_parcel", page=a_page(2))
        assert [r["_key"] for r in page] == ["12166~2~9", "12166~2~10"]
        rest, _ = service.list_records(
            session=session, dataset="land_parcel", page=a_page(cursor=cursor)
        )
        assert [r["_key"] for r in rest] == ["12166~10~10"]


def test_empty_dataset_reads_nothing(engine: Engine) -> None:
    with transaction(engine) as session:
        assert service.get_records(session=session, dataset="business", keys=["0100109106"]) == []
        assert service.list_records(session=session, dataset="business", page=a_page()) == (
            [],
            None,
        )


def test_insert_fast_path_falls_back_to_merge(engine: Engine) -> None:
    _load(engine, [citizen_row(1), citizen_row(2)], "b1")
    rows = [citizen_row(2, address_line="Số 5 phố Mới"), citizen_row(3)]
    frame = (
        pl.DataFrame(rows)
        .with_row_index("_row", offset=1)
        .with_columns(pl.col("_row").cast(pl.Int64))
    )
    with transaction(engine) as session:
        spec = spec_of(get_standard(session=session, name="citizen"))
        valid = validate_frame(frame, spec, CodeBook.load(session=session, spec=spec)).valid
        # Told wrongly that every key is new: the insert fails on key 2 and is undone.
        counts = load_frame(
            session=session,
            spec=spec,
            frame=valid,
            batch_id="b2",
            system="H33.02/hoso",
            now=NOW,
            new_keys_only=True,
        )
        assert (counts.inserted, counts.updated, counts.unchanged) == (1, 1, 0)
        fresh = load_frame(
            session=session,
            spec=spec,
            frame=valid.with_columns(pl.lit("033090999999").alias("personal_id")).head(1),
            batch_id="b3",
            system="H33.02/hoso",
            now=NOW,
            new_keys_only=True,
        )
        assert fresh.inserted == 1
        records, _ = service.list_records(session=session, dataset="citizen", page=a_page())
        assert len(records) == 4
        assert session.scalar(select(func.count()).select_from(history_table(spec))) == 1


def test_boolean_filter_reads_as_ingest_does(engine: Engine) -> None:
    row = {
        "tax_code": tax_code(1),
        "name": "Công ty TNHH A",
        "legal_form": "TNHH1",
        "registration_date": "2019-03-04",
        "commune_code": "12166",
        "status": "active",
        "representative_id": "",
        "has_website": "true",
    }
    rows = [row, {**row, "tax_code": tax_code(2), "has_website": "false"}]
    assert _load(engine, rows, "b1", "business").inserted == 2
    with transaction(engine) as session:
        for text, expected in (("TRUE", [tax_code(1)]), ("0", [tax_code(2)])):
            found, _ = service.list_records(
                session=session, dataset="business", filters={"has_website": text}, page=a_page()
            )
            assert [r["tax_code"] for r in found] == expected
        # Not a boolean to the validator, so not "false" to a filter either.
        with pytest.raises(ValidationFailed) as caught:
            service.list_records(
                session=session, dataset="business", filters={"has_website": "yes"}, page=a_page()
            )
        assert caught.value.details[0].code == "type-error"

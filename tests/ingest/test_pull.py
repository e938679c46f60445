"""Pulling from a sector's database: a table, incrementally by a watermark column."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine, create_engine, text

from lienthong.config import Settings
from lienthong.ingest.pull import pull
from tests.ingest.factories import citizen_row, register_system


def _sector_db(path: Path, rows: list[dict[str, str]]) -> str:
    url = f"sqlite:///{path}"
    source = create_engine(url)
    with source.begin() as conn:
        conn.execute(
            text(
                "CREATE TABLE IF NOT EXISTS dan_cu (personal_id TEXT, full_name TEXT, "
                "sex TEXT, date_of_birth TEXT, ethnic_code TEXT, commune_code TEXT, "
                "address_line TEXT, phone TEXT, changed INTEGER)"
            )
        )
        conn.execute(
            text(
                "INSERT INTO dan_cu VALUES (:personal_id, :full_name, :sex, "
                ":date_of_birth, :ethnic_code, :commune_code, :address_line, :phone, "
                ":changed)"
            ),
            rows,
        )
    source.dispose()
    return url


def test_incremental_pull(engine: Engine, settings: Settings, tmp_path: Path) -> None:
    system = register_system(engine, settings)
    rows = [{**citizen_row(i), "changed": str(i)} for i in range(1, 6)]
    rows[2]["sex"] = "9"
    url = _sector_db(tmp_path / "sector.db", rows)
    first = pull(
        engine=engine,
        settings=settings,
        url=url,
        table="dan_cu",
        watermark="changed",
        standard="citizen",
        system=system,
    )
    assert (first.rows_read, first.rows_loaded, first.rows_quarantined) == (5, 4, 1)
    assert (first.watermark, first.since, first.watermark_max) == ("changed", None, "5")
    assert first.source_name.endswith("#dan_cu")

    _sector_db(
        tmp_path / "sector.db",
        [
            {**citizen_row(2, address_line="Mới"), "changed": "6"},
            {**citizen_row(7), "changed": "7"},
        ],
    )
    second = pull(
        engine=engine,
        settings=settings,
        url=url,
        table="dan_cu",
        watermark="changed",
        standard="citizen",
        system=system,
    )
    assert (second.since, second.watermark_max) == ("5", "7")
    assert (second.rows_read, second.inserted, second.updated) == (2, 1, 1)
    third = pull(
        engine=engine,
        settings=settings,
        url=url,
        table="dan_cu",
        watermark="changed",
        standard="citizen",
        system=system,
    )
    assert third.rows_read == 0

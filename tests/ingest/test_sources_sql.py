"""Pulling from databases by URL, incrementally by a watermark (SQLite, PostgreSQL, MariaDB)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl
import pytest
import sqlalchemy as sa

from lienthong.ingest.sources import sql_source
from lienthong.ingest.sources.errors import SourceUnavailable

MARIADB = "mysql+pymysql://root@127.0.0.1:3306/test"


def _fill(url: str) -> None:
    engine = sa.create_engine(url)
    meta = sa.MetaData()
    people = sa.Table(
        "src_people",
        meta,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("ho_ten", sa.String(100)),
        sa.Column("ngay_sinh", sa.Date),
        sa.Column("cap_nhat", sa.Integer),
    )
    meta.drop_all(engine)
    meta.create_all(engine)
    with engine.begin() as conn:
        conn.execute(
            people.insert(),
            [
                {
                    "id": 1,
                    "ho_ten": "Nguyễn Văn Hùng",
                    "ngay_sinh": dt.date(1990, 5, 17),
                    "cap_nhat": 10,
                },
                {"id": 2, "ho_ten": "Trần Thị Bích", "ngay_sinh": None, "cap_nhat": 30},
                {"id": 3, "ho_ten": "", "ngay_sinh": dt.date(2001, 2, 3), "cap_nhat": 20},
            ],
        )
    engine.dispose()


def _pull(url: str, **kwargs: object) -> tuple[pl.DataFrame, str | None]:
    source = sql_source(url, **kwargs)  # type: ignore[arg-type]
    chunks = list(source.chunks())
    return (pl.concat(chunks) if chunks else pl.DataFrame()), source.watermark_max


def _check_incremental(url: str) -> None:
    _fill(url)
    frame, high = _pull(url, table="src_people", watermark="cap_nhat", chunk_rows=2)
    assert frame.columns == ["_row", "id", "ho_ten", "ngay_sinh", "cap_nhat"]
    assert frame.rows() == [
        (1, "1", "Nguyễn Văn Hùng", "1990-05-17", "10"),
        (2, "3", None, "2001-02-03", "20"),
        (3, "2", "Trần Thị Bích", None, "30"),
    ]
    assert high == "30"
    frame, high = _pull(url, table="src_people", watermark="cap_nhat", since="10")
    assert frame["id"].to_list() == ["3", "2"] and frame["_row"].to_list() == [1, 2]
    frame, high = _pull(url, table="src_people", watermark="cap_nhat", since="30")
    assert frame.height == 0 and high is None
    frame, high = _pull(
        url,
        query="SELECT id, cap_nhat FROM src_people WHERE id > 1",
        watermark="cap_nhat",
        since="20",
    )
    assert frame.rows() == [(1, "2", "30")] and high == "30"


def test_incremental_pull_on_sqlite(tmp_path: Path) -> None:
    _check_incremental(f"sqlite:///{tmp_path / 'src.db'}")


def test_incremental_pull_on_the_test_database(database_url: str, engine: sa.Engine) -> None:
    _check_incremental(database_url)


def test_incremental_pull_on_mariadb() -> None:
    try:
        sa.create_engine(MARIADB).connect().close()
    except sa.exc.OperationalError:
        pytest.skip("no MariaDB on 127.0.0.1:3306")
    _check_incremental(MARIADB)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"table": "src_people; DROP TABLE src_people"},
        {"table": "missing"},
        {"table": "src_people", "watermark": "nope"},
        {"table": "src_people", "watermark": "cap_nhat; --"},
        {},
    ],
)
def test_bad_names_are_refused(tmp_path: Path, kwargs: dict[str, str]) -> None:
    url = f"sqlite:///{tmp_path / 'src.db'}"
    _fill(url)
    with pytest.raises(SourceUnavailable) as caught:
        sql_source(url, **kwargs)  # type: ignore[arg-type]
    assert caught.value.status == 422
    assert sa.inspect(sa.create_engine(url)).has_table("src_people")

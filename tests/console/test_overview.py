"""The leaders' overview on a populated province: every figure as a table, a chart's place and
a CSV download, with the domains' own numbers."""

from __future__ import annotations

import csv
import io

from fastapi.testclient import TestClient
from sqlalchemy import Engine

from lienthong.console.overview import VOLUME_DAYS
from tests.console.people import LEADER, session_cookie

FIGURES = (
    "connected-by-level",
    "connected-by-unit",
    "exchange-per-day",
    "exchange-per-dataset",
    "quality-by-sector",
    "linkage-coverage",
)


def _csv(web: TestClient, name: str, lang: str = "vi") -> list[list[str]]:
    answer = web.get(f"/console/overview/{name}.csv?lang={lang}")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/csv")
    assert answer.headers["content-disposition"] == f'attachment; filename="{name}.csv"'
    assert answer.content.startswith(b"\xef\xbb\xbf")  # Excel reads the Vietnamese as UTF-8
    return list(csv.reader(io.StringIO(answer.content.decode("utf-8-sig"))))


def test_the_overview_shows_every_figure_with_its_download(
    web: TestClient, province: Engine
) -> None:
    web.cookies.update(session_cookie(web.app, "leader-o", LEADER))  # type: ignore[arg-type]
    page = web.get("/console/overview")
    assert page.status_code == 200 and "Tổng quan" in page.text
    for name in FIGURES:
        assert f'id="{name}"' in page.text
        assert f'href="/console/overview/{name}.csv"' in page.text
    assert page.text.count('class="chart"') == len(FIGURES)  # every figure has data here
    assert "echarts.min.js" in page.text and "<script>" not in page.text


def test_the_figures_are_the_domains_numbers(web: TestClient, province: Engine) -> None:
    web.cookies.update(session_cookie(web.app, "leader-f", LEADER))  # type: ignore[arg-type]
    levels = _csv(web, "connected-by-level")
    assert levels[0] == ["Cấp", "Cơ quan, tổ chức", "Đã kết nối", "% đã kết nối"]
    by_level = {row[0]: row[1:] for row in levels[1:]}
    assert by_level["Tỉnh"][:2] == ["7", "5"]  # the sample's seven province bodies, five connected
    days = _csv(web, "exchange-per-day")
    assert len(days) == 1 + VOLUME_DAYS and sum(int(r[1]) for r in days[1:]) == 3
    datasets = {row[0]: row[1:] for row in _csv(web, "exchange-per-dataset")[1:]}
    assert datasets == {"citizen": ["2", "4"], "land_parcel": ["1", "2"]}
    quality = _csv(web, "quality-by-sector", lang="en")
    assert quality[0] == ["Sector", "Rows received", "Rows valid", "% valid", "Open quarantine"]
    rows = quality[1:]
    assert rows and all(int(r[2]) <= int(r[1]) for r in rows)
    assert any(int(r[4]) > 0 for r in rows)  # the sample's messy rows wait in quarantine
    linked = _csv(web, "linkage-coverage")[1:]
    assert linked and all(row[1] == "Công dân" for row in linked)
    assert sum(int(r[3]) for r in linked) > 0  # persons found in more than one dataset


def test_an_unknown_figure_is_a_page_not_found(web: TestClient, engine: Engine) -> None:
    web.cookies.update(session_cookie(web.app, "leader-x", LEADER))  # type: ignore[arg-type]
    missing = web.get("/console/overview/nothing.csv")
    assert missing.status_code == 404 and missing.headers["content-type"].startswith("text/html")

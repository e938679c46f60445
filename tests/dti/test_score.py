"""``lienthong dti score`` and ``POST /api/v1/dti/score``: the published rows in, index and
rank out; every bad cell of a values table named at once."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from lienthong.config import Settings
from lienthong.dti.sets import builtin_document, parse_set
from lienthong.dti.tables import parse_csv, province_values
from lienthong.errors import ValidationFailed
from tests.cli import run_cli
from tests.contract.test_error_shape import assert_error_shape
from tests.dti.published import INDICATORS, dti_rows, values_csv

SET = parse_set(builtin_document("922-2022"))
EXPECTED = [  # the published indices, but Hồ Chí Minh City's (see test_published.py)
    {"province": "TP. Đà Nẵng", "index": 0.8002, "rank": 1},
    {"province": "TP. Hồ Chí Minh", "index": 0.7164, "rank": 2},
    {"province": "Quảng Ninh", "index": 0.7024, "rank": 3},
    {"province": "Thừa Thiên - Huế", "index": 0.6975, "rank": 4},
    {"province": "TP. Cần Thơ", "index": 0.6924, "rank": 5},
]


def test_cli_scores_a_values_file(settings: Settings, engine: object, tmp_path: Path) -> None:
    rows = list(reversed(dti_rows()))  # any order in: best first out
    path = tmp_path / "values.csv"
    path.write_text(values_csv(rows), encoding="utf-8")
    result = run_cli(settings, "dti", "score", "--set", "922-2022", "--values", str(path), "--json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == EXPECTED


def test_cli_reports_a_bad_file_in_the_error_shape(
    settings: Settings, engine: object, tmp_path: Path
) -> None:
    path = tmp_path / "values.csv"
    path.write_text("province,awareness\nA,0.5\n", encoding="utf-8")
    result = run_cli(settings, "dti", "score", "--values", str(path), "--json")
    assert result.returncode == 1
    error = json.loads(result.stderr)["error"]
    assert error["code"] == "validation-failed"
    assert {d["field"] for d in error["details"]} == set(INDICATORS) - {"awareness"}
    assert {d["code"] for d in error["details"]} == {"missing-column"}


def test_api_scores_posted_rows_without_a_token(client: TestClient) -> None:
    rows = [{"province": r["province"], **{k: float(r[k]) for k in INDICATORS}} for r in dti_rows()]
    response = client.post("/api/v1/dti/score", json={"set": "922-2022", "rows": rows})
    assert response.status_code == 200
    assert response.json() == EXPECTED


def test_api_names_every_bad_cell(client: TestClient) -> None:
    good = {k: 0.5 for k in INDICATORS}
    rows = [
        {"province": "A", **good, "awareness": "abc"},
        {"province": "B", **good, "gov_activity": 1.2},
        {"province": "a", **good},
        {"province": "", **good, "workforce": None},
    ]
    response = client.post("/api/v1/dti/score", json={"rows": rows})
    assert_error_shape(response, 422, "validation-failed")
    found = {(d["field"], d["code"]) for d in response.json()["error"]["details"]}
    assert found == {
        ("rows.1.awareness", "invalid-value"),
        ("rows.2.gov_activity", "value-out-of-range"),
        ("rows.3.province", "duplicate-province"),
        ("rows.4.province", "missing-value"),
        ("rows.4.workforce", "missing-value"),
    }


def test_unknown_set_when_scoring(client: TestClient) -> None:
    response = client.post("/api/v1/dti/score", json={"set": "nope", "rows": [{"province": "A"}]})
    assert_error_shape(response, 404, "unknown-indicator-set")


def test_semicolons_decimal_commas_and_a_bom_are_read() -> None:
    header = ";".join(["Province", *INDICATORS])
    line = ";".join(["Hưng Yên", *["0,5"] * 7, "0,25"])
    rows = province_values(SET, parse_csv(("\ufeff" + header + "\n" + line + "\n").encode()))
    assert rows[0].province == "Hưng Yên"
    assert rows[0].values["society_activity"] == Decimal("0.25")


def test_an_empty_table_is_refused() -> None:
    with pytest.raises(ValidationFailed) as caught:
        province_values(SET, parse_csv(b"\n"))
    assert caught.value.details[0].code == "empty-file"


def test_cli_climbs(settings: Settings, engine: object, tmp_path: Path) -> None:
    values = tmp_path / "values.csv"
    values.write_text(values_csv(dti_rows()), encoding="utf-8")
    levers = tmp_path / "improvements.csv"
    levers.write_text(
        "indicator,step,cost,ceiling\n"
        "awareness,0.02,1,1\n"
        "gov_activity,0.01,3,0.95\n"
        "economy_activity,0.05,4,0.9\n",
        encoding="utf-8",
    )
    args = ["dti", "climb", "--province", "TP. Cần Thơ", "--places", "2"]
    args += ["--values", str(values), "--improvements", str(levers), "--json"]
    result = run_cli(settings, *args)
    assert result.returncode == 0, result.stderr
    plan = json.loads(result.stdout)
    # Cần Thơ (0.692395) needs 0.70235 to tie Quảng Ninh's 0.7024: 9.955 points. Awareness
    # gives 2 points for 1 (5 steps to its ceiling, 10 points for 5) and is the cheapest.
    assert (plan["current_rank"], plan["new_rank"], plan["total_cost"]) == (5, 3, 5.0)
    assert {c["indicator"]: c["steps"] for c in plan["changes"]}["awareness"] == 5
    assert plan["overtaken"] == ["Quảng Ninh", "Thừa Thiên - Huế"]
    assert plan["solver"].startswith("HiGHS")


def test_api_climb_explains_an_impossible_request(client: TestClient) -> None:
    rows = [{"province": r["province"], **{k: float(r[k]) for k in INDICATORS}} for r in dti_rows()]
    body = {
        "rows": rows,
        "province": "TP. Cần Thơ",
        "places": 4,
        "improvements": [{"indicator": "awareness", "step": 0.02, "cost": 1, "ceiling": 1}],
    }
    response = client.post("/api/v1/dti/climb", json=body)
    assert_error_shape(response, 422, "no-feasible-plan", "improvements")
    assert "0.8002" in response.json()["error"]["message"]  # what rank 1 needs
    body["places"] = 5
    response = client.post("/api/v1/dti/climb", json=body)
    assert_error_shape(response, 422, "validation-failed", "places")

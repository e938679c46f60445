"""Department plans by phase and year: targets tied to indicators, platform facts or reports,
progress measured, late targets flagged; the overview and its XLSX and PDF exports."""

from __future__ import annotations

import io
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from pypdf import PdfReader
from sqlalchemy import Engine

from lienthong.config import Settings
from tests.cli import run_cli
from tests.contract.test_error_shape import assert_error_shape
from tests.dti.factories import (
    DX,
    JUSTICE,
    YEAR,
    audit_bodies,
    departments,
    ingest_public_services,
)

SET = {"set": "922-2022", "year": YEAR}


def post(client: TestClient, operator: dict[str, str], path: str, body: dict[str, Any]) -> Any:
    response = client.post(f"/api/v1/dti{path}", json=body, headers=operator)
    assert response.status_code in (200, 201), response.text
    return response.json()


@pytest.fixture
def planned(
    client: TestClient, operator: dict[str, str], engine: Engine, settings: Settings, tmp_path: Path
) -> dict[str, Any]:
    """Sở Tư pháp's plan for the phase around this year, with four targets."""
    ingest_public_services(engine, settings, tmp_path, departments(engine, settings))
    plan = post(
        client,
        operator,
        "/plans",
        {
            "organisation": JUSTICE,
            "title": "Kế hoạch chuyển đổi số",
            "phase_start": YEAR - 1,
            "phase_end": YEAR + 3,
        },
    )
    yesterday = (date.today() - timedelta(days=1)).isoformat()
    targets = {
        "fact": {"measure": "fact", "key": "public_services.full_online_share", "target": 0.5},
        "indicator": {
            "measure": "indicator",
            "set": "922-2022",
            "key": "gov_activity",
            "target": 0.9,
            "due": yesterday,
        },
        "reported": {"measure": "reported", "target": 100, "due": f"{YEAR + 1}-06-30"},
    }
    made = {
        name: post(
            client, operator, f"/plans/{plan['id']}/targets", body | {"year": YEAR, "title": name}
        )
        for name, body in targets.items()
    }
    made["last_year"] = post(
        client,
        operator,
        f"/plans/{plan['id']}/targets",
        {"year": YEAR - 1, "title": "Số hóa hồ sơ", "measure": "reported", "target": 10},
    )
    return {"plan": plan, "targets": made}


def test_progress_is_measured_and_late_targets_flagged(
    client: TestClient, operator: dict[str, str], planned: dict[str, Any]
) -> None:
    made = planned["targets"]
    assert (made["fact"]["actual"], made["fact"]["status"]) == (0.6, "achieved")
    assert (made["indicator"]["actual"], made["indicator"]["status"]) == (0.7425, "late")
    assert (made["reported"]["actual"], made["reported"]["status"]) == (None, "no-data")
    assert made["last_year"]["status"] == "late"  # due 31 December last year, no report
    assert made["last_year"]["due"] == f"{YEAR - 1}-12-31"
    reported = post(
        client,
        operator,
        f"/targets/{made['reported']['id']}/progress",
        {"value": 120, "evidence": "Báo cáo 45/BC-STP"},
    )
    assert (reported["actual"], reported["status"], reported["evidence"]) == (
        120,
        "achieved",
        "Báo cáo 45/BC-STP",
    )
    measured = client.post(
        f"/api/v1/dti/targets/{made['fact']['id']}/progress",
        json={"value": 1, "evidence": "x"},
        headers=operator,
    )
    assert_error_shape(measured, 409, "target-measured")
    plan = client.get(f"/api/v1/dti/plans/{planned['plan']['id']}", headers=operator).json()
    assert [t["status"] for t in plan["targets"]] == ["late", "achieved", "late", "achieved"]


def test_overview_shows_the_province_and_each_department(
    client: TestClient, operator: dict[str, str], planned: dict[str, Any]
) -> None:
    view = client.get("/api/v1/dti/overview", params=SET, headers=operator).json()
    assert view["scorecard"]["set"] == "922-2022"
    [line] = view["departments"]
    assert line["organisation"] == JUSTICE and line["organisation_name"] == "Sở Tư pháp"
    assert (line["plans"], line["targets"], line["achieved"], line["late"], line["no_data"]) == (
        1,
        3,
        1,
        1,
        1,
    )
    assert {t["title"] for t in view["late_targets"]} == {"indicator", "Số hóa hồ sơ"}


def test_plan_rules(client: TestClient, operator: dict[str, str], planned: dict[str, Any]) -> None:
    plan_id = planned["plan"]["id"]
    cases = [
        ("/plans", {"organisation": JUSTICE, "title": "x", "phase_start": YEAR - 1,
                    "phase_end": YEAR + 3}, 409, "plan-exists", None),
        ("/plans", {"organisation": DX, "title": "x", "phase_start": 2026, "phase_end": 2021},
         422, "validation-failed", "phase_end"),
        (f"/plans/{plan_id}/targets", {"year": YEAR + 9, "title": "x", "measure": "reported",
                                       "target": 1}, 422, "validation-failed", "year"),
        (f"/plans/{plan_id}/targets", {"year": YEAR, "title": "x", "measure": "fact",
                                       "key": "soc.alerts", "target": 1}, 422,
         "validation-failed", "key"),
        (f"/plans/{plan_id}/targets", {"year": YEAR, "title": "x", "measure": "indicator",
                                       "set": "922-2022", "key": "happiness", "target": 1}, 422,
         "validation-failed", "key"),
        ("/plans/999/targets", {"year": YEAR, "title": "x", "measure": "reported", "target": 1},
         404, "unknown-plan", None),
        ("/targets/999/progress", {"value": 1, "evidence": "x"}, 404, "unknown-target", None),
    ]  # fmt: skip
    for path, body, status, code, field in cases:
        response = client.post(f"/api/v1/dti{path}", json=body, headers=operator)
        assert_error_shape(response, status, code, field)
    assert_error_shape(client.post("/api/v1/dti/plans", json={}), 401, "missing-token")


def test_plan_changes_are_audited(engine: Engine, planned: dict[str, Any]) -> None:
    actions = [b["action"] for b in audit_bodies(engine) if b["action"].startswith("dti.")]
    assert actions == ["dti.plan.create"] + ["dti.target.create"] * 4
    [created] = [b for b in audit_bodies(engine) if b["action"] == "dti.plan.create"]
    assert created["detail"] == {"plan": planned["plan"]["id"], "organisation": JUSTICE}


def test_xlsx_export(client: TestClient, operator: dict[str, str], planned: dict[str, Any]) -> None:
    body = {"year": YEAR, "indicator": "awareness", "value": 0.9, "organisation": DX}
    body["evidence"] = '=HYPERLINK("http://example.invalid","x")'
    post(client, operator, "/declarations", body)
    response = client.get(
        "/api/v1/dti/scorecard/export", params=SET | {"format": "xlsx"}, headers=operator
    )
    assert response.status_code == 200
    assert response.headers["content-disposition"].endswith(f'dti-922-2022-{YEAR}.xlsx"')
    book = load_workbook(io.BytesIO(response.content))
    sheet = book["Chỉ số (indicators)"]
    rows = list(sheet.iter_rows(values_only=True))
    assert str(rows[0][0]).startswith("Bộ chỉ số đánh giá chuyển đổi số cấp tỉnh")
    awareness = next(r for r in rows if r[2] == "awareness")
    assert awareness[4] == 0.9 and awareness[6] == "'" + body["evidence"]
    assert all(c.data_type != "f" for row in sheet.iter_rows() for c in row)
    departments = list(book["Sở ngành (departments)"].iter_rows(values_only=True))
    assert departments[2][:2] == (JUSTICE, "Sở Tư pháp")


def test_pdf_export_renders_vietnamese(
    client: TestClient, operator: dict[str, str], planned: dict[str, Any]
) -> None:
    response = client.get(
        "/api/v1/dti/scorecard/export", params=SET | {"format": "pdf"}, headers=operator
    )
    assert response.status_code == 200 and response.headers["content-type"] == "application/pdf"
    reader = PdfReader(io.BytesIO(response.content))
    text = " ".join(" ".join(page.extract_text() for page in reader.pages).split())  # unwrap
    for phrase in ("Hoạt động chính quyền số", "Sở Tư pháp", "An toàn thông tin mạng"):
        assert phrase in text
    fonts = {str(f) for page in reader.pages for f in page["/Resources"]["/Font"].values()}
    assert fonts  # the embedded Be Vietnam Pro subset
    unsupported = client.get(
        "/api/v1/dti/scorecard/export", params=SET | {"format": "docx"}, headers=operator
    )
    assert_error_shape(unsupported, 422, "validation-failed", "format")


def test_cli_plans_and_export(settings: Settings, engine: Engine, tmp_path: Path) -> None:
    departments(engine, settings)
    created = run_cli(
        settings, "dti", "plans", "create", DX, "--title", "Kế hoạch 2026-2030",
        "--phase", "2026-2030", "--json",
    )  # fmt: skip
    assert created.returncode == 0, created.stderr
    assert '"organisation": "H33.20"' in created.stdout
    out = tmp_path / "scorecard.pdf"
    exported = run_cli(
        settings, "dti", "export", "--year", str(YEAR), "--format", "pdf", "--out", str(out)
    )
    assert exported.returncode == 0, exported.stderr
    assert out.read_bytes().startswith(b"%PDF")
    [entry] = [b for b in audit_bodies(engine) if b["action"] == "dti.plan.create"]
    assert entry["actor"]["via"] == "cli"

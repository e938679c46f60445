"""The standards and code-list commands, run as a user would."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

from sqlalchemy import Engine

from lienthong.config import Settings
from lienthong.standards.service import builtin_document
from tests.cli import run_cli
from tests.dti.factories import audit_bodies


def test_standards_commands(engine: Engine, settings: Settings, tmp_path: Path) -> None:
    listed = json.loads(run_cli(settings, "standards", "list", "--json").stdout)
    assert {s["name"] for s in listed} >= {"citizen", "business", "land_parcel", "health_insurance"}
    document = builtin_document("business")
    document.pop("version")
    document["fields"] = [f for f in document["fields"] if f["name"] != "has_website"]
    path = tmp_path / "business.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    created = run_cli(settings, "standards", "create", str(path))
    assert "business v2" in created.stdout, created.stderr
    refused = run_cli(settings, "standards", "publish", "business", "2")
    assert refused.returncode == 1
    error = json.loads(refused.stderr)["error"]
    assert error["code"] == "breaking-change-unconfirmed"
    assert [(d["field"], d["code"]) for d in error["details"]] == [("has_website", "removed-field")]
    no_reason = run_cli(settings, "standards", "publish", "business", "2", "--breaking")
    assert json.loads(no_reason.stderr)["error"]["details"][0]["code"] == (
        "breaking-reason-required"
    )
    published = run_cli(
        settings, "standards", "publish", "business", "2", "--breaking", "--reason", "no data"
    )
    assert "removed-field" in published.stdout and "reason: no data" in published.stdout
    shown = json.loads(run_cli(settings, "standards", "show", "business", "--json").stdout)
    assert shown["version"] == 2 and shown["status"] == "published"
    assert shown["breaking_reason"] == "no data"
    entry = [e for e in audit_bodies(engine) if e["action"] == "standard.publish"][-1]
    assert entry["detail"] == {
        "standard": "business",
        "version": 2,
        "breaking": ["has_website:removed-field"],
        "reason": "no data",
    }
    assert entry["actor"]["via"] == "cli"
    day = (date.today() + timedelta(days=60)).isoformat()
    retired = run_cli(settings, "standards", "retire", "business", "1", "--on", day)
    assert f"business v1 retires on {day}" in retired.stdout, retired.stderr
    listed = json.loads(run_cli(settings, "standards", "list", "--json").stdout)
    assert {(s["name"], s["version"]): s["retire_on"] for s in listed}[("business", 1)] == day
    assert [e for e in audit_bodies(engine) if e["action"] == "standard.retire"][-1]["detail"] == {
        "standard": "business",
        "version": 1,
        "retire_on": day,
    }
    past = run_cli(settings, "standards", "retire", "business", "1", "--on", "2020-01-01")
    assert json.loads(past.stderr)["error"]["details"][0]["code"] == "retire-date-not-future"
    current = run_cli(settings, "standards", "retire", "business", "2", "--on", day)
    assert json.loads(current.stderr)["error"]["code"] == "standard-version-current"
    missing = run_cli(settings, "standards", "show", "nope")
    assert missing.returncode == 1
    assert json.loads(missing.stderr)["error"]["code"] == "unknown-standard"
    sex = json.loads(run_cli(settings, "codelists", "show", "sex", "--json").stdout)
    assert [e["code"] for e in sex["items"]] == ["1", "2"] and sex["next_cursor"] is None
    page = json.loads(
        run_cli(settings, "codelists", "show", "ethnic-group", "--limit", "50", "--json").stdout
    )
    assert len(page["items"]) == 50 and page["next_cursor"]
    rest = run_cli(
        settings, "codelists", "show", "ethnic-group", "--cursor", page["next_cursor"], "--json"
    )
    assert [e["code"] for e in json.loads(rest.stdout)["items"]] == ["51", "52", "53", "54"]
    every = json.loads(
        run_cli(settings, "codelists", "show", "ethnic-group", "--all", "--json").stdout
    )
    assert len(every["items"]) == 54 and every["next_cursor"] is None
    lists = json.loads(run_cli(settings, "codelists", "list", "--json").stdout)
    assert any(c["name"] == "admin-unit" and c["version"] == "2025" for c in lists)

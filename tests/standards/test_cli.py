"""The standards and code-list commands, run as a user would."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import Engine

from lienthong.config import Settings
from lienthong.standards.service import builtin_document
from tests.cli import run_cli


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
    published = run_cli(settings, "standards", "publish", "business", "2")
    assert "removed-field" in published.stdout
    shown = json.loads(run_cli(settings, "standards", "show", "business", "--json").stdout)
    assert shown["version"] == 2 and shown["status"] == "published"
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

"""The standards and code-list commands, run as a user would."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy import Engine

from lienthong.config import Settings
from lienthong.standards.service import builtin_document


def _run(settings: Settings, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "LIENTHONG_DATABASE_URL": settings.resolved_database_url,
        "LIENTHONG_DATA_DIR": str(settings.data_dir),
        "LIENTHONG_ENVIRONMENT": "test",
        "LIENTHONG_AUTO_UPGRADE": "false",
    }
    return subprocess.run(
        [sys.executable, "-m", "lienthong.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


def test_standards_commands(engine: Engine, settings: Settings, tmp_path: Path) -> None:
    listed = json.loads(_run(settings, "standards", "list", "--json").stdout)
    assert {s["name"] for s in listed} >= {"citizen", "business", "land_parcel", "health_insurance"}
    document = builtin_document("business")
    document.pop("version")
    document["fields"] = [f for f in document["fields"] if f["name"] != "has_website"]
    path = tmp_path / "business.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    created = _run(settings, "standards", "create", str(path))
    assert "business v2" in created.stdout, created.stderr
    published = _run(settings, "standards", "publish", "business", "2")
    assert "removed-field" in published.stdout
    shown = json.loads(_run(settings, "standards", "show", "business", "--json").stdout)
    assert shown["version"] == 2 and shown["status"] == "published"
    missing = _run(settings, "standards", "show", "nope")
    assert missing.returncode == 1
    assert json.loads(missing.stderr)["error"]["code"] == "unknown-standard"
    sex = json.loads(_run(settings, "codelists", "show", "sex", "--json").stdout)
    assert [e["code"] for e in sex["items"]] == ["1", "2"] and sex["next_cursor"] is None
    page = json.loads(
        _run(settings, "codelists", "show", "ethnic-group", "--limit", "50", "--json").stdout
    )
    assert len(page["items"]) == 50 and page["next_cursor"]
    rest = _run(
        settings, "codelists", "show", "ethnic-group", "--cursor", page["next_cursor"], "--json"
    )
    assert [e["code"] for e in json.loads(rest.stdout)["items"]] == ["51", "52", "53", "54"]
    every = json.loads(
        _run(settings, "codelists", "show", "ethnic-group", "--all", "--json").stdout
    )
    assert len(every["items"]) == 54 and every["next_cursor"] is None
    lists = json.loads(_run(settings, "codelists", "list", "--json").stdout)
    assert any(c["name"] == "admin-unit" and c["version"] == "2025" for c in lists)

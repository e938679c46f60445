"""The registry commands, run as a user would (real process, real database)."""

from __future__ import annotations

import json

from sqlalchemy import Engine, select

from lienthong.audit.models import AuditEntry
from lienthong.config import Settings
from tests.cli import run_cli


def test_units_show_and_successors(settings: Settings, engine: object) -> None:
    shown = run_cli(settings, "units", "show", "33", "--json")
    assert shown.returncode == 0, shown.stderr
    body = json.loads(shown.stdout)
    assert body["unit"]["full_name"] == "Tỉnh Hưng Yên" and len(body["children"]) == 104
    old = json.loads(
        run_cli(settings, "units", "show", "33", "--version", "pre2025", "--json").stdout
    )
    assert {c["level"] for c in old["children"]} == {"district"}
    successors = json.loads(run_cli(settings, "units", "successors", "11950", "--json").stdout)
    assert [(u["code"], u["full_name"]) for u in successors["units"]] == [
        ("11983", "Phường Sơn Nam")
    ]
    found = json.loads(run_cli(settings, "units", "search", "hung yen", "--json").stdout)
    assert "Tỉnh Hưng Yên" in {u["full_name"] for u in found}


def test_org_commands_and_error_exit(settings: Settings, engine: object) -> None:
    made = run_cli(
        settings,
        "orgs",
        "create",
        "H33",
        "--name",
        "Sở Y tế",
        "--level",
        "province",
        "--unit",
        "33",
        "--json",
    )
    assert made.returncode == 0, made.stderr
    dup = run_cli(
        settings, "orgs", "create", "H33", "--name", "x", "--level", "province", "--unit", "33"
    )
    assert dup.returncode == 1
    assert json.loads(dup.stderr)["error"]["code"] == "organisation-exists"
    run_cli(settings, "systems", "create", "H33", "his", "--name", "HIS")
    run_cli(settings, "systems", "set-status", "H33", "his", "connected")
    report = json.loads(run_cli(settings, "report", "connections", "--json").stdout)
    assert (report["organisations"], report["connected"]) == (1, 1)


def test_registry_changes_from_the_command_line_are_audited(
    settings: Settings, engine: Engine
) -> None:
    made = run_cli(settings, "orgs", "create", "H33.09", "--name", "Sở Y tế", "--level", "province",
               "--unit", "33", "--sector", "health")  # fmt: skip
    assert made.returncode == 0, made.stderr
    steps = [
        ("orgs", "update", "H33.09", "--name", "Sở Y tế tỉnh Hưng Yên"),
        ("systems", "create", "H33.09", "his", "--name", "Bệnh án điện tử"),
        ("systems", "set-status", "H33.09", "his", "connected"),
    ]
    for step in steps:
        done = run_cli(settings, *step)
        assert done.returncode == 0, done.stderr
    issued = json.loads(
        run_cli(settings, "systems", "issue-credential", "H33.09", "his", "--json").stdout
    )
    revoked = run_cli(
        settings, "systems", "revoke-credential", "H33.09", "his", issued["client_id"]
    )
    assert revoked.returncode == 0, revoked.stderr
    with engine.connect() as conn:
        bodies = [
            json.loads(b) for (b,) in conn.execute(select(AuditEntry.body).order_by(AuditEntry.seq))
        ]
    changes = [(b["action"], b.get("fields")) for b in bodies if b["actor"].get("via") == "cli"]
    assert changes == [
        ("organisation.create", None),
        ("organisation.update", ["name"]),
        ("system.create", None),
        ("system.update", ["status"]),
        ("credential.issue", None),
        ("credential.revoke", None),
    ]
    assert all(b["actor"]["kind"] == "operator" and b["actor"]["user"] for b in bodies)
    assert not any(issued["client_secret"] in json.dumps(b) for b in bodies)
    verified = run_cli(settings, "audit", "verify", "--json")
    assert verified.returncode == 0, verified.stdout + verified.stderr

"""Documentation is tested: every setting, CLI command, error code and finding code appears."""

from __future__ import annotations

import re
from pathlib import Path

import typer.main

from lienthong.cli import app
from lienthong.codes import error_codes, finding_codes
from lienthong.config import Settings

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"


def _rows(name: str) -> list[tuple[str, str, str]]:
    """The ``| code | status-or-severity | meaning |`` rows of a doc's tables."""
    text = (DOCS / name).read_text("utf-8")
    rows = re.findall(r"^\| ([a-z0-9-]+) \| ([^|]+) \| (.*) \|$", text, re.M)
    return [row for row in rows if row[0] != "code"]


def test_every_setting_is_documented() -> None:
    text = (DOCS / "settings.md").read_text("utf-8")
    missing = [
        f"LIENTHONG_{name.upper()}"
        for name in Settings.model_fields
        if f"`LIENTHONG_{name.upper()}`" not in text
    ]
    assert not missing


def test_every_cli_command_is_documented() -> None:
    text = (DOCS / "cli.md").read_text("utf-8")
    command = typer.main.get_command(app)

    def walk(group: object, prefix: str) -> list[str]:
        names: list[str] = []
        for name, sub in getattr(group, "commands", {}).items():
            full = f"{prefix} {name}"
            names += walk(sub, full) if getattr(sub, "commands", None) else [full]
        return names

    commands = walk(command, "lienthong")
    assert len(commands) > 10
    missing = [c for c in commands if f"`{c}" not in text]
    assert not missing


def test_every_error_code_is_documented_as_declared() -> None:
    declared = error_codes()
    assert len(declared) > 100
    rows = _rows("errors.md")
    documented = [code for code, _, _ in rows]
    assert len(documented) == len(set(documented)), "a code is documented twice"
    assert sorted(set(declared) - set(documented)) == []
    assert sorted(set(documented) - set(declared)) == []
    for code, status, meaning in rows:
        statuses = "/".join(str(s) for s in declared[code].statuses) or "other"
        assert (code, status, meaning) == (code, statuses, declared[code].en)


def test_every_finding_code_is_documented_as_declared() -> None:
    declared = finding_codes()
    assert len(declared) > 20
    rows = _rows("findings.md")
    documented = [code for code, _, _ in rows]
    assert len(documented) == len(set(documented)), "a code is documented twice"
    assert sorted(set(declared) - set(documented)) == []
    assert sorted(set(documented) - set(declared)) == []
    for code, severity, meaning in rows:
        assert (code, severity, meaning) == (code, declared[code].severity, declared[code].en)


def test_readme_quick_start_is_two_commands() -> None:
    readme = (ROOT / "README.md").read_text("utf-8")
    block = readme.split("## Quick start", 1)[1].split("```", 2)[1]
    commands = [line for line in block.splitlines()[1:] if line.strip()]
    assert commands == ["make run", "make test"]

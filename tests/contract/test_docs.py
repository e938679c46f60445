"""Documentation is tested: every setting, CLI command, error code and finding code appears."""

from __future__ import annotations

import re
from pathlib import Path

import typer.main

from lienthong.cli import app
from lienthong.config import Settings
from lienthong.errors import LienthongError
from lienthong.web.errors import HTTP_CODES

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
SRC = ROOT / "src" / "lienthong"


def _all_subclasses(cls: type) -> set[type]:
    found = set(cls.__subclasses__())
    for sub in list(found):
        found |= _all_subclasses(sub)
    return found


def _source_error_codes() -> set[str]:
    """Codes given as ``code="…"`` to errors, or as the code of ``ValidationFailed.on(...)``."""
    codes: set[str] = set()
    patterns = [
        re.compile(r'\bcode="([a-z0-9]+(?:-[a-z0-9]+)+|[a-z]+)"'),
        re.compile(r'\.on\(\s*"[^"]*",\s*"([a-z0-9-]+)"', re.S),
    ]
    for path in SRC.rglob("*.py"):
        text = path.read_text("utf-8")
        for pattern in patterns:
            codes.update(pattern.findall(text))
    return codes


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


def test_every_error_code_is_documented() -> None:
    # The source scan also sees finding codes (``code="…"`` in Finding(...)): those may be
    # documented in findings.md instead.
    text = (DOCS / "errors.md").read_text("utf-8") + (DOCS / "findings.md").read_text("utf-8")
    documented = set(re.findall(r"^\| ([a-z0-9-]+) \|", text, re.M))
    codes = {c.code for c in _all_subclasses(LienthongError) if isinstance(c.code, str)}
    codes |= set(HTTP_CODES.values()) | _source_error_codes()
    codes.discard("error")
    missing = sorted(codes - documented)
    assert not missing


def test_every_finding_code_is_documented() -> None:
    text = (DOCS / "findings.md").read_text("utf-8")
    documented = set(re.findall(r"^\| ([a-z0-9-]+) \|", text, re.M))
    used: set[str] = set()
    for path in SRC.rglob("*.py"):
        used.update(
            re.findall(r'Finding\([^)]*?code="([a-z0-9-]+)"', path.read_text("utf-8"), re.S)
        )
    missing = sorted(used - documented)
    assert not missing


def test_readme_quick_start_is_two_commands() -> None:
    readme = (ROOT / "README.md").read_text("utf-8")
    block = readme.split("## Quick start", 1)[1].split("```", 2)[1]
    commands = [line for line in block.splitlines()[1:] if line.strip()]
    assert commands == ["make run", "make test"]

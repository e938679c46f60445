"""Every error code and finding code, declared once as data (errors.toml, findings.toml).

An error code names a failure answered in the one error shape (or a detail of one); a finding
code names a problem found in data. Constructors look codes up here, so a code that is not
declared fails loudly where it is made instead of reaching a user undocumented; the docs test
enumerates these registries.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from types import MappingProxyType
from typing import Literal

Severity = Literal["error", "warning", "info"]
SEVERITIES: tuple[Severity, ...] = ("error", "warning", "info")


class UndeclaredCode(KeyError):
    """A code used without being declared in errors.toml or findings.toml."""


@dataclass(frozen=True)
class ErrorCode:
    code: str
    statuses: tuple[int, ...]  # empty: any status the web framework answers with
    en: str
    vi: str


@dataclass(frozen=True)
class FindingCode:
    code: str
    severity: Severity
    en: str
    vi: str


def _load(name: str) -> dict[str, dict[str, object]]:
    return tomllib.loads(files(__package__).joinpath(name).read_text("utf-8"))


@cache
def error_codes() -> Mapping[str, ErrorCode]:
    return MappingProxyType(
        {
            code: ErrorCode(code, tuple(v["status"]), str(v["en"]), str(v["vi"]))  # type: ignore[arg-type]
            for code, v in _load("errors.toml").items()
        }
    )


@cache
def finding_codes() -> Mapping[str, FindingCode]:
    found = {}
    for code, v in _load("findings.toml").items():
        severity = v["severity"]
        if severity not in SEVERITIES:
            raise ValueError(f"finding code {code!r}: severity {severity!r}")
        found[code] = FindingCode(code, severity, str(v["en"]), str(v["vi"]))
    return MappingProxyType(found)


def error_code(code: str, status: int | None = None) -> str:
    """``code`` itself once it is known to be declared (and answered with ``status``)."""
    declared = error_codes().get(code)
    if declared is None:
        raise UndeclaredCode(f"error code {code!r} is not declared in lienthong/codes/errors.toml")
    if status is not None and declared.statuses and status not in declared.statuses:
        raise UndeclaredCode(f"error code {code!r} is not declared with status {status}")
    return code


def finding_code(code: str) -> str:
    """``code`` itself once it is known to be declared."""
    if code not in finding_codes():
        raise UndeclaredCode(
            f"finding code {code!r} is not declared in lienthong/codes/findings.toml"
        )
    return code


def severity(code: str) -> Severity:
    return finding_codes()[finding_code(code)].severity


def codes_of_severity(wanted: Severity) -> frozenset[str]:
    return frozenset(c for c, f in finding_codes().items() if f.severity == wanted)

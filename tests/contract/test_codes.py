"""Codes are declared once (lienthong/codes): the registries against the code that uses them.

Constructors refuse an undeclared code when they run; these tests find the codes written in the
source, so a path no other test reaches cannot hide one either.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import re
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

import lienthong.cli
import lienthong.web
from lienthong.codes import (
    UndeclaredCode,
    error_code,
    error_codes,
    finding_code,
    finding_codes,
    severity,
)
from lienthong.errors import ErrorDetail, LienthongError, NotFound, ValidationFailed, error_body
from lienthong.findings import Finding
from lienthong.web.errors import HTTP_CODES

SRC = Path(lienthong.__file__).resolve().parent
CODE = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)+$")
STANDARD_DETAILS = {
    "duplicate-field",
    "invalid-area-field",
    "invalid-check",
    "invalid-codelist",
    "invalid-constraint",
    "invalid-field",
    "invalid-name",
    "invalid-pattern",
    "invalid-primary-key",
    "invalid-record-date",
    "invalid-version",
    "unknown-identifier",
    "unsupported-constraint",
    "unsupported-type",
}


def _modules() -> Iterator[tuple[ModuleType, ast.Module]]:
    assert lienthong.cli and lienthong.web  # imported first: the app's own import order
    for path in sorted(SRC.rglob("*.py")):
        if "migrations" in path.parts:
            continue
        parts = path.relative_to(SRC.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        yield importlib.import_module(name), ast.parse(path.read_text("utf-8"))


def _target(module: ModuleType, func: ast.expr) -> Any:
    if isinstance(func, ast.Name):
        return module.__dict__.get(func.id)
    if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name):
        return getattr(module.__dict__.get(func.value.id), func.attr, None)
    return None


def _strings(module: ModuleType, node: ast.expr) -> list[str]:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.Name) and isinstance(module.__dict__.get(node.id), str):
        return [module.__dict__[node.id]]
    if isinstance(node, ast.IfExp):
        return _strings(module, node.body) + _strings(module, node.orelse)
    return []


def _used_codes() -> dict[str, list[str]]:
    """Every kebab-case literal given to a parameter named ``code``, with where it is."""
    used: dict[str, list[str]] = {}
    for module, tree in _modules():
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            target = _target(module, node.func)
            if not callable(target):
                continue
            try:
                bound = inspect.signature(target).bind_partial(
                    *node.args, **{k.arg: k.value for k in node.keywords if k.arg}
                )
            except (TypeError, ValueError):
                continue
            value = bound.arguments.get("code")
            for code in _strings(module, value) if isinstance(value, ast.expr) else []:
                if CODE.match(code):
                    used.setdefault(code, []).append(f"{module.__name__}:{node.lineno}")
    return used


def _subclasses(cls: type) -> set[type]:
    found = set(cls.__subclasses__())
    for sub in list(found):
        found |= _subclasses(sub)
    return found


def test_every_code_the_source_uses_is_declared() -> None:
    used = _used_codes()
    assert len(used) > 100
    assert set(used) >= STANDARD_DETAILS
    assert {"malformed-row", "commune-rekeyed", "too-short", "encoding-converted"} <= set(used)
    undeclared = {
        code: where
        for code, where in used.items()
        if code not in error_codes() and code not in finding_codes()
    }
    assert undeclared == {}


def test_every_error_class_declares_its_code_and_status() -> None:
    for module, _ in _modules():
        assert module  # every error class is defined once its module is imported
    classes = _subclasses(LienthongError) | {LienthongError}
    assert len(classes) > 20
    for cls in classes:
        assert error_code(cls.code, cls.status) == cls.code, cls
    for status, code in HTTP_CODES.items():
        assert error_code(code, status) == code


def test_registries_are_well_formed() -> None:
    for code, declared in error_codes().items():
        assert CODE.match(code) or code in {"conflict", "forbidden", "unauthorized"}, code
        assert all(400 <= s <= 599 for s in declared.statuses), code
        assert declared.en and declared.vi, code
    for code, finding in finding_codes().items():
        assert CODE.match(code), code
        assert finding.en and finding.vi, code


def test_an_undeclared_code_cannot_be_raised() -> None:
    with pytest.raises(UndeclaredCode):
        NotFound("no such thing", code="no-such-thing")
    with pytest.raises(UndeclaredCode):
        NotFound("declared, but not as a 404", code="standard-exists")
    with pytest.raises(UndeclaredCode):
        ValidationFailed.on("field", "no-such-detail", "message")
    with pytest.raises(UndeclaredCode):
        error_body("no-such-code", "message")
    with pytest.raises(UndeclaredCode):
        Finding(1, "field", "no-such-finding", "message")
    with pytest.raises(UndeclaredCode):
        finding_code("validation-failed")


def test_a_parser_detail_keeps_the_parsers_code() -> None:
    error = ValidationFailed.of_parser([{"loc": ("body", "name"), "type": "missing", "msg": "x"}])
    assert error.as_dict()["error"]["details"] == [
        {"field": "name", "code": "missing", "message": "x"}
    ]
    with pytest.raises(UndeclaredCode):
        ErrorDetail("name", "missing", "x")


def test_a_finding_takes_its_severity_from_the_registry() -> None:
    assert Finding(None, None, "encoding-converted", "converted").severity == "info"
    assert Finding(3, "name", "too-long", "too long").severity == "error"
    assert severity("unmapped-column") == "info"

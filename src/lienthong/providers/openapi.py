"""Reading a provider's OpenAPI 3.x document: the operations it declares (method and path
template), kept as the service's operations and matched against each proxied call.

Only what the proxy needs is checked, precisely: the document is JSON or YAML, an object, its
``openapi`` field names a 3.x version, ``info`` has a title and version, and ``paths`` maps
templates beginning with ``/`` to operations. Problems are collected as details with stable
codes (``openapi-*``), all at once.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import yaml

from lienthong.errors import ErrorDetail, ValidationFailed

METHODS = ("get", "post", "put", "patch", "delete")  # what the proxy forwards
OTHER_METHODS = ("head", "options", "trace")  # declared by OpenAPI, not forwarded
OPERATION_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
TEMPLATE_PART = re.compile(r"\{([A-Za-z0-9_.-]+)\}")
SEGMENT = "[^/]+"


@dataclass(frozen=True)
class Operation:
    """One declared operation: its id (the ``operationId``, else ``METHOD /template``)."""

    id: str
    method: str  # upper case
    path: str  # the template, e.g. /persons/{id}

    def as_dict(self) -> dict[str, str]:
        return {"id": self.id, "method": self.method, "path": self.path}


@dataclass(frozen=True)
class Document:
    title: str
    version: str
    operations: list[Operation]


def _problem(field: str, code: str, message: str) -> ErrorDetail:
    return ErrorDetail(field, code, message)


def _load(text: str) -> Any:
    """JSON first (the common case), then YAML (a superset of it)."""
    try:
        return json.loads(text)
    except ValueError:
        pass
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark is not None else ""
        raise ValidationFailed.on(
            "document", "openapi-unreadable", f"the document is neither JSON nor YAML{where}"
        ) from None


def parse(text: str) -> Document:
    """The document's title, version and operations; 422 with every problem found."""
    doc = _load(text)
    if not isinstance(doc, Mapping):
        raise ValidationFailed.on(
            "document", "openapi-not-an-object", "the document must be a JSON or YAML object"
        )
    declared = doc.get("openapi")
    if not isinstance(declared, str) or not re.fullmatch(r"3\.\d+(\.\d+)?", declared):
        found = "no openapi field" if declared is None else f"openapi is {declared!r}"
        hint = " (a Swagger 2.0 document: convert it to OpenAPI 3)" if "swagger" in doc else ""
        raise ValidationFailed.on(
            "document.openapi",
            "openapi-not-3",
            f"only OpenAPI 3.x documents are accepted: {found}{hint}",
        )
    problems: list[ErrorDetail] = []
    info = doc.get("info")
    title = version = ""
    if not isinstance(info, Mapping):
        problems.append(_problem("document.info", "openapi-invalid", "info must be an object"))
    else:
        title, version = str(info.get("title") or ""), str(info.get("version") or "")
        for name, value in (("title", title), ("version", version)):
            if not value or "\x00" in value:  # PostgreSQL refuses a NUL byte in text
                problems.append(
                    _problem(
                        f"document.info.{name}",
                        "openapi-invalid",
                        f"info.{name} is required, without NUL characters",
                    )
                )
    paths = doc.get("paths")
    operations: list[Operation] = []
    if not isinstance(paths, Mapping):
        problems.append(_problem("document.paths", "openapi-invalid", "paths must be an object"))
    else:
        operations = _operations(paths, problems)
        if not operations and not problems:
            problems.append(
                _problem(
                    "document.paths",
                    "openapi-no-operations",
                    f"no operation with a method the proxy forwards ({', '.join(METHODS)})",
                )
            )
    if problems:
        raise ValidationFailed("the OpenAPI document is not valid", details=problems)
    return Document(title[:200], version[:64], operations)


def _operations(paths: Mapping[str, Any], problems: list[ErrorDetail]) -> list[Operation]:
    found: list[Operation] = []
    ids: set[str] = set()
    for template, item in paths.items():
        where = f"document.paths.{template}"
        if not isinstance(template, str) or not template.startswith("/") or "\x00" in template:
            problems.append(_problem(where, "openapi-invalid", "a path must begin with /"))
            continue
        if "?" in template or "#" in template or len(template) > 500:
            problems.append(_problem(where, "openapi-invalid", "a path template cannot hold ?/#"))
            continue
        if not isinstance(item, Mapping):
            problems.append(_problem(where, "openapi-invalid", "a path item must be an object"))
            continue
        for method in METHODS:
            operation = item.get(method)
            if operation is None:
                continue
            if not isinstance(operation, Mapping):
                problems.append(_problem(f"{where}.{method}", "openapi-invalid", "not an object"))
                continue
            given = operation.get("operationId")
            op_id = str(given) if given is not None else f"{method.upper()} {template}"
            if given is not None and not OPERATION_ID.fullmatch(op_id):
                problems.append(
                    _problem(
                        f"{where}.{method}.operationId",
                        "openapi-invalid",
                        "an operationId is 1-64 letters, digits, '.', '_' or '-'",
                    )
                )
                continue
            if op_id in ids:
                problems.append(
                    _problem(
                        f"{where}.{method}.operationId",
                        "openapi-invalid",
                        f"operationId {op_id!r} is declared twice",
                    )
                )
                continue
            ids.add(op_id)
            found.append(Operation(op_id, method.upper(), template))
    return found


def operations_of(stored: Iterable[Mapping[str, Any]]) -> list[Operation]:
    return [Operation(str(o["id"]), str(o["method"]), str(o["path"])) for o in stored]


class Matcher:
    """Finds the declared operation a concrete path and method call: a template segment
    ``{name}`` matches one non-empty path segment; literal segments win over templates."""

    def __init__(self, operations: Iterable[Operation]) -> None:
        ranked = sorted(operations, key=lambda o: -len(TEMPLATE_PART.sub("", o.path)))
        self._patterns = [(re.compile(_regex(o.path)), o) for o in ranked]

    def find(self, path: str) -> dict[str, Operation]:
        """The operations declared on the first template ``path`` matches, by method."""
        by_method: dict[str, Operation] = {}
        matched: str | None = None
        for pattern, op in self._patterns:
            if (matched is None or op.path == matched) and pattern.fullmatch(path):
                matched = op.path
                by_method[op.method] = op
        return by_method


def _regex(template: str) -> str:
    out, last = [], 0
    for part in TEMPLATE_PART.finditer(template):
        out.append(re.escape(template[last : part.start()]))
        out.append(SEGMENT)
        last = part.end()
    out.append(re.escape(template[last:]))
    return "".join(out)

"""Reading a standard: a Frictionless Table Schema document with ``lienthong:`` extensions.

Extensions (namespaced properties, ignored by other Table Schema tools):

- schema level: ``lienthong:areaField`` (the field holding the 2025 commune code that access
  grants filter on) and optionally ``lienthong:recordDateField`` (the date field that decides
  which code-list version is in force for a record; without it, the day of loading);
- field level: ``lienthong:codelist`` (a shared code list name), ``lienthong:level`` (for
  ``admin-unit``: ``province`` or ``commune``), ``lienthong:identifier`` (``personal-id``,
  ``identity-document``, ``tax-code`` or ``personal-id-or-tax-code``),
  ``lienthong:checkAgainst`` (``{"sex", "birthDate", "birthYear"}``: fields a personal ID is
  cross-checked with; ``"documentType"``: the field declaring an identity document's type) and
  ``lienthong:yearOf`` (on an integer year field: the date field whose year it must equal);
- field level, for reading sector files without a mapping: ``lienthong:aliases`` (the column
  headers sector exports give the field, ``["Số CCCD", "Số định danh"]``, matched ignoring case,
  diacritics, spaces and punctuation) and ``lienthong:valueAliases`` (code → the values written
  for it, ``{"1": ["Nam", "M"], "2": ["Nữ", "F"]}``, matched the same way).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from lienthong.errors import ErrorDetail, ValidationFailed
from lienthong.text import fold, header_key

NAME = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
TYPES = ("string", "integer", "number", "boolean", "date")
IDENTIFIERS = ("personal-id", "identity-document", "tax-code", "personal-id-or-tax-code")
CHECK_KEYS = ("sex", "birthDate", "birthYear", "documentType")
CONSTRAINTS = (
    "required",
    "unique",
    "minLength",
    "maxLength",
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "pattern",
    "enum",
)
# Type "width" for breaking-change detection: a move to a narrower type is breaking.
TYPE_WIDTH = {"boolean": 0, "integer": 1, "number": 2, "date": 1, "string": 3}


@dataclass(frozen=True)
class FieldSpec:
    name: str
    type: str
    required: bool = False
    unique: bool = False
    min_length: int | None = None
    max_length: int | None = None
    minimum: float | None = None
    maximum: float | None = None
    exclusive_minimum: float | None = None
    exclusive_maximum: float | None = None
    pattern: str | None = None
    enum: tuple[str, ...] | None = None
    codelist: str | None = None
    level: str | None = None
    identifier: str | None = None
    check_against: dict[str, str] = field(default_factory=dict)
    year_of: str | None = None
    aliases: tuple[str, ...] = ()
    value_aliases: dict[str, tuple[str, ...]] = field(default_factory=dict)


@dataclass(frozen=True)
class StandardSpec:
    name: str
    version: int
    fields: tuple[FieldSpec, ...]
    primary_key: tuple[str, ...]
    area_field: str
    record_date_field: str | None = None

    @property
    def field_names(self) -> list[str]:
        return [f.name for f in self.fields]

    def field(self, name: str) -> FieldSpec:
        for spec in self.fields:
            if spec.name == name:
                return spec
        raise KeyError(name)


def _bad(path: str, code: str, message: str) -> ValidationFailed:
    return ValidationFailed(
        f"the standard is not valid: {message}",
        details=[ErrorDetail(path, code, message)],
        code="invalid-standard",
    )


def _number(value: Any, path: str) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _bad(path, "invalid-constraint", "must be a number")
    return float(value)


def _int(value: Any, path: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise _bad(path, "invalid-constraint", "must be a non-negative integer")
    return value


def _texts(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(v, str) and v.strip() for v in value)


def _aliases(raw: dict[str, Any], path: str) -> tuple[str, ...]:
    aliases = raw.get("lienthong:aliases", [])
    if not _texts(aliases):
        raise _bad(f"{path}.lienthong:aliases", "invalid-alias", "a list of column headers")
    return tuple(aliases)


def _value_aliases(raw: dict[str, Any], path: str) -> dict[str, tuple[str, ...]]:
    where = f"{path}.lienthong:valueAliases"
    aliases = raw.get("lienthong:valueAliases", {})
    if not isinstance(aliases, dict) or not all(_texts(v) for v in aliases.values()):
        raise _bad(where, "invalid-alias", "an object of code → list of values written for it")
    seen: dict[str, str] = {}
    for code, values in aliases.items():
        for value in values:
            if seen.setdefault(fold(value), code) != code:
                raise _bad(where, "duplicate-alias", f"{value!r} stands for two codes")
    return {code: tuple(values) for code, values in aliases.items()}


def parse_field(raw: Any, index: int) -> FieldSpec:
    path = f"fields.{index}"
    if not isinstance(raw, dict):
        raise _bad(path, "invalid-field", "a field must be an object")
    name = raw.get("name")
    if not isinstance(name, str) or not NAME.match(name):
        raise _bad(f"{path}.name", "invalid-name", "lower-case letters, digits and _ (≤ 40)")
    ftype = raw.get("type", "string")
    if ftype not in TYPES:
        raise _bad(f"{path}.type", "unsupported-type", f"type must be one of {', '.join(TYPES)}")
    constraints = raw.get("constraints", {})
    if not isinstance(constraints, dict):
        raise _bad(f"{path}.constraints", "invalid-constraint", "constraints must be an object")
    unknown = set(constraints) - set(CONSTRAINTS)
    if unknown:
        raise _bad(f"{path}.constraints", "unsupported-constraint", f"unknown: {sorted(unknown)}")
    pattern = constraints.get("pattern")
    if pattern is not None:
        try:
            re.compile(pattern)
        except (re.error, TypeError) as exc:
            raise _bad(f"{path}.constraints.pattern", "invalid-pattern", str(exc)) from exc
    enum = constraints.get("enum")
    if enum is not None and (not isinstance(enum, list) or not enum):
        raise _bad(f"{path}.constraints.enum", "invalid-constraint", "enum must be a list")
    identifier = raw.get("lienthong:identifier")
    if identifier is not None and identifier not in IDENTIFIERS:
        raise _bad(f"{path}.lienthong:identifier", "unknown-identifier", f"one of {IDENTIFIERS}")
    check = raw.get("lienthong:checkAgainst") or {}
    if not isinstance(check, dict) or set(check) - set(CHECK_KEYS):
        raise _bad(
            f"{path}.lienthong:checkAgainst", "invalid-check", f"keys: {', '.join(CHECK_KEYS)}"
        )
    year_of = raw.get("lienthong:yearOf")
    if year_of is not None and (not isinstance(year_of, str) or ftype != "integer"):
        raise _bad(f"{path}.lienthong:yearOf", "invalid-check", "an integer field naming a date")
    codelist = raw.get("lienthong:codelist")
    if codelist is not None and not isinstance(codelist, str):
        raise _bad(f"{path}.lienthong:codelist", "invalid-codelist", "must be a name")
    return FieldSpec(
        name=name,
        type=ftype,
        required=bool(constraints.get("required", False)),
        unique=bool(constraints.get("unique", False)),
        min_length=_int(constraints.get("minLength"), f"{path}.constraints.minLength"),
        max_length=_int(constraints.get("maxLength"), f"{path}.constraints.maxLength"),
        minimum=_number(constraints.get("minimum"), f"{path}.constraints.minimum"),
        maximum=_number(constraints.get("maximum"), f"{path}.constraints.maximum"),
        exclusive_minimum=_number(
            constraints.get("exclusiveMinimum"), f"{path}.constraints.exclusiveMinimum"
        ),
        exclusive_maximum=_number(
            constraints.get("exclusiveMaximum"), f"{path}.constraints.exclusiveMaximum"
        ),
        pattern=pattern,
        enum=tuple(str(v) for v in enum) if enum else None,
        codelist=codelist,
        level=raw.get("lienthong:level"),
        identifier=identifier,
        check_against=dict(check),
        year_of=year_of,
        aliases=_aliases(raw, path),
        value_aliases=_value_aliases(raw, path),
    )


def parse_standard(document: Any) -> StandardSpec:
    """Check a standard document and return its parsed form (raises ``invalid-standard``)."""
    if not isinstance(document, dict):
        raise _bad("", "invalid-standard", "a standard must be a JSON object")
    name = document.get("name")
    if not isinstance(name, str) or not NAME.match(name):
        raise _bad("name", "invalid-name", "lower-case letters, digits and _ (≤ 40)")
    version = document.get("version", 1)
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise _bad("version", "invalid-version", "version must be a positive integer")
    raw_fields = document.get("fields")
    if not isinstance(raw_fields, list) or not raw_fields:
        raise _bad("fields", "invalid-field", "a standard needs at least one field")
    fields = tuple(parse_field(raw, i) for i, raw in enumerate(raw_fields))
    names = [f.name for f in fields]
    if len(set(names)) != len(names):
        raise _bad("fields", "duplicate-field", "field names must be unique")
    if any(n.startswith("_") for n in names):
        raise _bad("fields", "invalid-name", "names starting with _ are reserved")
    headers: dict[str, str] = {}
    for index, spec in enumerate(fields):
        for header in (spec.name, *spec.aliases):
            if headers.setdefault(header_key(header), spec.name) != spec.name:
                raise _bad(
                    f"fields.{index}.lienthong:aliases",
                    "duplicate-alias",
                    f"{header!r} would match both {headers[header_key(header)]} and {spec.name}",
                )
    key = document.get("primaryKey")
    key = [key] if isinstance(key, str) else key
    if not isinstance(key, list) or not key or any(k not in names for k in key):
        raise _bad("primaryKey", "invalid-primary-key", "primaryKey must name fields")
    area = document.get("lienthong:areaField")
    if area not in names:
        raise _bad("lienthong:areaField", "invalid-area-field", "areaField must name a field")
    record_date = document.get("lienthong:recordDateField")
    if record_date is not None and (
        record_date not in names or fields[names.index(record_date)].type != "date"
    ):
        raise _bad("lienthong:recordDateField", "invalid-record-date", "must name a date field")
    for spec in fields:
        for target in spec.check_against.values():
            if target not in names:
                raise _bad(spec.name, "invalid-check", f"checkAgainst names {target!r}")
        if spec.year_of is not None and (
            spec.year_of not in names or fields[names.index(spec.year_of)].type != "date"
        ):
            raise _bad(spec.name, "invalid-check", "yearOf must name a date field")
    return StandardSpec(
        name=name,
        version=version,
        fields=fields,
        primary_key=tuple(key),
        area_field=area,
        record_date_field=record_date,
    )


def breaking_changes(old: StandardSpec, new: StandardSpec) -> list[dict[str, str]]:
    """What would break a consumer or a sector that conforms to ``old``."""
    changes: list[dict[str, str]] = []
    new_fields = {f.name: f for f in new.fields}
    old_fields = {f.name: f for f in old.fields}
    for name, before in old_fields.items():
        after = new_fields.get(name)
        if after is None:
            changes.append({"field": name, "code": "removed-field", "message": "field removed"})
            continue
        if before.type != after.type and TYPE_WIDTH[after.type] <= TYPE_WIDTH[before.type]:
            changes.append(
                {
                    "field": name,
                    "code": "narrowed-type",
                    "message": f"type {before.type} → {after.type}",
                }
            )
        if after.required and not before.required:
            changes.append({"field": name, "code": "new-required-field", "message": "now required"})
    for name, after in new_fields.items():
        if name not in old_fields and after.required:
            changes.append(
                {"field": name, "code": "new-required-field", "message": "new required field"}
            )
    if old.primary_key != new.primary_key:
        changes.append(
            {"field": ",".join(new.primary_key), "code": "changed-key", "message": "new key"}
        )
    return changes

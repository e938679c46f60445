"""Mappings from a source's columns to a standard's fields, with the transforms clerks' data needs.

A mapping is data (JSON)::

    {"columns": {"Số CCCD": "personal_id", "Họ và tên": "full_name"},
     "transforms": {"date_of_birth": [{"date": ["%d/%m/%Y", "excel-serial"]}],
                    "full_name": ["trim", "collapse-spaces", "title"],
                    "sex": [{"aliases": {"1": ["Nam", "M"], "2": ["Nữ", "F"]}}],
                    "parcel_key": [{"format": "{Mã xã}-{Số tờ}-{Số thửa}"}],
                    "old_id_number": [{"extract": {"from": "Họ và tên", "pattern": "\\d{9}",
                                                   "remove": true}}],
                    "commune_code": [{"rekey": {"from": "pre2025", "to": "2025"}}]},
     "constants": {"ethnic_code": "01"}}

Without a mapping file, :meth:`Mapping.for_standard` maps the columns named like a field or one
of its aliases (``lienthong:aliases``), reads dates written dd/mm/yyyy and turns the values a
field's ``lienthong:valueAliases`` list into their codes. The steps are in
:mod:`lienthong.ingest.transforms`; everything is a Polars expression over whole columns, no
Python runs per row.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import polars as pl
from pydantic import BaseModel, Field, PrivateAttr, ValidationError, model_validator

from lienthong.codes import severity
from lienthong.errors import ErrorDetail, ValidationFailed
from lienthong.ingest.rekey import FINDINGS_SCHEMA, Rekey, rekey
from lienthong.ingest.sources.base import MARKERS
from lienthong.ingest.transforms import columns_read, removed, step_expr, step_problem, without
from lienthong.standards.schema import StandardSpec
from lienthong.text import fold, header_key

# Dates as sector systems write them, tried in this order when no mapping says otherwise.
DATE_FORMATS = ["%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y"]
# Steps that fill a field where it is empty: a field with no column of its own is built by them.
FILLING = ("default", "concat", "format", "extract", "split-name")


class InvalidMapping(ValidationFailed):
    code = "invalid-mapping"


class NoMatchingColumns(ValidationFailed):
    code = "no-matching-columns"


class AmbiguousColumns(ValidationFailed):
    code = "ambiguous-columns"


class Mapping(BaseModel):
    """Source column → standard field, per-field transforms, and constant fields."""

    columns: dict[str, str] = Field(default_factory=dict)
    transforms: dict[str, list[str | dict[str, Any]]] = Field(default_factory=dict)
    constants: dict[str, str] = Field(default_factory=dict)
    _document: bytes = PrivateAttr(default=b"")

    @model_validator(mode="after")
    def _steps(self) -> Mapping:
        for field, steps in self.transforms.items():
            for index, step in enumerate(steps):
                problem = step_problem(step)
                if problem is None and isinstance(step, dict) and "rekey" in step:
                    try:
                        Rekey.model_validate(step["rekey"])
                    except ValidationError as exc:
                        problem = "; ".join(_reason(e) for e in exc.errors())
                if problem is not None:
                    raise _invalid(f"transforms.{field}.{index}", _name(step), problem)
        return self

    @classmethod
    def parse(cls, document: bytes, *, name: str = "mapping") -> Mapping:
        """A mapping from its JSON document (UTF-8); a bad one is ``invalid-mapping``."""
        try:
            mapping = cls.model_validate(json.loads(document.decode("utf-8")))
        except ValidationError as exc:
            where = [".".join(str(p) for p in e["loc"]) or "mapping" for e in exc.errors()]
            details = [
                ErrorDetail(path, "invalid-mapping", _reason(e))
                for path, e in zip(where, exc.errors(), strict=True)
            ]
            raise _refused(name, details) from exc
        except InvalidMapping as exc:
            raise _refused(name, exc.details) from exc
        except ValueError as exc:  # not UTF-8, not JSON
            raise _refused(name, [ErrorDetail("mapping", "invalid-mapping", str(exc))]) from exc
        mapping._document = document
        return mapping

    @classmethod
    def load(cls, path: Path) -> Mapping:
        """Read a mapping JSON file; a bad one is ValidationFailed ``invalid-mapping``."""
        try:
            document = Path(path).read_bytes()
        except OSError as exc:
            detail = ErrorDetail("mapping", "invalid-mapping", str(exc))
            raise _refused(Path(path).name, [detail]) from exc
        return cls.parse(document, name=Path(path).name)

    @property
    def document(self) -> bytes:
        """The JSON document as received (empty for a mapping built here): it changes what an
        input means, so an input's checksum covers it."""
        return self._document

    @property
    def rekeys(self) -> bool:
        """Whether a field is re-keyed (only then are the unit successions needed)."""
        return any(
            isinstance(step, dict) and "rekey" in step
            for steps in self.transforms.values()
            for step in steps
        )

    @classmethod
    def for_standard(
        cls, spec: StandardSpec, labels: dict[str, dict[str, str]] | None = None
    ) -> Mapping:
        """The mapping used when none is given: each field from the column named like it or
        like one of its aliases (ignoring case, diacritics, spaces and punctuation), dates
        read from ISO or dd/mm/yyyy, and a field's value aliases turned into its codes, as
        are the labels of its code list (``labels``: field → code → label; ``"Kinh"`` →
        ``"01"``) where a label names one code only."""
        columns: dict[str, str] = {}
        transforms: dict[str, list[str | dict[str, Any]]] = {}
        for f in spec.fields:
            columns |= {name: f.name for name in (f.name, *f.aliases)}
            steps = transforms.setdefault(f.name, [])
            if f.type == "date":
                steps.append({"date": DATE_FORMATS})
            aliases = _value_aliases(f.value_aliases, (labels or {}).get(f.name, {}))
            if aliases:
                steps.append({"aliases": aliases})
        return cls(columns=columns, transforms={f: s for f, s in transforms.items() if s})

    def resolve(self, columns: list[str]) -> dict[str, str]:
        """Source column → field for the columns present (exact names first, then by
        :func:`~lienthong.text.header_key`). Two columns that match one field are
        ``ambiguous-columns``: which one holds the field is not guessed."""
        folded: dict[str, str] = {}
        for source, target in self.columns.items():
            folded.setdefault(header_key(source), target)
        found: dict[str, str] = {}
        for column in columns:
            if column in MARKERS:
                continue
            field = self.columns.get(column) or folded.get(header_key(column))
            if field is not None:
                found[column] = field
        clashes = {
            field: [c for c, f in found.items() if f == field]
            for field in found.values()
            if list(found.values()).count(field) > 1
        }
        if clashes:
            raise _ambiguous(clashes)
        return found

    def sources(self, columns: list[str]) -> dict[str, str]:
        """The columns the transforms read, by the name the mapping gives them → the source's
        column (exact name first, then by header key); one the source lacks is
        ``invalid-mapping`` naming the step."""
        keys: dict[str, list[str]] = {}
        for column in columns:
            keys.setdefault(header_key(column), []).append(column)
        found: dict[str, str] = {}
        for field, steps in self.transforms.items():
            for index, step in enumerate(steps):
                for name in columns_read(step):
                    matches = [name] if name in columns else keys.get(header_key(name), [])
                    if len(matches) != 1:
                        lacks = (
                            "is not a column of the source"
                            if not matches
                            else (f"matches several columns: {', '.join(repr(m) for m in matches)}")
                        )
                        raise _invalid(
                            f"transforms.{field}.{index}", _name(step), f"{name!r} {lacks}"
                        )
                    found[name] = matches[0]
        return found

    def headers(self, columns: list[str]) -> dict[str, str]:
        """Field → the source column it is read from, as the file names it: what a finding
        shows the clerk beside the field."""
        return {field: column for column, field in self.resolve(columns).items()}


def _value_aliases(
    declared: dict[str, tuple[str, ...]], labels: dict[str, str]
) -> dict[str, list[str]]:
    """Code → values written for it: the declared ones, then each label naming one code and
    no value declared for another."""
    taken = {fold(v): code for code, values in declared.items() for v in values}
    named: dict[str, set[str]] = {}
    for code, label in labels.items():
        named.setdefault(fold(label), set()).add(code)
    found = {code: list(values) for code, values in declared.items()}
    for code, label in labels.items():
        key = fold(label)
        if key and named[key] == {code} and taken.get(key, code) == code:
            found.setdefault(code, []).append(label)
    return found


def _name(step: Any) -> str:
    if isinstance(step, dict) and len(step) == 1:
        return str(next(iter(step)))
    return str(step)


def _reason(error: Any) -> str:
    where = ".".join(str(p) for p in error.get("loc", ()))
    return f"{where}: {error['msg']}" if where else str(error["msg"])


def _refused(name: str | None, details: list[ErrorDetail]) -> InvalidMapping:
    """``invalid-mapping``, Vietnamese first, saying what each detail says."""
    what = f" {name}" if name else ""
    said = "; ".join(d.message for d in details)
    return InvalidMapping(
        f"tệp ánh xạ{what} không hợp lệ / invalid mapping{what}: {said}", details=details
    )


def _invalid(path: str, step: str, problem: str) -> InvalidMapping:
    return _refused(None, [ErrorDetail(path, "invalid-mapping", f"{path} ({step}): {problem}")])


def _ambiguous(clashes: dict[str, list[str]]) -> AmbiguousColumns:
    details = []
    for field, columns in clashes.items():
        names = ", ".join(repr(c) for c in columns)
        details.append(
            ErrorDetail(
                field,
                "ambiguous-columns",
                f"các cột {names} cùng khớp trường {field}; hãy đổi tên một cột hoặc dùng "
                f"tệp ánh xạ / columns {names} all match field {field}; rename one or use a "
                "mapping file",
            )
        )
    return AmbiguousColumns("; ".join(d.message for d in details), details=details)


def apply_mapping(
    frame: pl.DataFrame,
    mapping: Mapping,
    *,
    successions: pl.DataFrame | None,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Rename, transform and re-key one chunk; returns (frame of fields, findings), among
    them an ``unmapped-column`` finding (no row) for each source column left unmapped.
    ``successions`` (:func:`lienthong.ingest.rekey.load_successions`) are needed when the
    mapping re-keys."""
    resolved = mapping.resolve(frame.columns)
    read = mapping.sources(frame.columns)
    built = [
        field
        for field, steps in mapping.transforms.items()
        if field not in resolved.values() and any(_name(s) in FILLING for s in steps)
    ]
    if not resolved and not built:
        raise NoMatchingColumns.on(
            "columns",
            "no-matching-columns",
            "no source column matches a field of the standard; supply a mapping",
        )
    removals: dict[str, list[str]] = {}
    for steps in mapping.transforms.values():
        for step in steps:
            if (taken := removed(step)) is not None:
                removals.setdefault(read[taken[0]], []).append(taken[1])

    def column(name: str) -> pl.Expr:
        return pl.col(read[name]).cast(pl.Utf8)

    def transformed(expr: pl.Expr, field: str) -> pl.Expr:
        for step in mapping.transforms.get(field, []):
            expr = step_expr(expr, step, column)
        return expr.alias(field)

    exprs: list[pl.Expr] = [pl.col(m) for m in MARKERS if m in frame.columns]
    for source, field in resolved.items():
        expr = pl.col(source).cast(pl.Utf8)
        for pattern in removals.get(source, []):
            expr = without(expr, pattern)
        exprs.append(transformed(expr, field))
    exprs += [transformed(pl.lit(None, pl.Utf8), field) for field in built]
    present = {*resolved.values(), *built}
    for field, value in mapping.constants.items():
        if field not in present:
            exprs.append(pl.lit(value, pl.Utf8).alias(field))
    out = frame.select(exprs)
    found: list[pl.DataFrame] = []
    for field, steps in mapping.transforms.items():
        for step in steps:
            if isinstance(step, dict) and "rekey" in step and field in out.columns:
                assert successions is not None, "a re-keying mapping needs the successions"
                out, more = rekey(out, field, Rekey.model_validate(step["rekey"]), successions)
                found += more
    used = {*resolved, *read.values(), *MARKERS}
    unmapped = [c for c in frame.columns if c not in used]
    if unmapped:
        found.append(
            pl.DataFrame(
                {
                    "row": [None] * len(unmapped),
                    "field": unmapped,
                    "code": ["unmapped-column"] * len(unmapped),
                    "message": ["không ánh xạ vào trường nào của tiêu chuẩn"] * len(unmapped),
                    "message_en": ["not mapped to any field of the standard"] * len(unmapped),
                    "severity": [severity("unmapped-column")] * len(unmapped),
                },
                schema=FINDINGS_SCHEMA,
            )
        )
    findings = pl.concat(found) if found else pl.DataFrame(schema=FINDINGS_SCHEMA)
    return out, findings

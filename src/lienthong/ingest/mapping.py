"""Mappings from a source's columns to a standard's fields, with the transforms clerks' data needs.

A mapping is data (JSON)::

    {"columns": {"Số CCCD": "personal_id", "Họ và tên": "full_name"},
     "transforms": {"date_of_birth": [{"date": ["%d/%m/%Y", "excel-serial"]}],
                    "full_name": ["trim", "collapse-spaces", "title"],
                    "sex": [{"map": {"Nam": "1", "Nữ": "2"}}],
                    "commune_code": [{"rekey": {"from": "pre2025", "to": "2025",
                                      "when": {"date_field": "valid_from",
                                               "before": "2025-07-01"}}}]},
     "constants": {"ethnic_code": "01"}}

Everything is a Polars expression over whole columns; no Python runs per row.
"""

from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path
from typing import Any

import polars as pl
from pydantic import BaseModel, Field, PrivateAttr, ValidationError, model_validator
from sqlalchemy import select
from sqlalchemy.orm import Session

from lienthong.codes import severity
from lienthong.errors import ValidationFailed
from lienthong.findings import FINDING_SCHEMA, said
from lienthong.ingest.sources.base import MARKERS, ROW
from lienthong.registry.models import Unit, UnitSuccession
from lienthong.text import fold

FINDINGS_SCHEMA = {**FINDING_SCHEMA, "severity": pl.Utf8}
SUCCESSION_SCHEMA = {"from_code": pl.Utf8, "to_code": pl.Utf8}
STRING_STEPS = ("trim", "collapse-spaces", "title", "upper", "lower")
EXCEL_SERIAL = "excel-serial"
_EXCEL_EPOCH = date(1899, 12, 30)  # serial 1 = 1900-01-01 counting Excel's phantom 1900-02-29
_SEPARATORS = re.compile(r"[\s\-_.]+")


class InvalidMapping(ValidationFailed):
    code = "invalid-mapping"


class NoMatchingColumns(ValidationFailed):
    code = "no-matching-columns"


class RekeyWhen(BaseModel):
    date_field: str
    before: date


class Rekey(BaseModel):
    from_: str = Field(alias="from")
    to: str
    when: RekeyWhen | None = None

    @model_validator(mode="after")
    def _versions(self) -> Rekey:
        if (self.from_, self.to) != ("pre2025", "2025"):
            raise ValueError("only re-keying from 'pre2025' to '2025' is supported")
        return self


class Mapping(BaseModel):
    """Source column → standard field, per-field transforms, and constant fields."""

    columns: dict[str, str] = Field(default_factory=dict)
    transforms: dict[str, list[str | dict[str, Any]]] = Field(default_factory=dict)
    constants: dict[str, str] = Field(default_factory=dict)
    _document: bytes = PrivateAttr(default=b"")

    @model_validator(mode="after")
    def _steps(self) -> Mapping:
        for field, steps in self.transforms.items():
            for step in steps:
                if isinstance(step, str):
                    if step not in STRING_STEPS:
                        raise ValueError(f"{field}: unknown transform {step!r}")
                    continue
                if len(step) != 1:
                    raise ValueError(f"{field}: a transform is one key: {step!r}")
                ((name, arg),) = step.items()
                if name == "date":
                    if not (isinstance(arg, list) and arg and all(isinstance(a, str) for a in arg)):
                        raise ValueError(f"{field}: 'date' takes a list of formats")
                elif name == "map":
                    if not isinstance(arg, dict):
                        raise ValueError(f"{field}: 'map' takes an object of value → value")
                elif name == "pad":
                    if not isinstance(arg, int) or not 1 <= arg <= 32:
                        raise ValueError(f"{field}: 'pad' takes a width")
                elif name == "rekey":
                    Rekey.model_validate(arg)
                else:
                    raise ValueError(f"{field}: unknown transform {name!r}")
        return self

    @classmethod
    def parse(cls, document: bytes, *, name: str = "mapping") -> Mapping:
        """A mapping from its JSON document (UTF-8); a bad one is ``invalid-mapping``."""
        try:
            mapping = cls.model_validate(json.loads(document.decode("utf-8")))
        except (ValueError, ValidationError) as exc:
            raise InvalidMapping.on(
                "mapping", "invalid-mapping", f"invalid mapping {name}: {exc}"
            ) from exc
        mapping._document = document
        return mapping

    @classmethod
    def load(cls, path: Path) -> Mapping:
        """Read a mapping JSON file; a bad one is ValidationFailed ``invalid-mapping``."""
        try:
            document = Path(path).read_bytes()
        except OSError as exc:
            raise InvalidMapping.on(
                "mapping", "invalid-mapping", f"invalid mapping {Path(path).name}: {exc}"
            ) from exc
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
    def identity(cls, columns: list[str], fields: list[str]) -> Mapping:
        """Columns named like fields (ignoring case, diacritics, spaces/dashes vs underscores),
        including columns a source only shows later (a JSON key first met mid-file)."""
        wanted = {_key(f): f for f in fields}
        found = {c: wanted[_key(c)] for c in columns if _key(c) in wanted}
        return cls(columns={**{f: f for f in fields if f not in found.values()}, **found})

    def resolve(self, columns: list[str]) -> dict[str, str]:
        """Source column → field for the columns present (exact names first, then folded)."""
        folded = {_key(src): field for src, field in self.columns.items()}
        found: dict[str, str] = {}
        for column in columns:
            if column in MARKERS:
                continue
            field = self.columns.get(column) or folded.get(_key(column))
            if field is not None and field not in found.values():
                found[column] = field
        return found

    def headers(self, columns: list[str]) -> dict[str, str]:
        """Field → the source column it is read from, as the file names it: what a finding
        shows the clerk beside the field."""
        return {field: column for column, field in self.resolve(columns).items()}


def _key(name: str) -> str:
    return _SEPARATORS.sub("_", fold(name)).strip("_")


def load_successions(session: Session) -> pl.DataFrame:
    """The registry's pre-2025 → 2025 succession edges as a (from_code, to_code) frame, plus
    one (code, null) row for every other unit code of either version: the codes re-keying
    knows. A code found in no row is an ``unknown-predecessor`` (a frame without null rows
    carries edges only, and then that check is skipped)."""
    rows = session.execute(
        select(UnitSuccession.from_code, UnitSuccession.to_code).where(
            UnitSuccession.from_version == "pre2025", UnitSuccession.to_version == "2025"
        )
    ).all()
    edges = pl.DataFrame([tuple(r) for r in rows], schema=SUCCESSION_SCHEMA, orient="row")
    codes = session.scalars(select(Unit.code).distinct()).all()
    known = pl.DataFrame({"from_code": list(codes)}, schema={"from_code": pl.Utf8}).filter(
        ~pl.col("from_code").is_in(edges.get_column("from_code").implode())
    )
    return pl.concat([edges, known.with_columns(pl.lit(None, pl.Utf8).alias("to_code"))])


def _date(expr: pl.Expr, formats: list[str]) -> pl.Expr:
    """ISO yyyy-mm-dd from the first format that parses; the raw value when none does."""
    text = expr.str.strip_chars()
    parsed: list[pl.Expr] = []
    for fmt in formats:
        if fmt == EXCEL_SERIAL:
            serial = text.str.extract(r"^(\d{1,7})(?:\.0+)?$").cast(pl.Int64)
            serial = pl.when(serial.is_between(1, 2_958_465)).then(serial)
            parsed.append(pl.lit(_EXCEL_EPOCH) + pl.duration(days=serial))
        else:
            parsed.append(text.str.strptime(pl.Date, fmt, strict=False))
    return pl.coalesce(*parsed).dt.to_string("%Y-%m-%d").fill_null(expr)


def _step(expr: pl.Expr, step: str | dict[str, Any]) -> pl.Expr:
    if step == "trim":
        return expr.str.strip_chars()
    if step == "collapse-spaces":
        return expr.str.replace_all(r"\s+", " ").str.strip_chars()
    if step == "title":
        return expr.str.to_titlecase()
    if step == "upper":
        return expr.str.to_uppercase()
    if step == "lower":
        return expr.str.to_lowercase()
    assert isinstance(step, dict)
    ((name, arg),) = step.items()
    if name == "date":
        return _date(expr, arg)
    if name == "map":
        return expr.replace({str(k): str(v) for k, v in arg.items()})
    if name == "pad":
        return pl.when(expr.str.contains(r"^\d+$")).then(expr.str.zfill(arg)).otherwise(expr)
    return expr  # rekey runs after every column is built (it may read another field)


def _findings(
    frame: pl.DataFrame, field: str, code: str, message: tuple[pl.Expr, pl.Expr]
) -> pl.DataFrame:
    return frame.select(
        pl.col(ROW).cast(pl.Int64).alias("row"),
        pl.lit(field, pl.Utf8).alias("field"),
        pl.lit(code, pl.Utf8).alias("code"),
        message[0].cast(pl.Utf8).alias("message"),
        message[1].cast(pl.Utf8).alias("message_en"),
        pl.lit(severity(code), pl.Utf8).alias("severity"),
    )


def _rekey(
    frame: pl.DataFrame, field: str, rule: Rekey, successions: pl.DataFrame
) -> tuple[pl.DataFrame, list[pl.DataFrame]]:
    edges = successions.group_by("from_code").agg(
        pl.col("to_code").count().alias("_n"), pl.col("to_code").drop_nulls().sort().alias("_to")
    )
    lists_known = successions.get_column("to_code").null_count() > 0
    applies = pl.lit(True)
    if rule.when is not None:
        when = pl.col(rule.when.date_field) if rule.when.date_field in frame.columns else None
        iso = when.str.strptime(pl.Date, "%Y-%m-%d", strict=False) if when is not None else None
        applies = (
            (iso < pl.lit(rule.when.before)).fill_null(False) if iso is not None else pl.lit(False)
        )
    joined = frame.with_columns(applies.alias("_applies")).join(
        edges, left_on=field, right_on="from_code", how="left", maintain_order="left"
    )
    single = pl.col("_applies") & (pl.col("_n") == 1)
    several = pl.col("_applies") & (pl.col("_n") > 1)
    unknown = pl.col("_applies") & pl.col(field).is_not_null() & pl.col("_n").is_null()
    found = [
        _findings(
            joined.filter(single),
            field,
            "commune-rekeyed",
            said(
                "mã xã trước 2025 {} đã đổi thành ",
                "pre-2025 code {} re-keyed to ",
                pl.col(field),
                then=pl.col("_to").list.first(),
            ),
        ),
        _findings(
            joined.filter(several),
            field,
            "ambiguous-successor",
            said(
                "mã xã trước 2025 {} có nhiều xã kế thừa năm 2025: ",
                "pre-2025 code {} has several 2025 successors: ",
                pl.col(field),
                then=pl.col("_to").list.join(", "),
            ),
        ),
    ]
    if lists_known:
        found.append(
            _findings(
                joined.filter(unknown),
                field,
                "unknown-predecessor",
                said(
                    "mã xã {} không có trong danh mục trước 2025 lẫn năm 2025",
                    "commune code {} is in neither the pre-2025 nor the 2025 list",
                    pl.col(field),
                ),
            )
        )
    out = joined.with_columns(
        pl.when(single).then(pl.col("_to").list.first()).otherwise(pl.col(field)).alias(field)
    ).drop("_applies", "_n", "_to")
    return out, found


def apply_mapping(
    frame: pl.DataFrame,
    mapping: Mapping,
    *,
    successions: pl.DataFrame | None,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Rename, transform and re-key one chunk; returns (frame of fields, findings), among
    them an ``unmapped-column`` finding (no row) for each source column left unmapped.
    ``successions`` (:func:`load_successions`) are needed when the mapping re-keys."""
    resolved = mapping.resolve(frame.columns)
    if not resolved:
        raise NoMatchingColumns.on(
            "columns",
            "no-matching-columns",
            "no source column matches a field of the standard; supply a mapping",
        )
    exprs: list[pl.Expr] = [pl.col(m) for m in MARKERS if m in frame.columns]
    for column, field in resolved.items():
        expr = pl.col(column).cast(pl.Utf8)
        for step in mapping.transforms.get(field, []):
            expr = _step(expr, step)
        exprs.append(expr.alias(field))
    for field, value in mapping.constants.items():
        if field not in resolved.values():
            exprs.append(pl.lit(value, pl.Utf8).alias(field))
    out = frame.select(exprs)
    found: list[pl.DataFrame] = []
    for field, steps in mapping.transforms.items():
        for step in steps:
            if isinstance(step, dict) and "rekey" in step and field in out.columns:
                assert successions is not None, "a re-keying mapping needs the successions"
                out, more = _rekey(out, field, Rekey.model_validate(step["rekey"]), successions)
                found += more
    unmapped = [c for c in frame.columns if c not in resolved and c not in MARKERS]
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

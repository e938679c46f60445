"""Columnar validation of a frame of strings against a standard.

Input: one Utf8 column per standard field (missing columns count as empty) plus ``_row``.
Output: typed valid rows, invalid rows with their raw values, and findings
``(row, field, code, message)``. Every check is a Polars expression over the whole frame.

Values are trimmed; an empty value is missing. Dates are ISO ``YYYY-MM-DD`` (the mapping
converts clerks' formats first). Code lists are checked against the version in force on the
record's date: the standard's ``lienthong:recordDateField`` when it has one and the value is a
valid date, else the day of loading.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date

import polars as pl
from sqlalchemy.orm import Session

from lienthong.findings import FINDING_SCHEMA
from lienthong.standards.codelists import CodeListVersion, codelist_versions
from lienthong.standards.identifiers import (
    personal_id_ok,
    personal_id_sex,
    personal_id_year,
    tax_code_ok,
)
from lienthong.standards.schema import FieldSpec, StandardSpec

ROW = "_row"
KEY = "_key"
TRUE_VALUES = ["true", "True", "TRUE", "1"]
FALSE_VALUES = ["false", "False", "FALSE", "0"]
POLARS_TYPES: dict[str, pl.DataType] = {
    "string": pl.Utf8(),
    "integer": pl.Int64(),
    "number": pl.Float64(),
    "boolean": pl.Boolean(),
    "date": pl.Date(),
}
RECORD_DATE = "__record_date"


@dataclass(frozen=True)
class CodeBook:
    """The code-list versions a standard needs, loaded once per batch."""

    lists: dict[str, list[CodeListVersion]]

    @classmethod
    def load(cls, *, session: Session, spec: StandardSpec) -> CodeBook:
        lists = {}
        for f in spec.fields:
            if f.codelist and f.name not in lists:
                lists[f.name] = codelist_versions(session=session, name=f.codelist, level=f.level)
        return cls(lists)


@dataclass(frozen=True)
class Validation:
    valid: pl.DataFrame
    invalid: pl.DataFrame
    findings: pl.DataFrame
    keys: pl.Series  # every non-empty key of the chunk, for the next chunk's duplicate check


@dataclass(frozen=True)
class Check:
    field: str
    code: str
    bad: pl.Expr
    message: pl.Expr


def _t(name: str) -> str:
    return f"__t_{name}"


def typed(f: FieldSpec) -> pl.Expr:
    raw = pl.col(f.name)
    if f.type == "integer":
        return raw.cast(pl.Int64, strict=False)
    if f.type == "number":
        return raw.cast(pl.Float64, strict=False)
    if f.type == "boolean":
        return (
            pl.when(raw.is_in(TRUE_VALUES))
            .then(True)
            .when(raw.is_in(FALSE_VALUES))
            .then(False)
            .otherwise(None)
        )
    if f.type == "date":
        return raw.str.to_date("%Y-%m-%d", strict=False)
    return raw


def _msg(template: str, f: FieldSpec) -> pl.Expr:
    """A message naming the offending value: ``template`` has one ``{}`` for it."""
    before, _, after = template.partition("{}")
    return pl.concat_str([pl.lit(before), pl.col(f.name).fill_null(""), pl.lit(after)])


def _in_force(versions: list[CodeListVersion], value: pl.Expr) -> pl.Expr:
    on = pl.col(RECORD_DATE)
    member = pl.lit(False)
    for v in versions:
        in_range = pl.lit(True)
        if v.valid_from is not None:
            in_range = in_range & (on >= pl.lit(v.valid_from))
        if v.valid_to is not None:
            in_range = in_range & (on <= pl.lit(v.valid_to))
        member = member | (in_range & value.is_in(list(v.entries)))
    return member


def field_checks(f: FieldSpec, spec: StandardSpec, book: CodeBook) -> Iterator[Check]:
    raw, value = pl.col(f.name), pl.col(_t(f.name))
    present = raw.is_not_null()
    if f.required:
        yield Check(f.name, "missing-value", ~present, pl.lit(f"{f.name} is required"))
    if f.type != "string":
        code = "invalid-date" if f.type == "date" else "type-error"
        yield Check(f.name, code, present & value.is_null(), _msg(f"{{}} is not a {f.type}", f))
    if f.min_length is not None:
        yield Check(
            f.name,
            "too-short",
            raw.str.len_chars() < f.min_length,
            _msg(f"{{}} is shorter than {f.min_length}", f),
        )
    if f.max_length is not None:
        yield Check(
            f.name,
            "too-long",
            raw.str.len_chars() > f.max_length,
            _msg(f"{{}} is longer than {f.max_length}", f),
        )
    if f.type in ("integer", "number"):
        if f.minimum is not None:
            yield Check(
                f.name, "below-minimum", value < f.minimum, _msg(f"{{}} is below {f.minimum:g}", f)
            )
        if f.exclusive_minimum is not None:
            yield Check(
                f.name,
                "below-minimum",
                value <= f.exclusive_minimum,
                _msg(f"{{}} is not above {f.exclusive_minimum:g}", f),
            )
        if f.maximum is not None:
            yield Check(
                f.name, "above-maximum", value > f.maximum, _msg(f"{{}} is above {f.maximum:g}", f)
            )
        if f.exclusive_maximum is not None:
            yield Check(
                f.name,
                "above-maximum",
                value >= f.exclusive_maximum,
                _msg(f"{{}} is not below {f.exclusive_maximum:g}", f),
            )
    if f.pattern is not None:
        yield Check(
            f.name,
            "pattern-mismatch",
            ~raw.str.contains(f"^(?:{f.pattern})$"),
            _msg(f"{{}} does not match {f.pattern}", f),
        )
    if f.enum is not None:
        yield Check(
            f.name,
            "not-in-enum",
            ~raw.is_in(list(f.enum)),
            _msg("{} is not one of the allowed values", f),
        )
    if f.codelist is not None:
        yield Check(
            f.name,
            "unknown-code",
            present & ~_in_force(book.lists[f.name], raw),
            _msg(f"{{}} is not in code list {f.codelist} in force on the record's date", f),
        )
    yield from identifier_checks(f, spec)


def identifier_checks(f: FieldSpec, spec: StandardSpec) -> Iterator[Check]:
    raw = pl.col(f.name)
    present = raw.is_not_null()
    if f.identifier == "tax-code":
        yield Check(
            f.name,
            "invalid-tax-code",
            present & ~tax_code_ok(raw),
            _msg("{} is not a valid tax code", f),
        )
    elif f.identifier == "personal-id-or-tax-code":
        as_id = raw.str.len_chars() == 12
        yield Check(
            f.name,
            "invalid-personal-id",
            present & as_id & ~personal_id_ok(raw),
            _msg("{} is not a valid personal ID", f),
        )
        yield Check(
            f.name,
            "invalid-tax-code",
            present & ~as_id & ~tax_code_ok(raw),
            _msg("{} is neither a personal ID nor a valid tax code", f),
        )
    elif f.identifier == "personal-id":
        ok = personal_id_ok(raw)
        yield Check(
            f.name, "invalid-personal-id", present & ~ok, _msg("{} is not a valid personal ID", f)
        )
        sex_field = f.check_against.get("sex")
        if sex_field:
            sex = pl.col(sex_field)
            yield Check(
                f.name,
                "personal-id-mismatch",
                ok & sex.is_in(["1", "2"]) & (sex != personal_id_sex(raw)),
                _msg(f"{{}} disagrees with {sex_field}", f),
            )
        birth_field = f.check_against.get("birthDate")
        if birth_field:
            born = pl.col(_t(birth_field))
            yield Check(
                f.name,
                "personal-id-mismatch",
                ok & born.is_not_null() & (born.dt.year() != personal_id_year(raw)),
                _msg(f"{{}} disagrees with the year of {birth_field}", f),
            )


def _tagged(name: str) -> pl.Expr:
    """A unique field's value tagged with its field name (``\x1fname\x1fvalue``)."""
    return pl.concat_str([pl.lit(f"\x1f{name}\x1f"), pl.col(_t(name)).cast(pl.Utf8)]).alias("__u")


def _unique_check(f: FieldSpec, hits: pl.Series | None) -> Check:
    """``unique``: a later row repeating a value already seen in the batch (first kept).

    ``hits``: this chunk's tagged values that earlier chunks already had."""
    value = pl.col(_t(f.name))
    repeated = value.is_not_null() & ~value.is_first_distinct()
    if hits is not None and len(hits):
        repeated = repeated | _tagged(f.name).is_in(hits.implode())
    return Check(
        f.name,
        "not-unique",
        repeated,
        _msg(f"{{}} repeats the {f.name} of an earlier row of this batch", f),
    )


def key_expr(spec: StandardSpec) -> pl.Expr:
    """The record key: typed key values as text joined with ``~`` (null if any is missing)."""
    parts = [pl.col(_t(k)).cast(pl.Utf8) for k in spec.primary_key]
    return parts[0] if len(parts) == 1 else pl.concat_str(parts, separator="~")


def prepare(frame: pl.DataFrame, spec: StandardSpec, today: date) -> pl.DataFrame:
    """Cleaned raw columns, typed columns, record date and key."""
    return prepare_lazy(frame.lazy(), frame.columns, spec, today).collect()


def prepare_lazy(
    frame: pl.LazyFrame, columns: list[str], spec: StandardSpec, today: date
) -> pl.LazyFrame:
    """The plan of :func:`prepare` (trimmed, empty → null, typed, record date, key)."""
    cleaned = []
    for f in spec.fields:
        if f.name in columns:
            text = pl.col(f.name).cast(pl.Utf8).str.strip_chars()
            cleaned.append(pl.when(text == "").then(None).otherwise(text).alias(f.name))
        else:
            cleaned.append(pl.lit(None, dtype=pl.Utf8).alias(f.name))
    out = frame.select(pl.col(ROW).cast(pl.Int64), *cleaned)
    out = out.with_columns([typed(f).alias(_t(f.name)) for f in spec.fields])
    record_date = pl.lit(today)
    if spec.record_date_field:
        record_date = pl.col(_t(spec.record_date_field)).fill_null(pl.lit(today))
    return out.with_columns(record_date.alias(RECORD_DATE), key_expr(spec).alias(KEY))


def _seen_hits(values: pl.Series, seen: pl.Series) -> pl.Series:
    """The values of this chunk already in ``seen``: hashes the (small) chunk, probes ``seen``."""
    return seen.filter(seen.is_in(values.drop_nulls().implode()))


def validate_frame(
    frame: pl.DataFrame,
    spec: StandardSpec,
    book: CodeBook,
    *,
    today: date | None = None,
    seen_keys: pl.Series | None = None,
) -> Validation:
    """Validate one chunk. ``seen_keys``: keys of earlier chunks of the same batch.

    Every check and the row verdict run as one lazy plan over the cleaned, typed chunk,
    collected once, so shared sub-expressions (the personal-ID parts) are computed once."""
    prepared = prepare(frame, spec, today or date.today())
    unique = [f for f in spec.fields if f.unique and f.name not in spec.primary_key]
    hits: pl.Series | None = None
    if seen_keys is not None and len(seen_keys):
        # Earlier chunks' keys met again: probe the batch's keys with this chunk's (small) set
        # rather than hashing every key seen so far for each chunk.
        mine = [prepared.get_column(KEY)] + [
            prepared.select(_tagged(f.name)).get_column("__u") for f in unique
        ]
        hits = _seen_hits(pl.concat(mine, rechunk=False), seen_keys)
    checks = [c for f in spec.fields for c in field_checks(f, spec, book)]
    repeated = pl.col(KEY).is_not_null() & ~pl.col(KEY).is_first_distinct()
    if hits is not None and len(hits):
        repeated = repeated | pl.col(KEY).is_in(hits.implode())
    checks.append(
        Check(
            ",".join(spec.primary_key),
            "duplicate-key",
            repeated,
            pl.concat_str(
                [pl.lit("key "), pl.col(KEY), pl.lit(" repeats an earlier row of this batch")]
            ),
        )
    )
    for f in unique:
        checks.append(_unique_check(f, hits))
    names = [f"__c{i}" for i in range(len(checks))]
    df = (
        prepared.lazy()
        .with_columns(c.bad.fill_null(False).alias(n) for c, n in zip(checks, names, strict=True))
        .with_columns(pl.any_horizontal(names).alias("__bad"))
        .collect()
    )
    flags = df
    parts = []
    for i, c in enumerate(checks):
        hit = flags.get_column(f"__c{i}")
        if not hit.any():
            continue
        parts.append(
            df.filter(hit).select(
                pl.col(ROW).alias("row"),
                pl.lit(c.field).alias("field"),
                pl.lit(c.code).alias("code"),
                c.message.alias("message"),
            )
        )
    findings = (
        pl.concat(parts).sort("row", maintain_order=True)
        if parts
        else pl.DataFrame(schema=FINDING_SCHEMA)
    )
    bad_mask = df.get_column("__bad")
    valid = df.select(
        ROW, *[pl.col(_t(f.name)).alias(f.name) for f in spec.fields], pl.col(KEY)
    ).filter(~bad_mask)
    invalid = df.select(ROW, *spec.field_names).filter(bad_mask)
    keys = df.get_column(KEY).drop_nulls()
    # Values of unique fields travel with the keys to the next chunk, tagged by field.
    tagged = [df.select(_tagged(f.name)).get_column("__u").drop_nulls() for f in unique]
    if tagged:
        keys = pl.concat([keys, *tagged])
    return Validation(valid=valid, invalid=invalid, findings=findings, keys=keys)

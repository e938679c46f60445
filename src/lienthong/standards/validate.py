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

from lienthong.codes import finding_code
from lienthong.dataset.coerce import typed_expr
from lienthong.dataset.keys import key_expr as record_key_expr
from lienthong.findings import FINDING_SCHEMA, said
from lienthong.standards.codelists import CodeListVersion, codelist_versions
from lienthong.standards.identifiers import (
    CCCD,
    CMND,
    PASSPORT,
    PersonalId,
    cmnd_ok,
    document_type,
    passport_ok,
    tax_code_ok,
)
from lienthong.standards.schema import FieldSpec, StandardSpec
from lienthong.standards.seen import Seen
from lienthong.text import clean_text, has_control

__all__ = ["CheckPlan", "CodeBook", "Seen", "Validation", "check_frame", "settle", "validate_frame"]

ROW = "_row"
KEY = "_key"
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
    """A rule as expressions: where it fails, and what it says there in Vietnamese
    (``message``) and in English (``message_en``), about the value alone; the ingest adds
    where the value sits (:func:`lienthong.ingest.pipeline.located`)."""

    field: str
    code: str
    bad: pl.Expr
    message: pl.Expr
    message_en: pl.Expr

    def __post_init__(self) -> None:
        finding_code(self.code)


def _t(name: str) -> str:
    return f"__t_{name}"


def typed(f: FieldSpec) -> pl.Expr:
    return typed_expr(f.type, pl.col(f.name))


def _msg(f: FieldSpec, vi: str, en: str) -> tuple[pl.Expr, pl.Expr]:
    """Messages quoting the field's value as sent."""
    return said(vi, en, pl.col(f.name))


_TYPES_VI = {"integer": "số nguyên", "number": "số", "boolean": "giá trị đúng/sai"}


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
    # The value is not quoted: the control character would travel into every report.
    yield Check(
        f.name,
        "control-character",
        has_control(raw),
        *said(
            "giá trị chứa ký tự điều khiển (như NUL), không thể là dữ liệu",
            "the value holds a control character (such as NUL) that cannot be data",
        ),
    )
    if f.required:
        yield Check(
            f.name,
            "missing-value",
            ~present,
            *said("bắt buộc nhưng bị bỏ trống", "is required but empty"),
        )
    if f.type == "date":
        yield Check(
            f.name,
            "invalid-date",
            present & value.is_null(),
            *_msg(f, "{} không phải ngày dạng YYYY-MM-DD", "{} is not a date (YYYY-MM-DD)"),
        )
    elif f.type != "string":
        kind = _TYPES_VI.get(f.type, f.type)
        yield Check(
            f.name,
            "type-error",
            present & value.is_null(),
            *_msg(f, f"{{}} không phải {kind}", f"{{}} is not a {f.type}"),
        )
    if f.min_length is not None:
        yield Check(
            f.name,
            "too-short",
            raw.str.len_chars() < f.min_length,
            *_msg(
                f,
                f"{{}} ngắn hơn {f.min_length} ký tự",
                f"{{}} is shorter than {f.min_length} characters",
            ),
        )
    if f.max_length is not None:
        yield Check(
            f.name,
            "too-long",
            raw.str.len_chars() > f.max_length,
            *_msg(
                f,
                f"{{}} dài hơn {f.max_length} ký tự",
                f"{{}} is longer than {f.max_length} characters",
            ),
        )
    if f.type in ("integer", "number"):
        yield from _range_checks(f, value)
    if f.pattern is not None:
        yield Check(
            f.name,
            "pattern-mismatch",
            ~raw.str.contains(f"^(?:{f.pattern})$"),
            *_msg(f, f"{{}} không khớp mẫu {f.pattern}", f"{{}} does not match {f.pattern}"),
        )
    if f.enum is not None:
        yield Check(
            f.name,
            "not-in-enum",
            ~raw.is_in(list(f.enum)),
            *_msg(
                f,
                f"{{}} không thuộc các giá trị cho phép ({', '.join(f.enum)})",
                f"{{}} is not one of the allowed values ({', '.join(f.enum)})",
            ),
        )
    if f.codelist is not None:
        yield Check(
            f.name,
            "unknown-code",
            present & ~_in_force(book.lists[f.name], raw),
            *_msg(
                f,
                f"{{}} không có trong danh mục {f.codelist} có hiệu lực vào ngày của bản ghi",
                f"{{}} is not in code list {f.codelist} in force on the record's date",
            ),
        )
    yield from identifier_checks(f, spec)


def _cross_checks(f: FieldSpec, pid: PersonalId, applies: pl.Expr) -> Iterator[Check]:
    """A well-formed personal ID against the record's sex, birth date and birth year."""
    ok = applies & pid.ok
    sex_field = f.check_against.get("sex")
    if sex_field:
        yield Check(
            f.name,
            "personal-id-mismatch",
            ok & pid.disagrees_with_sex(pl.col(sex_field)),
            *_msg(
                f,
                f"{{}} không khớp với giới tính ({sex_field})",
                f"{{}} disagrees with {sex_field}",
            ),
        )
    birth_field = f.check_against.get("birthDate")
    if birth_field:
        born = pl.col(_t(birth_field))
        yield Check(
            f.name,
            "personal-id-mismatch",
            ok & born.is_not_null() & (born.dt.year() != pid.birth_year),
            *_msg(
                f,
                f"{{}} không khớp với năm sinh ({birth_field})",
                f"{{}} disagrees with the year of {birth_field}",
            ),
        )
    year_field = f.check_against.get("birthYear")
    if year_field:
        year = pl.col(_t(year_field))
        yield Check(
            f.name,
            "personal-id-mismatch",
            ok & year.is_not_null() & (year != pid.birth_year),
            *_msg(
                f,
                f"{{}} không khớp với năm sinh ({year_field})",
                f"{{}} disagrees with {year_field}",
            ),
        )


def _document_checks(f: FieldSpec) -> Iterator[Check]:
    """An identity document's number by the rule of its type (declared, else detected)."""
    raw = pl.col(f.name)
    present = raw.is_not_null()
    declared = f.check_against.get("documentType")
    kind = document_type(raw, pl.col(declared) if declared else None)
    pid = PersonalId(raw)
    yield Check(
        f.name,
        "invalid-personal-id",
        present & (kind == CCCD) & ~pid.ok,
        *_msg(
            f,
            "{} không phải số định danh cá nhân, số CMND 9 chữ số hay số hộ chiếu hợp lệ",
            "{} is not a valid personal ID, 9-digit CMND or passport number",
        ),
    )
    yield from _cross_checks(f, pid, kind == CCCD)
    yield Check(
        f.name,
        "invalid-cmnd",
        present & (kind == CMND) & ~cmnd_ok(raw),
        *_msg(f, "{} không phải số CMND (9 hoặc 12 chữ số)", "{} is not a CMND number"),
    )
    yield Check(
        f.name,
        "invalid-passport",
        present & (kind == PASSPORT) & ~passport_ok(raw),
        *_msg(f, "{} không phải số hộ chiếu", "{} is not a passport number"),
    )


def _range_checks(f: FieldSpec, value: pl.Expr) -> Iterator[Check]:
    bounds = (
        ("below-minimum", f.minimum, value < (f.minimum or 0), "nhỏ hơn", "is below"),
        (
            "below-minimum",
            f.exclusive_minimum,
            value <= (f.exclusive_minimum or 0),
            "không lớn hơn",
            "is not above",
        ),
        ("above-maximum", f.maximum, value > (f.maximum or 0), "lớn hơn", "is above"),
        (
            "above-maximum",
            f.exclusive_maximum,
            value >= (f.exclusive_maximum or 0),
            "không nhỏ hơn",
            "is not below",
        ),
    )
    for code, bound, bad, vi, en in bounds:
        if bound is not None:
            yield Check(f.name, code, bad, *_msg(f, f"{{}} {vi} {bound:g}", f"{{}} {en} {bound:g}"))


def identifier_checks(f: FieldSpec, spec: StandardSpec) -> Iterator[Check]:
    raw = pl.col(f.name)
    present = raw.is_not_null()
    if f.identifier == "tax-code":
        yield Check(
            f.name,
            "invalid-tax-code",
            present & ~tax_code_ok(raw),
            *_msg(f, "{} không phải mã số thuế hợp lệ", "{} is not a valid tax code"),
        )
    elif f.identifier == "personal-id-or-tax-code":
        as_id = raw.str.len_chars() == 12
        # An old identity card or a Vietnamese passport is a person's identifier too.
        document = document_type(raw).is_in([CMND, PASSPORT])
        yield Check(
            f.name,
            "invalid-personal-id",
            present & as_id & ~PersonalId(raw).ok,
            *_msg(f, "{} không phải số định danh cá nhân hợp lệ", "{} is not a valid personal ID"),
        )
        yield from _cross_checks(f, PersonalId(raw), present & as_id)
        yield Check(
            f.name,
            "invalid-tax-code",
            present & ~as_id & ~document & ~tax_code_ok(raw),
            *_msg(
                f,
                "{} không phải giấy tờ tùy thân, cũng không phải mã số thuế hợp lệ",
                "{} is neither an identity document nor a valid tax code",
            ),
        )
    elif f.identifier == "identity-document":
        yield from _document_checks(f)
    elif f.identifier == "personal-id":
        pid = PersonalId(raw)
        yield Check(
            f.name,
            "invalid-personal-id",
            present & ~pid.ok,
            *_msg(f, "{} không phải số định danh cá nhân hợp lệ", "{} is not a valid personal ID"),
        )
        yield from _cross_checks(f, pid, pl.lit(True))
    if f.year_of is not None:
        born = pl.col(_t(f.year_of))
        yield Check(
            f.name,
            "year-mismatch",
            born.is_not_null()
            & pl.col(_t(f.name)).is_not_null()
            & (pl.col(_t(f.name)) != born.dt.year()),
            *_msg(
                f,
                f"{{}} khác năm của {f.year_of}",
                f"{{}} disagrees with the year of {f.year_of}",
            ),
        )


def _tagged(name: str) -> pl.Expr:
    """A unique field's value tagged with its field name (``\x1fname\x1fvalue``)."""
    return pl.concat_str([pl.lit(f"\x1f{name}\x1f"), pl.col(_t(name)).cast(pl.Utf8)]).alias("__u")


def key_expr(spec: StandardSpec) -> pl.Expr:
    """The record key over the typed key columns (null if any is missing)."""
    return record_key_expr([pl.col(_t(k)) for k in spec.primary_key])


def prepare_lazy(
    frame: pl.LazyFrame, columns: list[str], spec: StandardSpec, today: date
) -> pl.LazyFrame:
    """Cleaned raw columns (trimmed, empty → null), typed columns, record date and key."""
    cleaned = []
    for f in spec.fields:
        if f.name in columns:
            # Values come from a source, which composed them (NFC) already.
            cleaned.append(clean_text(pl.col(f.name), composed=True).alias(f.name))
        else:
            cleaned.append(pl.lit(None, dtype=pl.Utf8).alias(f.name))
    out = frame.select(pl.col(ROW).cast(pl.Int64), *cleaned)
    out = out.with_columns([typed(f).alias(_t(f.name)) for f in spec.fields])
    record_date = pl.lit(today)
    if spec.record_date_field:
        record_date = pl.col(_t(spec.record_date_field)).fill_null(pl.lit(today))
    return out.with_columns(record_date.alias(RECORD_DATE), key_expr(spec).alias(KEY))


@dataclass(frozen=True)
class Repeat:
    """A check spanning chunks: a later row repeats a value of an earlier one (first kept)."""

    flag: str  # the within-chunk check's flag column
    tag: pl.Expr  # the value as :class:`Seen` holds it
    check: Check


@dataclass(frozen=True)
class Checked:
    """One chunk checked on its own: the verdict within the chunk, and what :func:`settle`
    needs to add repeats of earlier chunks."""

    plan: CheckPlan
    frame: pl.DataFrame  # cleaned and typed values, one flag column per check, ``__bad``
    local: Validation


@dataclass(frozen=True)
class Settled:
    """A chunk's verdict once earlier chunks are known; ``added`` holds only the new findings."""

    valid: pl.DataFrame
    invalid: pl.DataFrame
    added: pl.DataFrame


def _findings(df: pl.DataFrame, flagged: list[tuple[str, Check]]) -> pl.DataFrame:
    parts = [
        df.filter(pl.col(flag)).select(
            pl.col(ROW).alias("row"),
            pl.lit(c.field).alias("field"),
            pl.lit(c.code).alias("code"),
            c.message.alias("message"),
            c.message_en.alias("message_en"),
        )
        for flag, c in flagged
        if df.get_column(flag).any()
    ]
    if not parts:
        return pl.DataFrame(schema=FINDING_SCHEMA)
    return pl.concat(parts).sort("row", maintain_order=True)


def _split(df: pl.DataFrame, spec: StandardSpec, bad: pl.Expr) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(typed valid rows with their key, raw invalid rows)."""
    valid = (
        df.lazy()
        .filter(~bad)
        .select(ROW, *[pl.col(_t(f.name)).alias(f.name) for f in spec.fields], pl.col(KEY))
    )
    invalid = df.lazy().filter(bad).select(ROW, *spec.field_names)
    found = pl.collect_all([valid, invalid])
    return found[0], found[1]


@dataclass(frozen=True)
class CheckPlan:
    """A standard's checks as expressions, built once per batch and used for every chunk."""

    spec: StandardSpec
    checks: list[Check]
    repeats: list[Repeat]

    @classmethod
    def build(cls, spec: StandardSpec, book: CodeBook) -> CheckPlan:
        checks = [c for f in spec.fields for c in field_checks(f, spec, book)]
        key = pl.col(KEY)
        repeats = [
            Repeat(
                f"__c{len(checks)}",
                key,
                Check(
                    ",".join(spec.primary_key),
                    "duplicate-key",
                    key.is_not_null() & ~key.is_first_distinct(),
                    *said(
                        "khoá {} trùng với một dòng trước trong lô",
                        "key {} repeats an earlier row of this batch",
                        key,
                    ),
                ),
            )
        ]
        for f in spec.fields:
            if f.unique and f.name not in spec.primary_key:
                value = pl.col(_t(f.name))
                check = Check(
                    f.name,
                    "not-unique",
                    value.is_not_null() & ~value.is_first_distinct(),
                    *_msg(
                        f,
                        f"{{}} trùng {f.name} của một dòng trước trong lô",
                        f"{{}} repeats the {f.name} of an earlier row of this batch",
                    ),
                )
                flag = f"__c{len(checks) + len(repeats)}"
                repeats.append(Repeat(flag, _tagged(f.name), check))
        return cls(spec, checks + [r.check for r in repeats], repeats)

    @property
    def flags(self) -> list[str]:
        return [f"__c{i}" for i in range(len(self.checks))]


def check_frame(
    frame: pl.DataFrame,
    plan: CheckPlan,
    *,
    today: date | None = None,
    also_bad: pl.Series | None = None,
) -> Checked:
    """Validate one chunk on its own (chunks can be checked in parallel).

    Every check and the row verdict run as one lazy plan over the cleaned, typed chunk,
    collected once, so shared sub-expressions (the personal-ID parts) are computed once.
    ``also_bad``: rows an earlier step (reader, mapping) already rejected."""
    spec, names = plan.spec, plan.flags
    bad = pl.any_horizontal(names)
    if also_bad is not None and len(also_bad):
        bad = bad | pl.col(ROW).is_in(also_bad.implode())
    # Two plans: collected in one, the checks would recompute the cleaning they read.
    prepared = prepare_lazy(frame.lazy(), frame.columns, spec, today or date.today()).collect()
    df = (
        prepared.lazy()
        .with_columns(
            c.bad.fill_null(False).alias(n) for c, n in zip(plan.checks, names, strict=True)
        )
        .with_columns(bad.alias("__bad"))
        .collect()
    )
    valid, invalid = _split(df, spec, pl.col("__bad"))
    # Every key and unique value of the chunk, for the batch's later chunks.
    tags = [df.get_column(KEY).drop_nulls()]
    tags += [df.select(r.tag).to_series().drop_nulls() for r in plan.repeats[1:]]
    local = Validation(
        valid=valid,
        invalid=invalid,
        findings=_findings(df, list(zip(names, plan.checks, strict=True))),
        keys=pl.concat(tags) if len(tags) > 1 else tags[0],
    )
    return Checked(plan=plan, frame=df, local=local)


def settle(checked: Checked, seen: Seen | None) -> Settled | None:
    """Rows repeating a key or unique value of an earlier chunk: None when there are none."""
    if seen is None:
        return None
    hits = seen.hits(checked.local.keys)
    if not len(hits):
        return None
    found = hits.implode()
    df = checked.frame.with_columns(
        (r.tag.is_in(found).fill_null(False) & ~pl.col(r.flag)).alias(f"__r{i}")
        for i, r in enumerate(checked.plan.repeats)
    )
    added = [f"__r{i}" for i in range(len(checked.plan.repeats))]
    valid, invalid = _split(df, checked.plan.spec, pl.col("__bad") | pl.any_horizontal(added))
    flagged = [(a, r.check) for a, r in zip(added, checked.plan.repeats, strict=True)]
    return Settled(valid=valid, invalid=invalid, added=_findings(df, flagged))


def validate_frame(
    frame: pl.DataFrame,
    spec: StandardSpec,
    book: CodeBook,
    *,
    today: date | None = None,
    seen: Seen | None = None,
) -> Validation:
    """Validate one chunk; ``seen``: the keys of earlier chunks of the same batch."""
    checked = check_frame(frame, CheckPlan.build(spec, book), today=today)
    settled = settle(checked, seen)
    if settled is None:
        return checked.local
    findings = pl.concat([checked.local.findings, settled.added]).sort("row", maintain_order=True)
    return Validation(settled.valid, settled.invalid, findings, checked.local.keys)

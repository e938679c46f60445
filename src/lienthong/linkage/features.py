"""Comparison features, computed column-wise with Polars.

Input: a standardised frame with ``dataset``, ``key`` and any of ``id``, ``name``, ``sex``,
``date_of_birth``, ``birth_year`` (when only the year is known), ``document_type``,
``document_number``, ``commune_code``, ``updated_at``. Output adds the columns the comparisons
read: folded and diacritic-bearing name parts in Vietnamese order, birth-date parts, the 2025
commune set, the personal ID with what it encodes, and an identity document other than the
personal ID (an old CMND, a passport) as ``doc_type`` and ``doc`` (type and number).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import polars as pl

from lienthong.linkage.spec import LinkSpec
from lienthong.standards.identifiers import CCCD, document_type
from lienthong.text import fold_expr

STANDARD_COLUMNS = {
    "dataset": pl.Utf8,
    "key": pl.Utf8,
    "id": pl.Utf8,
    "name": pl.Utf8,
    "sex": pl.Utf8,
    "date_of_birth": pl.Utf8,
    "birth_year": pl.Utf8,
    "document_type": pl.Utf8,
    "document_number": pl.Utf8,
    "commune_code": pl.Utf8,
    "updated_at": pl.Utf8,
}
TAX_WEIGHTS = (31, 29, 23, 19, 17, 13, 7, 5, 3)
OLD_CARD_SUFFIX = r"(?i)[\s,;:/(–-]*\b(cmnd|cmtnd|cmt|cccd)\b[\s.:#]*(số|so)?[\s.:#]*\d{9,12}\W*$"


def standardise(frame: pl.DataFrame) -> pl.DataFrame:
    """Every standard column present, as text (missing ones null), blanks as null."""
    columns = []
    for name, dtype in STANDARD_COLUMNS.items():
        if name in frame.columns:
            expr = pl.col(name).cast(pl.Utf8).str.strip_chars()
            columns.append(pl.when(expr == "").then(None).otherwise(expr).alias(name))
        else:
            columns.append(pl.lit(None, dtype=dtype).alias(name))
    return frame.select(columns)


def nfc_lower(expr: pl.Expr) -> pl.Expr:
    return (
        expr.str.normalize("NFC").str.to_lowercase().str.replace_all(r"\s+", " ").str.strip_chars()
    )


def _commune_sets(frame: pl.DataFrame, successions: Mapping[str, Sequence[str]]) -> pl.DataFrame:
    """A pre-2025 code becomes the set of its 2025 successors; any other code itself."""
    mapping = pl.DataFrame(
        {
            "commune_code": list(successions),
            "successors": [sorted(v) for v in successions.values()],
        },
        schema={"commune_code": pl.Utf8, "successors": pl.List(pl.Utf8)},
    )
    joined = frame.join(mapping, on="commune_code", how="left")
    communes = (
        pl.when(pl.col("successors").is_not_null())
        .then(pl.col("successors"))
        .when(pl.col("commune_code").is_not_null())
        .then(pl.concat_list(pl.col("commune_code")))
        .otherwise(None)
    )
    return (
        joined.with_columns(communes.alias("communes"))
        .with_columns(pl.col("communes").list.first().alias("commune_key"))
        .drop("successors")
    )


def _personal_id(frame: pl.DataFrame) -> pl.DataFrame:
    """Well-formed IDs, what they encode, and whether they agree with the record's own data."""
    pid = pl.col("id").str.replace_all(r"\s", "")
    well_formed = (
        pid.str.contains(r"^\d{12}$")
        & pid.str.slice(0, 3).cast(pl.Int32, strict=False).is_between(1, 96)
        & (pid.str.slice(3, 1).cast(pl.Int32, strict=False) <= 5)
    )
    century = pid.str.slice(3, 1).cast(pl.Int32, strict=False)
    pid_year = 1900 + (century // 2) * 100 + pid.str.slice(4, 2).cast(pl.Int32, strict=False)
    pid_sex = pl.when(century % 2 == 0).then(pl.lit("1")).otherwise(pl.lit("2"))
    out = frame.with_columns(
        pl.when(well_formed).then(pid).otherwise(None).alias("pid"),
        pl.when(well_formed).then(pid_year).otherwise(None).alias("pid_year"),
        pl.when(well_formed).then(pid_sex).otherwise(None).alias("pid_sex"),
    )
    agrees = (pl.col("sex").is_null() | (pl.col("sex") == pl.col("pid_sex"))) & (
        pl.col("birth_year").is_null() | (pl.col("birth_year") == pl.col("pid_year"))
    )
    return out.with_columns(
        pl.when(pl.col("pid").is_not_null() & agrees)
        .then(pl.col("pid"))
        .otherwise(None)
        .alias("trusted")
    )


def _documents(frame: pl.DataFrame) -> pl.DataFrame:
    """The identity document other than the personal ID, from the ID field (a 9-digit CMND, a
    passport number written there) or else the record's own document; a CCCD document stands
    in for a missing ID. Numbers of different types are never compared (``doc_type``)."""
    ident = pl.col("id").str.replace_all(r"\s", "").str.to_uppercase()
    number = pl.col("document_number").str.replace_all(r"\s", "").str.to_uppercase()
    declared = pl.col("document_type").str.to_lowercase()
    id_type = pl.when(ident.is_not_null()).then(document_type(ident))
    own_type = pl.when(number.is_not_null()).then(document_type(number, declared))
    from_id = id_type.is_not_null() & (id_type != CCCD)
    from_own = own_type.is_not_null() & (own_type != CCCD)
    doc_type = pl.when(from_id).then(id_type).when(from_own).then(own_type)
    doc_number = pl.when(from_id).then(ident).when(from_own).then(number)
    return frame.with_columns(
        pl.when(ident.is_null() & (own_type == CCCD))
        .then(number)
        .otherwise(pl.col("id"))
        .alias("id"),
        doc_type.alias("doc_type"),
        pl.concat_str([doc_type, pl.lit(":"), doc_number]).alias("doc"),
    )


def _name_parts(frame: pl.DataFrame, spec: LinkSpec) -> pl.DataFrame:
    """Family, middle and given names; a name written family-last is turned back."""
    families = spec.vocabulary.get("family_names", [])
    middles = spec.vocabulary.get("middle_names", [])
    frame = frame.with_columns(
        nfc_lower(pl.col("name")).str.split(" ").alias("_tn"),
        fold_expr(pl.col("name")).str.split(" ").alias("_tf"),
    )
    n = pl.col("_tf").list.len()
    first, last = pl.col("_tf").list.first(), pl.col("_tf").list.last()
    second = pl.col("_tf").list.get(1, null_on_oob=True)
    # "Hùng Nguyễn Văn" (given name printed first, then family and middle names).
    shifted = (n >= 3) & ~first.is_in(families) & second.is_in(families)
    rotated = ~shifted & (n >= 2) & ~first.is_in(families) & last.is_in(families)
    # "An Văn Nguyễn" (given first) versus "Văn An Nguyễn" (family moved to the end).
    given_first = (
        rotated & (n >= 3) & pl.col("_tf").list.get(n - 2, null_on_oob=True).is_in(middles)
    )
    family_at = pl.when(rotated).then(n - 1).when(shifted).then(1).otherwise(0)
    given_at = pl.when(shifted | given_first).then(0).when(rotated).then(n - 2).otherwise(n - 1)
    middle_from = pl.when(rotated & ~given_first).then(0).when(shifted).then(2).otherwise(1)
    middle_len = (n - 2).clip(lower_bound=0)
    parts = []
    for suffix, tokens in (("", "_tf"), ("_nfc", "_tn")):
        col = pl.col(tokens)
        parts += [
            col.list.get(family_at, null_on_oob=True).alias(f"family{suffix}"),
            pl.when(n >= 2).then(col.list.get(given_at, null_on_oob=True)).alias(f"given{suffix}"),
        ]
    middle = pl.col("_tf").list.slice(middle_from, middle_len).list.join(" ")
    parts.append(pl.when(middle == "").then(None).otherwise(middle).alias("middle"))
    parts.append(pl.col("_tf").list.join(" ").alias("name_fold"))
    # The same words in any order: "Trường Trịnh Văn" is "Trịnh Văn Trường" (Trường is a
    # family name too, so the order cannot be read from the words).
    parts.append(pl.col("_tf").list.sort().list.join(" ").alias("name_sorted"))
    frame = frame.with_columns(parts).drop("_tn", "_tf")
    return frame.with_columns(
        sounds_like(pl.col("family")).alias("family_ph"),
        sounds_like(pl.col("given")).alias("given_ph"),
    )


def sounds_like(expr: pl.Expr) -> pl.Expr:
    """A folded name part as the northern accent says it: initials heard alike are one
    (``s``/``x``, ``l``/``n``, ``d``/``gi``/``r``, ``ch``/``tr``), and a final ``y`` is ``i``.
    ``Suân`` and ``Xuân``, ``Lan`` and ``Nan``, ``Giang`` and ``Dang`` sound the same."""
    return (
        expr.str.replace(r"^x", "s")
        .str.replace(r"^n([^gh]|$)", "l$1")
        .str.replace(r"^(gi|r)", "d")
        .str.replace(r"^tr", "ch")
        .str.replace(r"y$", "i")
    )


def person_features(
    frame: pl.DataFrame, *, spec: LinkSpec, successions: Mapping[str, Sequence[str]]
) -> pl.DataFrame:
    frame = standardise(frame)
    # An old ID card number typed after the name ("Trần Văn Hiệp - CMND 151250298") is not
    # part of the name; old card numbers are in no other register, so it is dropped.
    frame = frame.with_columns(pl.col("name").str.replace(OLD_CARD_SUFFIX, "").alias("name"))
    dob = pl.col("date_of_birth").str.slice(0, 10)
    # A record may know only the year of birth (land holders often do).
    year_only = pl.col("birth_year").cast(pl.Int32, strict=False)
    frame = frame.with_columns(
        dob.alias("dob"),
        dob.str.slice(0, 4).cast(pl.Int32, strict=False).fill_null(year_only).alias("birth_year"),
        dob.str.slice(5, 2).cast(pl.Int32, strict=False).alias("birth_month"),
        dob.str.slice(8, 2).cast(pl.Int32, strict=False).alias("birth_day"),
    )
    frame = _personal_id(_name_parts(_documents(frame), spec))
    return _commune_sets(frame, successions)


def tax_base(expr: pl.Expr) -> pl.Expr:
    """A valid tax code, else null. A branch (``-NNN``) is a business of its own, so its
    suffix is kept: a branch and its head office are never linked by the identifier."""
    code = expr.str.replace_all(r"\s", "")
    base = code.str.slice(0, 10)
    shape = code.str.contains(r"^\d{10}(-\d{3})?$")
    total = sum(
        base.str.slice(i, 1).cast(pl.Int32, strict=False) * w for i, w in enumerate(TAX_WEIGHTS)
    )
    check = 10 - total % 11
    valid = shape & (check <= 9) & (check == base.str.slice(9, 1).cast(pl.Int32, strict=False))
    return pl.when(valid).then(code).otherwise(None)


def business_features(
    frame: pl.DataFrame, *, spec: LinkSpec, successions: Mapping[str, Sequence[str]]
) -> pl.DataFrame:
    frame = standardise(frame)
    words = sorted(spec.vocabulary.get("legal_form_words", []), key=len, reverse=True)
    pattern = r"\b(" + "|".join(words) + r")\b" if words else r"^$"
    folded = fold_expr(pl.col("name")).str.replace_all(r"[^a-z0-9 ]", " ")
    key = folded.str.replace_all(pattern, " ").str.replace_all(r"\s+", " ").str.strip_chars()
    frame = frame.with_columns(
        nfc_lower(pl.col("name")).alias("name_nfc"),
        pl.when(key == "").then(None).otherwise(key).alias("name_key"),
        tax_base(pl.col("id")).alias("tid"),
    ).with_columns(
        pl.col("name_key").str.split(" ").list.slice(0, 2).list.join(" ").alias("name_head"),
        pl.col("tid").alias("trusted"),
    )
    return _commune_sets(frame, successions)

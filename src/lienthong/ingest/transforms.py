"""The transform steps of a mapping: each a Polars expression over a whole column.

A step is a name (``"trim"``) or a one-key object (``{"date": [...]}``). Most rewrite the
field's own value; ``concat``, ``format``, ``extract``, ``split-name`` and ``default`` fill the
field where it is empty, reading other source columns (a field with no column of its own is
empty everywhere, so they build it). :func:`step_problem` says what is wrong with a step, so
that a bad mapping is refused before any row is read.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from string import Formatter
from typing import Any

import polars as pl

from lienthong.text import fold, fold_expr

STRING_STEPS = ("trim", "collapse-spaces", "title", "upper", "lower")
EXCEL_SERIAL = "excel-serial"
NAME_PARTS = ("family", "middle", "given")
_EXCEL_EPOCH = date(1899, 12, 30)  # serial 1 = 1900-01-01 counting Excel's phantom 1900-02-29

# A source column by the name the mapping gives it (the caller resolves it in the source).
Column = Callable[[str], pl.Expr]


def _strings(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(v, str) for v in value)


def _regex_problem(pattern: Any) -> str | None:
    if not isinstance(pattern, str) or not pattern:
        return "'pattern' must be a regular expression"
    try:
        pl.select(pl.lit("").str.contains(pattern))
    except pl.exceptions.PolarsError as exc:  # the Rust regex syntax, not Python's
        return f"'pattern' {pattern!r} is not a valid regular expression: {exc}"
    return None


def _groups(pattern: str) -> int | None:
    """How many groups ``pattern`` has, when Python's regex reads it as well."""
    try:
        return re.compile(pattern).groups
    except re.error:
        return None


def format_columns(template: str) -> list[str]:
    """The source columns a ``format`` template names (``"{Mã xã}-{Số thửa}"``)."""
    return [name for _, name, _, _ in Formatter().parse(template) if name is not None]


def _format_problem(template: Any) -> str | None:
    if not isinstance(template, str):
        return "'format' takes a template such as \"{Mã xã}-{Số thửa}\""
    try:
        parts = list(Formatter().parse(template))
    except ValueError as exc:
        return f"template {template!r}: {exc} (write {{{{ and }}}} for literal braces)"
    names = [name for _, name, spec, conv in parts if name is not None]
    if not names or any(not name.strip() for name in names):
        return f"template {template!r} must name at least one column, as {{column}}"
    if any(spec or conv for _, name, spec, conv in parts if name is not None):
        return f"template {template!r}: write {{column}} without a format spec or conversion"
    return None


def _keys_problem(arg: dict[str, Any], required: set[str], optional: set[str]) -> str | None:
    missing = required - set(arg)
    if missing:
        return f"missing {', '.join(repr(k) for k in sorted(missing))}"
    unknown = set(arg) - required - optional
    if unknown:
        return f"unknown key {', '.join(repr(k) for k in sorted(unknown))}"
    return None


def _aliases_problem(arg: Any) -> str | None:
    if not isinstance(arg, dict) or not arg:
        return "'aliases' takes an object of code → list of values written for it"
    seen: dict[str, str] = {}
    for code, values in arg.items():
        if not _strings(values):
            return f"the values of code {code!r} must be a list of texts"
        for value in values:
            other = seen.setdefault(fold(value), code)
            if other != code:
                return f"{value!r} is given for both {other!r} and {code!r}"
    return None


def step_problem(step: Any) -> str | None:
    """What is wrong with ``step`` (None: nothing), without the step's place in the mapping."""
    if isinstance(step, str):
        return None if step in STRING_STEPS else f"unknown transform {step!r}"
    if not isinstance(step, dict) or len(step) != 1:
        return f"a transform is a name or an object of one key: {step!r}"
    ((name, arg),) = step.items()
    if name == "date":
        return None if _strings(arg) else "'date' takes a list of formats"
    if name == "map":
        return None if isinstance(arg, dict) else "'map' takes an object of value → value"
    if name == "aliases":
        return _aliases_problem(arg)
    if name == "pad":
        ok = isinstance(arg, int) and not isinstance(arg, bool) and 1 <= arg <= 32
        return None if ok else "'pad' takes a width from 1 to 32"
    if name == "default":
        return None if isinstance(arg, str) else "'default' takes a text"
    if name == "format":
        return _format_problem(arg)
    if name in ("concat", "extract", "split-name") and not isinstance(arg, dict):
        return f"{name!r} takes an object"
    if name == "concat":
        problem = _keys_problem(arg, {"columns"}, {"separator"})
        if problem is None and not _strings(arg["columns"]):
            problem = "'columns' must be a list of source column names"
        if problem is None and not isinstance(arg.get("separator", " "), str):
            problem = "'separator' must be a text"
        return problem
    if name == "extract":
        problem = _keys_problem(arg, {"from", "pattern"}, {"group", "remove"})
        if problem is None and not isinstance(arg["from"], str):
            problem = "'from' must be a source column name"
        group = arg.get("group", 0)
        if problem is None and (not isinstance(group, int) or isinstance(group, bool) or group < 0):
            problem = "'group' must be a group number (0: the whole match)"
        if problem is None and not isinstance(arg.get("remove", False), bool):
            problem = "'remove' must be true or false"
        problem = problem or _regex_problem(arg["pattern"])
        groups = None if problem else _groups(arg["pattern"])
        if groups is not None and group > groups:
            problem = f"'group' {group}: the pattern has {groups} group(s)"
        return problem
    if name == "split-name":
        problem = _keys_problem(arg, {"from", "part"}, set())
        if problem is None and not isinstance(arg["from"], str):
            problem = "'from' must be a source column name"
        if problem is None and arg["part"] not in NAME_PARTS:
            problem = f"'part' must be one of {', '.join(NAME_PARTS)}"
        return problem
    if name == "rekey":
        return None  # checked by its own model (lienthong.ingest.rekey.Rekey)
    return f"unknown transform {name!r}"


def columns_read(step: str | dict[str, Any]) -> list[str]:
    """The source columns a step reads besides the field's own."""
    if not isinstance(step, dict):
        return []
    ((name, arg),) = step.items()
    if name == "concat":
        return list(arg["columns"])
    if name == "format":
        return format_columns(arg)
    if name in ("extract", "split-name"):
        return [arg["from"]]
    return []


def removed(step: str | dict[str, Any]) -> tuple[str, str] | None:
    """(source column, pattern) when the step takes its match out of the column it reads."""
    if isinstance(step, dict) and "extract" in step and step["extract"].get("remove", False):
        return step["extract"]["from"], step["extract"]["pattern"]
    return None


def without(expr: pl.Expr, pattern: str) -> pl.Expr:
    """``expr`` with the first match of ``pattern`` taken out (spaces tidied; nothing left:
    empty)."""
    rest = expr.str.replace(pattern, " ").str.replace_all(r"\s+", " ").str.strip_chars()
    return rest.replace("", None)


def _empty(expr: pl.Expr) -> pl.Expr:
    return expr.is_null() | (expr.str.strip_chars() == "")


def _fill(expr: pl.Expr, value: pl.Expr) -> pl.Expr:
    return pl.when(_empty(expr)).then(value).otherwise(expr)


def _text(expr: pl.Expr) -> pl.Expr:
    """A source value as a part: trimmed, empty → null."""
    return expr.str.strip_chars().replace("", None)


def _per_distinct(expr: pl.Expr, step: Callable[[pl.Expr], pl.Expr]) -> pl.Expr:
    """``step`` worked out once per distinct value of a chunk's column, not once per row: a
    column of dates or codes repeats its values, and folding or parsing them is the costly
    part (a chunk's whole column at a time, no Python per row)."""

    def run(values: pl.Series) -> pl.Series:
        distinct = values.unique().drop_nulls()
        done = pl.select(step(pl.lit(distinct, pl.Utf8))).to_series()
        changed = distinct != done
        return values.replace(distinct.filter(changed), done.filter(changed))

    return expr.map_batches(run, return_dtype=pl.Utf8)


def _parsed(text: pl.Expr, fmt: str) -> pl.Expr:
    if fmt == EXCEL_SERIAL:
        serial = text.str.extract(r"^(\d{1,7})(?:\.0+)?$").cast(pl.Int64)
        serial = pl.when(serial.is_between(1, 2_958_465)).then(serial)
        return pl.lit(_EXCEL_EPOCH) + pl.duration(days=serial)
    return text.str.strptime(pl.Date, fmt, strict=False)


def _dates(values: pl.Series, formats: list[str]) -> pl.Series:
    text = values.str.strip_chars()
    found: pl.Series | None = None
    for fmt in formats:
        if found is not None and not (found.is_null() & values.is_not_null()).any():
            break  # a file mostly writes its dates one way: the rest need not be tried
        parsed = pl.select(_parsed(pl.lit(text), fmt)).to_series()
        found = parsed if found is None else found.fill_null(parsed)
    if found is None:
        return values
    return found.dt.to_string("%Y-%m-%d").fill_null(values)


def _date(expr: pl.Expr, formats: list[str]) -> pl.Expr:
    """ISO yyyy-mm-dd from the first format that parses; the raw value when none does.

    When ISO comes first, a value shaped like one (``dddd-dd-dd``) is left for the validator
    as it is, unparsed: it would read as itself or not at all. Only the others are parsed,
    so a file of ISO dates costs a glance at each value."""

    def run(values: pl.Series) -> pl.Series:
        todo = values.is_not_null()
        if formats[0] == "%Y-%m-%d":
            iso = (
                (values.str.len_bytes() == 10)
                & (values.str.slice(4, 1) == "-")
                & (values.str.slice(7, 1) == "-")
            )
            todo = todo & ~iso.fill_null(False)
        if not todo.any():
            return values
        at = todo.arg_true()
        return values.clone().scatter(at, _dates(values.gather(at), formats))

    return expr.map_batches(run, return_dtype=pl.Utf8)


def _aliases(expr: pl.Expr, codes: dict[str, list[str]]) -> pl.Expr:
    """The code a value stands for, compared folded (``"NỮ"``, ``"nu"`` → ``"2"``)."""
    table = {fold(value): code for code, values in codes.items() for value in values}
    folded = fold_expr(expr)
    return (
        pl.when(folded.is_in(list(table)))
        .then(folded.replace_strict(table, default=None, return_dtype=pl.Utf8))
        .otherwise(expr)
    )


def _name_part(full: pl.Expr, part: str) -> pl.Expr:
    """Vietnamese order: family name first, given name last, middle names between; a one-word
    name is a given name."""
    words = full.str.replace_all(r"\s+", " ").str.strip_chars().str.split(" ")
    count = words.list.len()
    if part == "family":
        return pl.when(count >= 2).then(words.list.first())
    if part == "given":
        return words.list.last().replace("", None)
    return pl.when(count >= 3).then(words.list.slice(1, count - 2).list.join(" "))


def step_expr(expr: pl.Expr, step: str | dict[str, Any], column: Column) -> pl.Expr:
    """``expr`` after one step; ``column`` gives a source column the step reads."""
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
    if name == "aliases":
        return _per_distinct(expr, lambda values: _aliases(values, arg))
    if name == "pad":
        return pl.when(expr.str.contains(r"^\d+$")).then(expr.str.zfill(arg)).otherwise(expr)
    if name == "default":
        return _fill(expr, pl.lit(arg, pl.Utf8))
    if name == "concat":
        parts = [_text(column(c)) for c in arg["columns"]]
        joined = pl.concat_str(parts, separator=arg.get("separator", " "), ignore_nulls=True)
        return _fill(expr, joined.replace("", None))
    if name == "format":
        pieces: list[pl.Expr] = []
        for literal, source, _, _ in Formatter().parse(arg):
            if literal:
                pieces.append(pl.lit(literal, pl.Utf8))
            if source is not None:
                pieces.append(_text(column(source)))
        return _fill(expr, pl.concat_str(pieces))  # a missing part leaves the field empty
    if name == "extract":
        found = column(arg["from"]).str.extract(f"({arg['pattern']})", arg.get("group", 0) + 1)
        return _fill(expr, found)
    if name == "split-name":
        return _fill(expr, _name_part(column(arg["from"]), arg["part"]))
    return expr  # rekey runs after every column is built (it may read another field)

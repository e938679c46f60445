"""Reading the tables a user gives: provinces' indicator values and declared improvements.

Both are UTF-8 CSV (a BOM is allowed; ``,`` or ``;`` separated; a decimal comma is read as a
point). Every bad cell is reported at once, as ``rows.N.column`` details (N = the data row,
1-based); nothing is scored from a table with errors.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from lienthong.dti.scoring import ProvinceValues
from lienthong.dti.sets import IndicatorSet
from lienthong.errors import ErrorDetail, ValidationFailed

MAX_DETAILS = 50
PROVINCE = "province"
ONE = Decimal(1)
IMPROVEMENT_COLUMNS = ("indicator", "step", "cost", "ceiling")


@dataclass(frozen=True)
class Improvement:
    """A lever on one indicator: each step adds ``step`` to its value at ``cost`` (the user's
    own measure of money or difficulty), up to ``ceiling``. Several rows for one indicator are
    tiers, taken in their order."""

    indicator: str
    step: Decimal
    cost: Decimal
    ceiling: Decimal


def decimal_of(raw: Any) -> Decimal | None:
    """A number from a cell or a JSON value; None when it is not one."""
    if isinstance(raw, bool) or raw is None:
        return None
    text = str(raw).strip().replace(" ", "")
    if "," in text and "." not in text:
        text = text.replace(",", ".")
    try:
        value = Decimal(text)
    except InvalidOperation:
        return None
    return value if value.is_finite() else None


def parse_csv(data: bytes | str) -> list[dict[str, str]]:
    """Rows of a small CSV as dicts keyed by the lower-cased, stripped header."""
    text = data.decode("utf-8-sig") if isinstance(data, bytes) else data.lstrip("\ufeff")
    if not text.strip():
        raise ValidationFailed.on("file", "empty-file", "the table is empty")
    try:
        dialect: Any = csv.Sniffer().sniff(text.split("\n", 1)[0], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text), dialect)
    header = [h.strip().lower() for h in next(reader)]
    return [
        dict(zip(header, (v.strip() for v in row), strict=False))
        for row in reader
        if any(v.strip() for v in row)
    ]


def _fail(what: str, details: list[ErrorDetail]) -> ValidationFailed:
    shown = details[:MAX_DETAILS]
    more = f" (first {MAX_DETAILS} of {len(details)} shown)" if len(details) > MAX_DETAILS else ""
    return ValidationFailed(f"the {what} has {len(details)} problem(s){more}", details=shown)


def _require_columns(rows: Sequence[Mapping[str, Any]], columns: Iterable[str], what: str) -> None:
    present = set().union(*(r.keys() for r in rows)) if rows else set()
    missing = [c for c in columns if c not in present]
    if missing:
        raise ValidationFailed(
            f"the {what} lacks column(s): {', '.join(missing)}",
            details=[ErrorDetail(c, "missing-column", f"no column {c!r}") for c in missing],
        )


def _number(
    row: Mapping[str, Any],
    n: int,
    column: str,
    details: list[ErrorDetail],
    *,
    high: Decimal | None = ONE,
) -> Decimal:
    """A cell that must be a number in 0..high (no upper bound when ``high`` is None)."""
    field = f"rows.{n}.{column}"
    raw = row.get(column)
    if raw is None or str(raw).strip() == "":
        details.append(ErrorDetail(field, "missing-value", "a value is required"))
        return Decimal(0)
    value = decimal_of(raw)
    if value is None:
        details.append(ErrorDetail(field, "invalid-value", f"{raw!r} is not a number"))
        return Decimal(0)
    if value < 0 or (high is not None and value > high):
        span = f"0..{high}" if high is not None else "0 or more"
        details.append(ErrorDetail(field, "value-out-of-range", f"{value} is not in {span}"))
    return value


def province_values(
    indicator_set: IndicatorSet, rows: Sequence[Mapping[str, Any]]
) -> list[ProvinceValues]:
    """Check a values table (a ``province`` column, one column per main indicator in 0..1)."""
    if not rows:
        raise ValidationFailed.on("rows", "empty-file", "the values table has no row")
    _require_columns(rows, [PROVINCE, *indicator_set.keys], "values table")
    details: list[ErrorDetail] = []
    seen: set[str] = set()
    out = []
    for n, row in enumerate(rows, start=1):
        name = str(row.get(PROVINCE) or "").strip()
        if not name:
            details.append(ErrorDetail(f"rows.{n}.province", "missing-value", "name the province"))
        elif name.casefold() in seen:
            details.append(
                ErrorDetail(f"rows.{n}.province", "duplicate-province", f"{name!r} is repeated")
            )
        seen.add(name.casefold())
        values = {key: _number(row, n, key, details) for key in indicator_set.keys}
        out.append(ProvinceValues(province=name, values=values))
    if details:
        raise _fail("values table", details)
    return out


def improvements(
    indicator_set: IndicatorSet, rows: Sequence[Mapping[str, Any]]
) -> list[Improvement]:
    """Check an improvements table: ``indicator, step, cost, ceiling`` per row."""
    if not rows:
        raise ValidationFailed.on("improvements", "empty-file", "declare at least one improvement")
    _require_columns(rows, IMPROVEMENT_COLUMNS, "improvements table")
    details: list[ErrorDetail] = []
    out = []
    for n, row in enumerate(rows, start=1):
        key = str(row.get("indicator") or "").strip()
        if key not in indicator_set.keys:
            details.append(
                ErrorDetail(
                    f"rows.{n}.indicator", "unknown-indicator", f"{key!r} is not a main indicator"
                )
            )
        step = _number(row, n, "step", details)
        if step == 0:
            details.append(ErrorDetail(f"rows.{n}.step", "value-out-of-range", "step must be > 0"))
        out.append(
            Improvement(
                indicator=key,
                step=step,
                cost=_number(row, n, "cost", details, high=None),
                ceiling=_number(row, n, "ceiling", details),
            )
        )
    if details:
        raise _fail("improvements table", details)
    return out

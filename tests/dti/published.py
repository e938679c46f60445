"""The published tables vendored in data/published.json (sources and dates inside)."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

PUBLISHED: dict[str, Any] = json.loads(
    (Path(__file__).parent / "data" / "published.json").read_text("utf-8")
)
DTI_2022 = PUBLISHED["dti_2022"]
INDICATORS = DTI_2022["columns"][2:-1]


def dti_rows() -> list[dict[str, Any]]:
    """The detailed 2022 rows as dicts: rank, province, the eight values, index (text)."""
    return [dict(zip(DTI_2022["columns"], row, strict=True)) for row in DTI_2022["rows"]]


def values_csv(rows: list[dict[str, Any]]) -> str:
    """A values file as a user would write it: province + one column per main indicator."""
    lines = [",".join(["province", *INDICATORS])]
    lines += [",".join([f'"{r["province"]}"', *(str(r[k]) for k in INDICATORS)]) for r in rows]
    return "\n".join(lines) + "\n"


def decimals(row: dict[str, Any]) -> dict[str, Decimal]:
    return {k: Decimal(row[k]) for k in INDICATORS}

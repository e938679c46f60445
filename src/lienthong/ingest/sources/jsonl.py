"""JSON Lines: one object per line. A line that is not a JSON object is kept as a row whose
``_error`` says why and ``_source`` holds the line (every field null), so it can be
quarantined; blank lines are skipped.

Columns are the union of the keys of the first objects sampled (in first-seen order); a key
seen only later joins the columns from its row on (earlier rows lack it). Values are kept as
written: strings as they are, numbers and booleans in their JSON text, nested values as JSON.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from itertools import islice
from pathlib import Path
from typing import Any

import polars as pl

from lienthong.ingest.sources.base import (
    ERROR,
    ROW,
    SOURCE,
    Source,
    clean_header,
    normalise_values,
)
from lienthong.ingest.sources.errors import EmptyFile, InvalidEncoding

_SAMPLE_LINES = 1000


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return json.dumps(value)
    return json.dumps(value, ensure_ascii=False)


def _parse(line: str) -> tuple[dict[str, Any] | None, str | None]:
    try:
        value = json.loads(line)
    except json.JSONDecodeError as exc:
        return None, f"not valid JSON: {exc.msg} at column {exc.colno}"
    if not isinstance(value, dict):
        return None, f"a JSON {type(value).__name__}, not an object"
    return value, None


def _lines(path: Path, name: str) -> Iterator[tuple[int, str]]:
    try:
        with path.open(encoding="utf-8-sig") as handle:
            for number, line in enumerate(handle, start=1):
                if line.strip():
                    yield number, line
    except UnicodeDecodeError as exc:
        raise InvalidEncoding(
            f"tệp JSON Lines {name} phải là UTF-8 / JSON Lines {name} must be UTF-8: {exc.reason}"
        ) from exc


def open_jsonl(path: Path, *, chunk_rows: int, name: str) -> Source:
    if path.stat().st_size == 0:
        raise EmptyFile(f"tệp {name} trống / {name} is empty")
    keys: dict[str, None] = {}
    for _, line in islice(_lines(path, name), _SAMPLE_LINES):
        obj, _ = _parse(line)
        if obj is not None:
            keys.update(dict.fromkeys(obj))
    if not keys and next(_lines(path, name), None) is None:
        raise EmptyFile(f"tệp {name} không có bản ghi nào / {name} has no records")
    raw_keys = list(keys)
    header = clean_header(raw_keys)

    def reader() -> Iterator[pl.DataFrame]:
        # A key first met after the sampled lines (an exporter that omits empty fields) joins
        # the columns from that row on: earlier rows simply lack it, so nothing is dropped.
        names = list(raw_keys)
        known = set(names)
        rows: list[tuple[int, list[str | None], str | None, str | None]] = []

        def build() -> pl.DataFrame:
            columns = clean_header(names)
            width = len(names)
            frame = pl.DataFrame(
                [[n, *v, *([None] * (width - len(v))), e, t] for n, v, e, t in rows],
                schema={
                    ROW: pl.Int64,
                    **dict.fromkeys(columns, pl.Utf8),
                    ERROR: pl.Utf8,
                    SOURCE: pl.Utf8,
                },
                orient="row",
            )
            return normalise_values(frame, columns)

        for number, line in _lines(path, name):
            obj, error = _parse(line)
            if obj is None:  # the line itself travels with the row
                rows.append((number, [], error, line.rstrip("\r\n")))
            else:
                new = [k for k in obj if k not in known]
                names.extend(new)
                known.update(new)
                rows.append((number, [_text(obj.get(k)) for k in names], None, None))
            if len(rows) >= chunk_rows:
                yield build()
                rows = []
        if rows:
            yield build()

    return Source(format="jsonl", columns=header, reader=reader)

"""CSV (and semicolon-, tab- or pipe-separated) sources, streamed in chunks.

UTF-8 files are read by Polars' lazy CSV reader directly; other encodings are first transcoded
in blocks to a temporary UTF-8 file. A first, cheap pass over the raw lines finds ragged
records (a field count other than the header's) and blank lines, so no record is dropped
silently: ragged records are kept with ``_ragged`` true (surplus fields beyond the header are
cut, missing ones are null) and their whole source text in ``_source``; blank lines are
skipped (row numbers keep counting them).
"""

from __future__ import annotations

import csv
import io
import tempfile
from collections.abc import Iterator
from itertools import islice
from pathlib import Path

import polars as pl

from lienthong.ingest.sources.base import (
    RAGGED,
    ROW,
    SOURCE,
    Source,
    clean_header,
    normalise_values,
)
from lienthong.ingest.sources.encodings import (
    SAMPLE_BYTES,
    UTF8,
    UTF8_BOM,
    choose,
    first_invalid_utf8,
    transcode_file,
)
from lienthong.ingest.sources.errors import EmptyFile, InvalidEncoding, UnreadableFile
from lienthong.text import may_need_nfc

DELIMITERS = (",", ";", "\t", "|")
_QUOTED = r'"[^"]*"'


def detect_delimiter(text: str) -> str:
    """The candidate that splits the first rows into the most consistent, widest table."""
    best, best_key = ",", (-1.0, 0)
    for delimiter in DELIMITERS:
        rows = list(islice(csv.reader(io.StringIO(text), delimiter=delimiter), 50))
        rows = [r for r in rows if r]
        if not rows or len(rows[0]) < 2:
            continue
        width = len(rows[0])
        body = rows[1:]
        consistency = sum(len(r) == width for r in body) / len(body) if body else 1.0
        key = (consistency, width)
        if key > best_key:
            best, best_key = delimiter, key
    return best


def _odd_rows(path: Path, width: int, delimiter: str) -> tuple[dict[int, str], set[int], int, bool]:
    """(ragged record number → its source text, blank record numbers, record count, no text
    needs NFC).

    Record numbers are 1-based after the header."""
    lines = pl.scan_lines(path, row_index_name="i")
    line = pl.col("line")
    empty = (line == "") | (line == "\r")  # a CRLF file's lines keep their "\r"
    # Only blank lines, lines with quotes and lines with the wrong delimiter count need a
    # closer look: the quote-aware count runs on those alone.
    suspect = (
        empty
        | line.str.contains('"', literal=True)
        | (line.str.count_matches(delimiter, literal=True) + 1 != width)
    )
    flagged = (
        lines.filter((pl.col("i") > 0) & suspect)
        .with_columns(
            blank=empty,
            odd=line.str.count_matches('"', literal=True) % 2 == 1,
            fields=line.str.replace_all(_QUOTED, "").str.count_matches(delimiter, literal=True) + 1,
        )
        .filter(pl.col("blank") | pl.col("odd") | (pl.col("fields") != width))
        .select("i", "blank", "odd", "line")
    )
    # The same pass counts the lines and tests the whole file for text that needs NFC, so
    # chunks of a file that has none (the usual case) skip that test column by column.
    stats = lines.select(pl.len(), ~may_need_nfc(line).any())
    found, counted = pl.collect_all([flagged, stats])
    if found["odd"].any():  # quoted line breaks: records and lines differ, count exactly
        return (*_odd_rows_exact(path, width, delimiter), False)
    total, composed = counted.row(0)
    total -= 1
    blank = set(found.filter("blank")["i"].to_list())
    ragged = {
        i: line.removesuffix("\r")
        for i, line in found.filter(~pl.col("blank")).select("i", "line").iter_rows()
    }
    return ragged, blank, max(total, 0), bool(composed)


def _odd_rows_exact(path: Path, width: int, delimiter: str) -> tuple[dict[int, str], set[int], int]:
    ragged: dict[int, str] = {}
    blank: set[int] = set()
    number = 0
    with path.open(encoding=UTF8_BOM, newline="") as handle:
        reader = csv.reader(handle, delimiter=delimiter)
        next(reader, None)
        for number, record in enumerate(reader, start=1):
            if not record:
                blank.add(number)
            elif len(record) != width:
                text = io.StringIO()
                csv.writer(text, delimiter=delimiter, lineterminator="").writerow(record)
                ragged[number] = text.getvalue()
    return ragged, blank, number


def _chunks(
    path: Path, header: list[str], delimiter: str, chunk_rows: int, *, name: str
) -> Iterator[pl.DataFrame]:
    try:
        yield from _frames(path, header, delimiter, chunk_rows)
    except UnicodeDecodeError as exc:  # the exact pass over quoted line breaks reads in Python
        raise _not_utf8(path, name) from exc
    except pl.exceptions.ComputeError as exc:
        if "utf" in str(exc).lower():
            raise _not_utf8(path, name) from exc
        raise UnreadableFile(
            f"không đọc được tệp CSV {name} / cannot parse the CSV {name}: {exc}"
        ) from exc


def _not_utf8(path: Path, name: str) -> InvalidEncoding:
    """Bytes past the detection sample that break UTF-8, located for the sender."""
    where = first_invalid_utf8(path)
    vi = f" (dòng {where[1]}, byte {where[0]})" if where else ""
    en = f" (line {where[1]}, byte {where[0]})" if where else ""
    return InvalidEncoding(
        f"tệp {name} không phải UTF-8 từ đầu đến cuối{vi} / "
        f"{name} is not valid UTF-8 throughout{en}"
    )


def _frames(
    path: Path, header: list[str], delimiter: str, chunk_rows: int
) -> Iterator[pl.DataFrame]:
    ragged, blank, total, composed = _odd_rows(path, len(header), delimiter)
    if total == 0:
        return
    frame = pl.scan_csv(
        path,
        has_header=False,
        skip_rows=1,
        separator=delimiter,
        schema=dict.fromkeys(header, pl.Utf8),
        truncate_ragged_lines=True,
        missing_columns="insert",
        row_index_name=ROW,
        row_index_offset=1,
    ).with_columns(pl.col(ROW).cast(pl.Int64))
    if blank:
        frame = frame.filter(~pl.col(ROW).is_in(sorted(blank)))
    frame = frame.with_columns(pl.col(ROW).is_in(sorted(ragged)).alias(RAGGED))
    if ragged:  # every value of a ragged row, surplus ones too, travels with it
        frame = frame.with_columns(
            pl.col(ROW)
            .replace_strict(list(ragged), list(ragged.values()), default=None, return_dtype=pl.Utf8)
            .alias(SOURCE)
        )
    for batch in frame.collect_batches(chunk_size=chunk_rows):
        yield normalise_values(batch, header, composed=composed)


def open_delimited(
    path: Path, *, encoding: str | None, delimiter: str | None, chunk_rows: int, name: str
) -> Source:
    size = path.stat().st_size
    if size == 0:
        raise EmptyFile(f"tệp {name} trống / {name} is empty")
    with path.open("rb") as handle:
        sample = handle.read(SAMPLE_BYTES)
    chosen = choose(sample, declared=encoding, complete=len(sample) >= size, name=name)
    text = chosen.text
    if not text.strip():
        raise EmptyFile(f"tệp {name} không có dòng tiêu đề / {name} has no header")
    if delimiter is not None and delimiter not in DELIMITERS:
        raise UnreadableFile(
            f"không hỗ trợ dấu phân cách {delimiter!r} / unsupported delimiter {delimiter!r}",
            where="delimiter",
        )
    delim = delimiter or detect_delimiter(text)
    header = clean_header(next(csv.reader(io.StringIO(text), delimiter=delim)))

    def reader() -> Iterator[pl.DataFrame]:
        if chosen.encoding in (UTF8, UTF8_BOM):
            yield from _chunks(path, header, delim, chunk_rows, name=name)
            return
        with tempfile.TemporaryDirectory(prefix="lienthong-csv-") as tmp:
            target = Path(tmp) / "source.csv"
            transcode_file(path, target, chosen.encoding, name=name)
            yield from _chunks(target, header, delim, chunk_rows, name=name)

    return Source(
        format="csv",
        columns=header,
        reader=reader,
        encoding=chosen.encoding,
        findings=chosen.findings,
        sheet_row_offset=1,
    )

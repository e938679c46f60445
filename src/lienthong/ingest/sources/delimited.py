"""CSV (and semicolon-, tab- or pipe-separated) sources, streamed in chunks.

UTF-8 files are read a block of whole records at a time (:mod:`.blocks`, 4 MiB), each parsed
by Polars' CSV reader, so memory does not grow with the file; other encodings are first
transcoded in blocks to a temporary UTF-8 file. A first, cheap pass over each block's raw
lines finds ragged records (a field count other than the header's) and blank lines, so no
record is dropped silently: ragged records are kept with ``_ragged`` true (surplus fields
beyond the header are cut, missing ones are null) and their whole source text in
``_source``; blank lines are skipped (row numbers keep counting them).
"""

from __future__ import annotations

import csv
import io
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
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
from lienthong.ingest.sources.blocks import BLOCK_BYTES, record_blocks
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
# A chunk holds at most this much of the file, however wide its rows: what a chunk costs in
# memory (read, checked, bound, staged) grows with its bytes, not its row count.
CHUNK_BYTES = 4 << 20
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


@dataclass(frozen=True)
class _Odd:
    """What a block's lines say about its records: ragged ones (record number → source text),
    blank ones, how many there are, and whether no text needs NFC. Record numbers count from
    the block's first record (0), the header excluded."""

    ragged: dict[int, str]
    blank: set[int]
    records: int
    composed: bool


def _odd_rows(block: bytes, width: int, delimiter: str, *, header: bool) -> _Odd:
    """A first, cheap pass over a block's raw lines (``header``: its first line is the
    header's)."""
    lines = pl.scan_lines(block, row_index_name="i")
    if header:
        lines = lines.filter(pl.col("i") > 0).with_columns(pl.col("i") - 1)
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
        lines.filter(suspect)
        .with_columns(
            blank=empty,
            odd=line.str.count_matches('"', literal=True) % 2 == 1,
            fields=line.str.replace_all(_QUOTED, "").str.count_matches(delimiter, literal=True) + 1,
        )
        .filter(pl.col("blank") | pl.col("odd") | (pl.col("fields") != width))
        .select("i", "blank", "odd", "line")
    )
    # The same pass counts the lines and tests the block for text that needs NFC, so chunks
    # of a block that has none (the usual case) skip that test column by column.
    stats = lines.select(pl.len(), ~may_need_nfc(line).any())
    found, counted = pl.collect_all([flagged, stats])
    if found["odd"].any():  # quoted line breaks: records and lines differ, count exactly
        return _odd_rows_exact(block, width, delimiter, header=header)
    total, composed = counted.row(0)
    blank = set(found.filter("blank")["i"].to_list())
    ragged = {
        i: line.removesuffix("\r")
        for i, line in found.filter(~pl.col("blank")).select("i", "line").iter_rows()
    }
    return _Odd(ragged, blank, total, bool(composed))


def _odd_rows_exact(block: bytes, width: int, delimiter: str, *, header: bool) -> _Odd:
    ragged: dict[int, str] = {}
    blank: set[int] = set()
    text = block.decode(UTF8_BOM if header else UTF8)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    if header:
        next(reader, None)
    number = -1
    for number, record in enumerate(reader):
        if not record:
            blank.add(number)
        elif len(record) != width:
            written = io.StringIO()
            csv.writer(written, delimiter=delimiter, lineterminator="").writerow(record)
            ragged[number] = written.getvalue()
    return _Odd(ragged, blank, number + 1, False)


def _chunks(
    path: Path, header: list[str], delimiter: str, chunk_rows: int, *, name: str, block_bytes: int
) -> Iterator[pl.DataFrame]:
    try:
        yield from _frames(path, header, delimiter, chunk_rows, block_bytes)
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
    path: Path, header: list[str], delimiter: str, chunk_rows: int, block_bytes: int
) -> Iterator[pl.DataFrame]:
    """Chunks of ``chunk_rows`` rows, or fewer when they come from more than ``CHUNK_BYTES``
    of the file (wide rows), read a block of whole records at a time."""
    pending: list[pl.DataFrame] = []
    held = size = 0  # rows pending, and about how many bytes of the file they came from
    with path.open("rb") as handle:
        first, row = True, 1
        for block in record_blocks(handle, block_bytes):
            frame, records = _block_frame(block, header, delimiter, first=first, row=row)
            first, row = False, row + records
            pending.append(frame)
            held, size = held + frame.height, size + len(block)
            while held and (held >= chunk_rows or size >= CHUNK_BYTES):
                # Only a block with a ragged row has its source text column.
                whole = pl.concat(pending, how="diagonal", rechunk=False)
                taken = min(held, chunk_rows)
                yield whole.head(taken).rechunk()
                rest = whole.slice(taken)
                pending, held, size = [rest], rest.height, size * rest.height // whole.height
    if held:
        yield pl.concat(pending, how="diagonal")


def _block_frame(
    block: bytes, header: list[str], delimiter: str, *, first: bool, row: int
) -> tuple[pl.DataFrame, int]:
    """A block's records (its first record numbered ``row``), blank ones left out; and how
    many records it holds."""
    odd = _odd_rows(block, len(header), delimiter, header=first)
    frame = pl.read_csv(
        block,
        has_header=False,
        skip_rows=1 if first else 0,
        separator=delimiter,
        schema=dict.fromkeys(header, pl.Utf8),
        truncate_ragged_lines=True,
        missing_columns="insert",
        extra_columns="ignore",  # a block whose first record is ragged: it sets no width
        row_index_name=ROW,
        row_index_offset=row,
    ).with_columns(pl.col(ROW).cast(pl.Int64))
    if odd.blank:
        frame = frame.filter(~pl.col(ROW).is_in([row + i for i in sorted(odd.blank)]))
    ragged = {row + i: text for i, text in odd.ragged.items()}
    frame = frame.with_columns(pl.col(ROW).is_in(sorted(ragged)).alias(RAGGED))
    if ragged:  # every value of a ragged row, surplus ones too, travels with it
        frame = frame.with_columns(
            pl.col(ROW)
            .replace_strict(list(ragged), list(ragged.values()), default=None, return_dtype=pl.Utf8)
            .alias(SOURCE)
        )
    return normalise_values(frame, header, composed=odd.composed), odd.records


def open_delimited(
    path: Path,
    *,
    encoding: str | None,
    delimiter: str | None,
    chunk_rows: int,
    name: str,
    block_bytes: int = BLOCK_BYTES,
) -> Source:
    """A CSV source read ``block_bytes`` at a time (whole records; see :mod:`.blocks`)."""
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
            yield from _chunks(path, header, delim, chunk_rows, name=name, block_bytes=block_bytes)
            return
        with tempfile.TemporaryDirectory(prefix="lienthong-csv-") as tmp:
            target = Path(tmp) / "source.csv"
            transcode_file(path, target, chosen.encoding, name=name)
            yield from _chunks(
                target, header, delim, chunk_rows, name=name, block_bytes=block_bytes
            )

    return Source(
        format="csv",
        columns=header,
        reader=reader,
        encoding=chosen.encoding,
        findings=chosen.findings,
        sheet_row_offset=1,
    )

"""Source readers: CSV (any supported encoding), XLSX, JSON Lines, Parquet and SQL pulls.

``open_source(path)`` and ``sql_source(url)`` return a :class:`Source` whose ``chunks()`` are
Polars frames of text columns plus ``_row``; fatal problems raise the errors in ``errors``.
"""

from __future__ import annotations

from pathlib import Path

from lienthong.ingest.sources.base import ERROR, RAGGED, ROW, SOURCE, Source
from lienthong.ingest.sources.delimited import open_delimited
from lienthong.ingest.sources.errors import EmptyFile, UnsupportedFormat
from lienthong.ingest.sources.jsonl import open_jsonl
from lienthong.ingest.sources.parquet import open_parquet
from lienthong.ingest.sources.sql import sql_source
from lienthong.ingest.sources.xlsx import open_xlsx

__all__ = [
    "ERROR",
    "RAGGED",
    "ROW",
    "SOURCE",
    "Source",
    "detect_format",
    "open_source",
    "sql_source",
]

FORMATS = ("csv", "xlsx", "jsonl", "parquet")
_EXTENSIONS = {
    ".csv": "csv",
    ".tsv": "csv",
    ".txt": "csv",
    ".xlsx": "xlsx",
    ".xlsm": "xlsx",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".parquet": "parquet",
    ".pq": "parquet",
}
_ALIASES = {"tsv": "csv", "ndjson": "jsonl", "json-lines": "jsonl", "excel": "xlsx"}
_OLE = b"\xd0\xcf\x11\xe0"  # legacy .xls (BIFF) and other OLE compound files


def detect_format(path: Path) -> str:
    """Magic bytes first (zip → xlsx, PAR1 → parquet), then the extension, else CSV/JSONL."""
    with path.open("rb") as handle:
        head = handle.read(512)
    if not head:
        raise EmptyFile(f"{path.name} is empty")
    if head.startswith(b"PK\x03\x04"):
        return "xlsx"
    if head.startswith(b"PAR1"):
        return "parquet"
    if head.startswith(_OLE):
        raise UnsupportedFormat(f"{path.name} is an old binary Excel/OLE file; save it as .xlsx")
    by_extension = _EXTENSIONS.get(path.suffix.lower())
    if by_extension in ("csv", "jsonl"):
        return by_extension
    if by_extension is not None:  # an .xlsx or .parquet without its signature
        return by_extension
    if path.suffix and path.suffix.lower() not in ("", ".dat", ".out"):
        raise UnsupportedFormat(f"cannot tell the format of {path.name}; pass format=")
    return "jsonl" if head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"{") else "csv"


def open_source(
    path: Path,
    *,
    format: str | None = None,
    encoding: str | None = None,
    delimiter: str | None = None,
    chunk_rows: int = 100_000,
    sheet: str | int | None = None,
) -> Source:
    """Open a file source (format from ``format=`` or detected), ready to stream chunks."""
    path = Path(path)
    if not path.is_file():
        raise EmptyFile(f"no file {path}")
    chosen = _ALIASES.get(format.lower(), format.lower()) if format else detect_format(path)
    if chosen not in FORMATS:
        raise UnsupportedFormat(
            f"unsupported format {format!r}; use one of {', '.join(FORMATS)}", where="format"
        )
    if chosen == "csv":
        return open_delimited(path, encoding=encoding, delimiter=delimiter, chunk_rows=chunk_rows)
    if chosen == "xlsx":
        return open_xlsx(path, sheet=0 if sheet is None else sheet, chunk_rows=chunk_rows)
    if chosen == "jsonl":
        return open_jsonl(path, chunk_rows=chunk_rows)
    return open_parquet(path, chunk_rows=chunk_rows)

"""Source readers: CSV (any supported encoding), XLSX, JSON Lines, Parquet and SQL pulls.

``open_source(path)`` and ``sql_source(url)`` return a :class:`Source` whose ``chunks()`` are
Polars frames of text columns plus ``_row``; fatal problems raise the errors in ``errors``.
"""

from __future__ import annotations

from pathlib import Path

from lienthong.ingest.sources.base import ERROR, RAGGED, ROW, SOURCE, Source
from lienthong.ingest.sources.delimited import open_delimited
from lienthong.ingest.sources.errors import EmptyFile, FileNotFound, UnsupportedFormat
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
    "require_file",
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
ZIP = b"PK\x03\x04"  # .xlsx is a zip
_OLE = b"\xd0\xcf\x11\xe0"  # legacy .xls (BIFF) and other OLE compound files


def require_file(path: Path, name: str | None = None) -> None:
    """A clear ``file-not-found`` for a path that is not a readable file."""
    if not path.is_file():
        shown = name or str(path)
        raise FileNotFound(f"không tìm thấy tệp {shown} / no file {shown}", where="path")


def detect_format(path: Path, name: str | None = None) -> str:
    """Magic bytes first (zip → xlsx, PAR1 → parquet), then the extension, else CSV/JSONL.

    ``name``: the file as its sender named it (its extension counts, and messages show it)."""
    name = name or path.name
    with path.open("rb") as handle:
        head = handle.read(512)
    if not head:
        raise EmptyFile(f"tệp {name} trống / {name} is empty")
    if head.startswith(ZIP):
        return "xlsx"
    if head.startswith(b"PAR1"):
        return "parquet"
    if head.startswith(_OLE):
        raise UnsupportedFormat(
            f"tệp {name} là tệp Excel cũ (.xls, OLE): hãy lưu lại thành .xlsx / "
            f"{name} is an old binary Excel/OLE file; save it as .xlsx"
        )
    suffix = Path(name).suffix.lower()
    by_extension = _EXTENSIONS.get(suffix)
    if by_extension is not None:  # also an .xlsx or .parquet without its signature
        return by_extension
    if suffix not in ("", ".dat", ".out"):
        raise UnsupportedFormat(
            f"không xác định được định dạng của tệp {name}; hãy chỉ rõ format= / "
            f"cannot tell the format of {name}; pass format="
        )
    return "jsonl" if head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"{") else "csv"


def open_source(
    path: Path,
    *,
    format: str | None = None,
    encoding: str | None = None,
    delimiter: str | None = None,
    chunk_rows: int = 100_000,
    sheet: str | int | None = None,
    name: str | None = None,
) -> Source:
    """Open a file source (format from ``format=`` or detected), ready to stream chunks.

    ``name``: the file as its sender named it (an upload is stored under a name of ours)."""
    path = Path(path)
    name = name or path.name
    require_file(path, name)
    chosen = _ALIASES.get(format.lower(), format.lower()) if format else detect_format(path, name)
    if chosen not in FORMATS:
        raise UnsupportedFormat(
            f"không hỗ trợ định dạng {format!r}; hãy dùng một trong {', '.join(FORMATS)} / "
            f"unsupported format {format!r}; use one of {', '.join(FORMATS)}",
            where="format",
        )
    if chosen != "xlsx" and _is_zip(path):
        raise UnsupportedFormat(
            f"tệp {name} là bảng tính Excel (.xlsx, nén zip), không phải {chosen}: "
            "hãy gửi với format=xlsx hoặc xuất lại thành CSV / "
            f"{name} holds an Excel workbook (.xlsx, a zip), not {chosen}: "
            "send it with format=xlsx or export it as CSV",
            where="format",
        )
    if chosen == "csv":
        return open_delimited(
            path, encoding=encoding, delimiter=delimiter, chunk_rows=chunk_rows, name=name
        )
    if chosen == "xlsx":
        return open_xlsx(
            path, sheet=0 if sheet is None else sheet, chunk_rows=chunk_rows, name=name
        )
    if chosen == "jsonl":
        return open_jsonl(path, chunk_rows=chunk_rows, name=name)
    return open_parquet(path, chunk_rows=chunk_rows, name=name)


def _is_zip(path: Path) -> bool:
    with path.open("rb") as handle:
        return handle.read(4) == ZIP

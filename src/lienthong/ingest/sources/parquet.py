"""Parquet files, read batch by batch with pyarrow; every column is cast to text.

pyarrow (and numpy with it, about 40 MiB) is imported when a Parquet file is opened, not when
the ingest sources are: a CSV ingest never needs it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import polars as pl

from lienthong.ingest.sources.base import Source, clean_header, normalise_values, with_row_numbers
from lienthong.ingest.sources.errors import EmptyFile, TruncatedFile, UnreadableFile


def open_parquet(path: Path, *, chunk_rows: int, name: str) -> Source:
    if path.stat().st_size == 0:
        raise EmptyFile(f"tệp {name} trống / {name} is empty")
    import pyarrow as pa  # only when a Parquet file is read (module docstring)
    import pyarrow.parquet as pq

    try:
        parquet = pq.ParquetFile(path)
    except (pa.ArrowInvalid, OSError) as exc:
        with path.open("rb") as handle:
            handle.seek(-4, 2)
            has_footer = handle.read(4) == b"PAR1"
        cls = UnreadableFile if has_footer else TruncatedFile
        raise cls(
            f"không đọc được tệp {name} dạng Parquet / cannot read {name} as Parquet: {exc}"
        ) from exc
    names = parquet.schema_arrow.names
    header = clean_header(names)

    def reader() -> Iterator[pl.DataFrame]:
        start = 1
        try:
            for batch in parquet.iter_batches(batch_size=chunk_rows):
                frame = pl.from_arrow(batch)
                assert isinstance(frame, pl.DataFrame)
                frame = frame.rename(dict(zip(names, header, strict=True)))
                frame = frame.with_columns(
                    pl.col(c).cast(pl.Utf8)
                    if frame[c].dtype.is_temporal()
                    or frame[c].dtype.is_numeric()
                    or frame[c].dtype == pl.Boolean
                    else pl.col(c).cast(pl.Utf8, strict=False)
                    for c in header
                )
                yield normalise_values(with_row_numbers(frame, start), header)
                start += frame.height
        except (pa.ArrowInvalid, OSError) as exc:
            raise UnreadableFile(
                f"không đọc được tệp {name} sau dòng {start - 1} / "
                f"cannot read {name} past row {start - 1}: {exc}"
            ) from exc

    return Source(format="parquet", columns=header, reader=reader)

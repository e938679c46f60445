"""Reading in bounded blocks gives what reading the whole file at once gives, and duplicate
keys are still found once the batch's seen keys have moved to disk."""

from __future__ import annotations

import codecs
import io
from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal
from sqlalchemy import Engine

from lienthong.db import transaction
from lienthong.ingest.plan import prepare
from lienthong.ingest.sources import delimited, encodings, open_source
from lienthong.ingest.sources.blocks import record_blocks, record_end
from lienthong.ingest.sources.delimited import open_delimited
from lienthong.standards.seen import Seen
from tests.ingest.encoders import encode_tcvn3, encode_vni
from tests.ingest.factories import citizen_row, write_citizens

WHOLE = 1 << 30
# Every hard case at once: multibyte letters, CRLF, a quoted value with a line break (CRLF
# inside it too), a doubled quote, a ragged row, a blank line, a row with too few fields.
TRICKY = (
    "Số CCCD,Họ và tên,Địa chỉ\r\n"
    '033090001234,Nguyễn Văn Hùng,"Thôn Đông Thượng,\r\nxã Quỳnh Hồng"\r\n'
    "034185002345,Trần Thị Ngọc Bích,Phường Hiến Nam\r\n"
    "\r\n"
    '033200003456,"Lê ""Đức"" Thắng","Số 12\nphố Điện Biên",thừa\r\n'
    "034301004567,Phạm Thị Thuỷ\r\n"
    '033095005678,Đặng Quốc Việt,"Khu phố Mỹ Hào"\r\n'
)
# TCVN3 and VNI hold toned capitals as two bytes (Ẩ, Á), which a block must not split.
LEGACY = (
    "Số CCCD,Họ và tên,Địa chỉ\r\n"
    "033090001234,Ngô Thị Ngọc Ẩn,Thôn Đông Thượng\r\n"
    "034185002345,Đặng Thị Ánh Tuyết,Phường Hiến Nam\r\n"
    "033200003456,Lê Đức Thắng,Xóm Chợ xã Vũ Tiến\r\n"
)
BLOCKS = [1, 2, 3, 7, 16, 61]


def _tcvn3(text: str) -> bytes:
    """As converters write TCVN3: a toned capital is its capital base and the toned lower-case
    letter's byte (``¢È`` = Ẩ, ``A¸`` = Á)."""
    data = encode_tcvn3(text.replace("Ẩn", "ẩn").replace("Ánh", "ánh"))
    return data.replace(b" \xc8n", b" \xa2\xc8n").replace(b" \xb8nh", b" A\xb8nh")


def _all(path: Path, block_bytes: int, **kwargs: object) -> pl.DataFrame:
    source = open_delimited(
        path,
        encoding=kwargs.get("encoding"),  # type: ignore[arg-type]
        delimiter=None,
        chunk_rows=2,
        name=path.name,
        block_bytes=block_bytes,
    )
    return pl.concat(list(source.chunks()), how="diagonal")


@pytest.mark.parametrize("block", BLOCKS)
def test_blocks_read_as_the_whole_file(tmp_path: Path, block: int) -> None:
    path = tmp_path / "tricky.csv"
    path.write_bytes(TRICKY.encode())
    whole = _all(path, WHOLE)
    assert whole["_row"].to_list() == [1, 2, 4, 5, 6]  # the blank line keeps its number
    assert whole["_ragged"].to_list() == [False, False, True, True, False]
    assert whole["Địa chỉ"][0] == "Thôn Đông Thượng,\r\nxã Quỳnh Hồng"
    assert whole["Họ và tên"][2] == 'Lê "Đức" Thắng'
    assert_frame_equal(_all(path, block), whole)


@pytest.mark.parametrize("block", BLOCKS)
def test_blocks_never_cut_a_record(block: int) -> None:
    data = TRICKY.encode()
    parts = list(record_blocks(io.BytesIO(data), block))
    assert b"".join(parts) == data
    for part in parts:
        assert part.count(b'"') % 2 == 0  # no block ends inside a quoted value
        part.decode()  # nor inside a letter's bytes
    assert record_end(b'a,"b\nc') is None
    assert record_end(b'a,"b\nc"\nd') == 8


@pytest.mark.parametrize(
    ("encoding", "encode"),
    [
        ("tcvn3", _tcvn3),
        ("vni", encode_vni),
        ("utf-16", lambda t: codecs.BOM_UTF16_LE + t.encode("utf-16-le")),
        ("utf-16-be", lambda t: t.encode("utf-16-be")),
    ],
)
@pytest.mark.parametrize("block", [1, 3, 5, 64])
def test_transcoding_in_small_blocks_reads_the_same(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, encoding: str, encode: object, block: int
) -> None:
    path = tmp_path / f"{encoding}.csv"
    path.write_bytes(encode(LEGACY))  # type: ignore[operator]
    whole = _all(path, WHOLE, encoding=encoding)
    assert whole["Họ và tên"].to_list()[:2] == ["Ngô Thị Ngọc Ẩn", "Đặng Thị Ánh Tuyết"]
    monkeypatch.setattr(encodings, "_BLOCK", block)  # the transcoder's block, odd sizes
    assert_frame_equal(_all(path, block, encoding=encoding), whole)


def test_wide_rows_make_smaller_chunks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "wide.csv"
    path.write_text("a,b\n" + "".join(f"{i},{'x' * 90}\n" for i in range(100)))
    monkeypatch.setattr(delimited, "CHUNK_BYTES", 1000)  # about ten rows of the file
    chunks = list(open_delimited(path, encoding=None, delimiter=None, chunk_rows=50,
                                 name="wide.csv", block_bytes=200).chunks())  # fmt: skip
    assert max(c.height for c in chunks) < 50
    assert pl.concat(chunks)["a"].to_list() == [str(i) for i in range(100)]


def test_seen_values_move_to_disk_and_are_still_found() -> None:
    seen = Seen(limit=3)
    seen.add(pl.Series(["k1", "k2"]))
    assert seen.spilled == 0
    seen.add(pl.Series(["k3", "k4"]))  # past the limit: all four move to disk
    seen.add(pl.Series(["k5"]))
    assert (seen.spilled, len(seen)) == (4, 5)
    assert sorted(seen.hits(pl.Series(["k1", "k5", "k9", "k4"])).to_list()) == ["k1", "k4", "k5"]
    assert seen.hits(pl.Series(["nothing"])).to_list() == []
    seen.close()


def test_seen_values_on_disk_keep_their_text_exactly() -> None:
    odd = ['a"b', "a\\b", "dòng\nmới", "Đặng Thị Ánh", "\t", "😀", "k1 ", "K1", "{}"]
    seen = Seen(limit=2)
    seen.add(pl.Series(odd))  # every value to disk, as text in a group's JSON list
    assert seen.spilled == len(odd)
    assert sorted(seen.hits(pl.Series([*odd, "k1", "a", "dòng"])).to_list()) == sorted(odd)
    many = pl.Series([f"0330{i:08d}" for i in range(60_000)])
    seen.add(many)  # more values than groups: groups hold several
    probe = pl.Series([f"0330{i:08d}" for i in range(59_990, 60_010)])
    assert sorted(seen.hits(probe).to_list()) == probe.head(10).to_list()
    seen.close()


def test_duplicates_found_on_both_sides_of_the_move_to_disk(engine: Engine, tmp_path: Path) -> None:
    # Chunks of 4 with at most 10 values in memory: rows 1-12 move to disk after the third
    # chunk, 13-16 stay in memory; the fifth chunk repeats one of each.
    rows = [citizen_row(i) for i in range(1, 17)]
    rows += [citizen_row(5), citizen_row(14), citizen_row(17), citizen_row(18)]
    path = write_citizens(tmp_path / "both.csv", rows)
    with transaction(engine) as session:
        plan = prepare(session=session, standard="citizen")
    chunks = plan.check(open_source(path, chunk_rows=4), seen_limit=10)
    found = pl.concat([c.findings for c in chunks]).select("row", "code")
    assert sorted(found.iter_rows()) == [(17, "duplicate-key"), (18, "duplicate-key")]


def test_duplicate_keys_across_chunks_once_seen_keys_spilled(
    engine: Engine, tmp_path: Path
) -> None:
    rows = [citizen_row(i) for i in range(1, 41)]
    rows += [citizen_row(3), citizen_row(22), citizen_row(39), citizen_row(3)]
    path = write_citizens(tmp_path / "many.csv", rows)
    with transaction(engine) as session:
        plan = prepare(session=session, standard="citizen")

    def findings(limit: int) -> list[tuple[int, str]]:
        chunks = plan.check(open_source(path, chunk_rows=4), seen_limit=limit)
        found = pl.concat([c.findings for c in chunks])
        return sorted(found.select("row", "code").iter_rows())

    spilled = findings(5)  # keys move to disk after the second chunk
    assert spilled == [(41, "duplicate-key"), (42, "duplicate-key"), (43, "duplicate-key"),
                       (44, "duplicate-key")]  # fmt: skip
    assert spilled == findings(1_000_000)

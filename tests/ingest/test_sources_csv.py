"""CSV sources: encodings (detected without a hint), delimiters, BOMs, ragged rows, empties."""

from __future__ import annotations

import codecs
import unicodedata
from pathlib import Path

import polars as pl
import pytest

from lienthong.ingest.sources import open_source
from lienthong.ingest.sources.base import clean_header
from lienthong.ingest.sources.errors import EmptyFile, InvalidEncoding
from lienthong.ingest.sources.legacy import decode_tcvn3, decode_vni
from lienthong.text import clean_text
from tests.ingest.encoders import encode_cp1258, encode_tcvn3, encode_vni

# Names and addresses whose capitals carry no tone mark, so TCVN3 can hold them exactly.
ROWS = [
    ["033090001234", "Nguyễn Văn Hùng", "Nam", "Thôn Đông Thượng, xã Quỳnh Hồng"],
    ["034185002345", "Trần Thị Ngọc Bích", "Nữ", "Phường Hiến Nam, Hưng Yên"],
    ["033200003456", "Lê Đức Thắng", "Nam", "Số 12 phố Điện Biên, Phường Lê Lợi"],
    ["034301004567", "Phạm Thị Thuỷ", "Nữ", "Xóm Chợ, xã Vũ Tiến, huyện Vũ Thư"],
    ["033095005678", "Đặng Quốc Việt", "Nam", "Khu phố Mỹ Hào, thị xã Mỹ Hào"],
    ["034188006789", "Vũ Thị Hương Giang", "Nữ", "Thôn Nguyễn Xá, xã Đông Hưng"],
]
HEADER = ["Số CCCD", "Họ và tên", "Giới tính", "Địa chỉ"]


def _text(delimiter: str = ",") -> str:
    lines = [delimiter.join(HEADER)]
    lines += [
        delimiter.join(f'"{v}"' if "," in v and delimiter == "," else v for v in row)
        for row in ROWS
    ]
    return "\r\n".join(lines) + "\r\n"


def _read(path: Path, **kwargs: object) -> pl.DataFrame:
    source = open_source(path, **kwargs)  # type: ignore[arg-type]
    chunks = list(source.chunks())
    return pl.concat(chunks) if chunks else pl.DataFrame()


ENCODED = {
    "utf-8": lambda t: t.encode("utf-8"),
    "utf-8-sig": lambda t: codecs.BOM_UTF8 + t.encode("utf-8"),
    "utf-16": lambda t: codecs.BOM_UTF16_LE + t.encode("utf-16-le"),
    "utf-16-be": lambda t: codecs.BOM_UTF16_BE + t.encode("utf-16-be"),
    "windows-1258": encode_cp1258,
    "tcvn3": encode_tcvn3,
    "vni": encode_vni,
}
DETECTED = {"utf-16-be": "utf-16"}


@pytest.mark.parametrize("encoding", list(ENCODED))
def test_every_encoding_is_detected_and_converted_to_nfc(tmp_path: Path, encoding: str) -> None:
    path = tmp_path / "people.csv"
    path.write_bytes(ENCODED[encoding](_text(";")))
    source = open_source(path)
    assert source.format == "csv"
    assert source.encoding == DETECTED.get(encoding, encoding)
    assert source.columns == HEADER
    frame = pl.concat(list(source.chunks()))
    assert frame.select(HEADER).rows() == [tuple(r) for r in ROWS]
    assert frame["_row"].to_list() == [1, 2, 3, 4, 5, 6]
    assert frame["_ragged"].to_list() == [False] * 6
    codes = [(f.code, f.severity) for f in source.findings]
    legacy = encoding not in ("utf-8", "utf-8-sig")
    assert codes == ([("encoding-converted", "info")] if legacy else [])
    if legacy:
        assert DETECTED.get(encoding, encoding) in source.findings[0].message


@pytest.mark.parametrize("encoding", ["windows-1258", "tcvn3", "vni"])
def test_legacy_hint_is_honoured_and_streams_in_blocks(
    tmp_path: Path, encoding: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("lienthong.ingest.sources.encodings._BLOCK", 7)  # cut mid-letter
    path = tmp_path / "people.txt"
    path.write_bytes(ENCODED[encoding](_text("\t")))
    frame = _read(path, encoding=encoding)
    assert frame.select(HEADER).rows() == [tuple(r) for r in ROWS]


def test_known_legacy_bytes_decode() -> None:
    assert decode_vni("Vieät Nam, Nguyeãn Thò Hoàng, ÑAËNG".encode("cp1252")) == (
        "Việt Nam, Nguyễn Thị Hồng, ĐẶNG"
    )
    assert decode_tcvn3(b"Nguy\xd4n H\xefng \xa7\xabng") == "Nguyễn Hùng Đông"


def test_windows_1258_combining_marks_compose(tmp_path: Path) -> None:
    path = tmp_path / "a.csv"
    path.write_bytes(b"ten,noi\nVi\xea\xf2t,Th\xe1i Bi\xccnh\n")  # ê + dot below, i + grave
    frame = _read(path)
    assert frame.select("ten", "noi").row(0) == ("Việt", "Thái Bình")
    assert unicodedata.is_normalized("NFC", frame["ten"][0])


@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"])
def test_delimiter_is_detected(tmp_path: Path, delimiter: str) -> None:
    path = tmp_path / "d.csv"
    path.write_text(_text(delimiter), encoding="utf-8")
    frame = _read(path)
    assert frame.columns == ["_row", *HEADER, "_ragged"]
    assert frame["Địa chỉ"].to_list() == [r[3] for r in ROWS]


def test_ragged_rows_are_kept_and_marked(tmp_path: Path) -> None:
    path = tmp_path / "r.csv"
    path.write_text('a,b,c\n1,,3\n4,5\n6,7,8,9\n"x,y",,\n\n"multi\nline",2,3\n', "utf-8")
    frame = _read(path)
    assert frame["_row"].to_list() == [1, 2, 3, 4, 6]
    assert frame["_ragged"].to_list() == [False, True, True, False, False]
    assert frame.row(0) == (1, "1", None, "3", False, None)
    assert frame.row(2) == (3, "6", "7", "8", True, "6,7,8,9")  # the surplus 9 is kept
    assert frame.row(4) == (6, "multi\nline", "2", "3", False, None)
    assert frame["_source"].to_list()[1] == "4,5"


def test_ragged_rows_without_multiline_fields(tmp_path: Path) -> None:
    path = tmp_path / "r.csv"
    path.write_text('a;b\n1;2\n3\n4;5;6\n"7;8";9\n', "utf-8")
    frame = _read(path)
    assert frame["_ragged"].to_list() == [False, True, True, False]
    assert frame["a"].to_list() == ["1", "3", "4", "7;8"]
    assert frame["_source"].to_list() == [None, "3", "4;5;6", None]


def test_crlf_blank_and_ragged_lines(tmp_path: Path) -> None:
    path = tmp_path / "r.csv"
    path.write_bytes(b"a;b\r\n1;2\r\n\r\n3\r\n4;5;6\r\n7;8\r\n")
    frame = _read(path)
    assert frame["_row"].to_list() == [1, 3, 4, 5]  # line 2 is blank: skipped, still counted
    assert frame["_ragged"].to_list() == [False, True, True, False]
    assert frame["b"].to_list() == ["2", None, "5", "8"]
    assert frame["_source"].to_list() == [None, "3", "4;5;6", None]  # no "\r"


def test_empty_file_is_fatal(tmp_path: Path) -> None:
    path = tmp_path / "e.csv"
    path.write_bytes(b"")
    with pytest.raises(EmptyFile) as caught:
        open_source(path)
    assert caught.value.code == "empty-file" and caught.value.status == 422
    path.write_bytes(b"\n\n")
    with pytest.raises(EmptyFile):
        open_source(path)


def test_header_only_file_has_no_chunks(tmp_path: Path) -> None:
    path = tmp_path / "h.csv"
    path.write_text("Số CCCD;Họ và tên\n", "utf-8")
    source = open_source(path)
    assert source.columns == ["Số CCCD", "Họ và tên"]
    assert list(source.chunks()) == []


def test_header_is_nfc_and_stripped_values_nfc_and_empty_null(tmp_path: Path) -> None:
    path = tmp_path / "n.csv"
    nfd = "Nguye\u0302\u0303n"
    path.write_text(f" Ho\u0323 te\u0302n ,x,x\n{nfd},,\n", "utf-8")
    source = open_source(path)
    assert source.columns == ["Họ tên", "x", "x_2"]
    frame = pl.concat(list(source.chunks()))
    assert frame.row(0) == (1, "Nguyễn", None, None, False)


def test_undecodable_bytes_are_invalid_encoding(tmp_path: Path) -> None:
    path = tmp_path / "bin.csv"
    path.write_bytes(bytes(range(128, 256)) * 20)
    with pytest.raises(InvalidEncoding) as caught:
        open_source(path)
    assert caught.value.code == "invalid-encoding"


def test_chunks_respect_chunk_rows(tmp_path: Path) -> None:
    path = tmp_path / "c.csv"
    path.write_text("a\n" + "".join(f"{i}\n" for i in range(25)), "utf-8")
    sizes = [c.height for c in open_source(path, chunk_rows=10).chunks()]
    assert sum(sizes) == 25 and max(sizes) <= 10


def test_headers_and_values_share_one_cleaning() -> None:
    # A header cell can carry the file's byte-order mark; a source keeps values as written
    # (a quarantined value shows what was sent) and validation trims them; control characters
    # are data, kept.
    assert clean_header(["\ufeff Ho\u0323 te\u0302n", "  ", None, "\tsex\x07"]) == [
        "Họ tên", "column_2", "column_3", "sex\x07"
    ]  # fmt: skip
    frame = pl.DataFrame({"v": [" Ho\u0323 ", "", "  ", "a\x00b", None]})
    kept = frame.select(clean_text(pl.col("v"), trim=False)).to_series().to_list()
    assert kept == [" Họ ", None, "  ", "a\x00b", None]
    trimmed = frame.select(clean_text(pl.col("v"))).to_series().to_list()
    assert trimmed == ["Họ", None, None, "a\x00b", None]

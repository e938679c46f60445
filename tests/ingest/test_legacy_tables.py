"""TCVN3 and VNI decoding checked against bytes written by an independent converter.

The fixtures in data/vietnamese-conversion were produced once by the npm package
vietnamese-conversion 2.0.0 (see the README there); nothing is fetched when the tests run.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from lienthong.ingest.sources import open_source
from lienthong.ingest.sources.legacy import decode_tcvn3, decode_vni
from tests.ingest.encoders import encode_vni

DATA = Path(__file__).parent / "data" / "vietnamese-conversion"
LETTERS = (DATA / "letters.txt").read_text("utf-8").splitlines()
# The converter writes ỹ/Ỹ as the bytes of ì/Ì; those bytes cannot mean both, and stay ì/Ì.
VNI_AMBIGUOUS = {"ỹ": "ì", "Ỹ": "Ì"}


def test_the_fixture_holds_all_134_letters() -> None:
    assert len(LETTERS) == len(set(LETTERS)) == 134
    assert sum(letter.islower() for letter in LETTERS) == 67


def test_tcvn3_decodes_every_letter_as_the_converter_writes_it() -> None:
    decoded = decode_tcvn3((DATA / "tcvn3.txt").read_bytes()).splitlines()
    wrong = [(want, got) for want, got in zip(LETTERS, decoded, strict=True) if want != got]
    assert not wrong


@pytest.mark.parametrize(
    ("encoded", "name"),
    [
        (b"\xa7\xc6ng Th\xde A\xb8nh Tuy\xd5t", "Đặng Thị Ánh Tuyết"),
        (b"Ng\xab Th\xde Ng\xe4c \xa2\xc8n", "Ngô Thị Ngọc Ẩn"),
    ],
)
def test_tcvn3_toned_capitals_are_one_letter(encoded: bytes, name: str) -> None:
    assert decode_tcvn3(encoded) == name


def test_vni_decodes_every_letter_as_the_converter_writes_it() -> None:
    decoded = decode_vni((DATA / "vni.txt").read_bytes()).splitlines()
    expected = [VNI_AMBIGUOUS.get(letter, letter) for letter in LETTERS]
    wrong = [(want, got) for want, got in zip(expected, decoded, strict=True) if want != got]
    assert not wrong


def test_vni_standard_sequences_decode_too() -> None:
    # Standard VNI-Windows writes ỷ ỹ as y + mark; the converter's single bytes are accepted too.
    assert decode_vni("yû YÛ yõ YÕ yï î Î ë Ë".encode("cp1252")) == "ỷ Ỷ ỹ Ỹ ỵ ỵ Ỵ ỷ Ỷ"
    assert decode_vni(encode_vni("\n".join(LETTERS))).splitlines() == LETTERS


@pytest.mark.parametrize("encoding", ["tcvn3", "vni"])
def test_a_register_from_the_converter_is_detected_and_read(encoding: str) -> None:
    expected = pl.read_csv(DATA / "names.csv", infer_schema=False)
    source = open_source(DATA / f"names-{encoding}.csv")
    assert source.encoding == encoding
    frame = pl.concat(list(source.chunks()))
    assert frame.select(expected.columns).rows() == expected.rows()

"""A delimited file's bytes in bounded blocks that end where a record ends.

A record ends at a line break outside quotes. Quotes are counted as the CSV parser's own line
splitter counts them (every ``"`` opens or closes a quoted stretch; a doubled ``""`` inside one
does both), so a block never cuts a quoted value that holds a line break. A single record
longer than a block makes that block longer: memory is bounded by the block size or the longest
record, whichever is larger, never by the file.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import BinaryIO

BLOCK_BYTES = 4 << 20
QUOTE = b'"'


def record_end(data: bytes, quotes_before: int = 0) -> int | None:
    """Where the last whole record of ``data`` ends: just after its last line break outside
    quotes (None if there is none). ``quotes_before``: the quotes of the record's part already
    read before ``data``."""
    if QUOTE not in data and quotes_before % 2 == 0:  # the usual case: one byte search
        cut = data.rfind(b"\n")
        return cut + 1 if cut >= 0 else None
    quotes = quotes_before + data.count(QUOTE)
    end = len(data)
    while True:
        cut = data.rfind(b"\n", 0, end)
        if cut < 0:
            return None
        quotes -= data.count(QUOTE, cut + 1, end)  # the quotes before the break
        if quotes % 2 == 0:
            return cut + 1
        end = cut


def record_blocks(handle: BinaryIO, size: int = BLOCK_BYTES) -> Iterator[bytes]:
    """Blocks of about ``size`` bytes, each made of whole records (the last one ends where the
    file does)."""
    pending, quotes = b"", 0  # the start of a record the last block cut, and its quotes
    while block := handle.read(size):
        cut = record_end(block, quotes)
        if cut is None:  # a record longer than a block
            pending += block
            quotes += block.count(QUOTE)
            continue
        if not pending and cut == len(block):
            yield block
        else:
            yield b"".join((pending, memoryview(block)[:cut]))  # one copy
        pending = block[cut:]
        quotes = pending.count(QUOTE)
    if pending:
        yield pending

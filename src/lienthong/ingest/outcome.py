"""What a load came to, said so nobody misses quarantined rows: an outcome, a message and the
command's exit status (documented in docs/ingest.md and docs/cli.md).

A batch that quarantined every row still completed — it recorded what it did — so its status
says nothing of how the data fared; the outcome does.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

LOADED = "loaded"  # every row read was loaded (or the source was empty)
PARTLY_QUARANTINED = "partly-quarantined"
NOTHING_LOADED = "nothing-loaded"  # rows were read and every one was quarantined

# Exit statuses of ``lienthong ingest file`` and ``ingest pull``; 1 stays an error, 2 a usage
# error, 78 a refused start.
EXIT_LOADED = 0
EXIT_QUARANTINED = 3
EXIT_REJECTED = 4  # nothing loaded, or more rows quarantined than --max-invalid allows

_LIMIT = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(%?)\s*$")


def outcome(*, rows_read: int, rows_loaded: int, rows_quarantined: int) -> str:
    if rows_quarantined == 0:
        return LOADED
    return NOTHING_LOADED if rows_loaded == 0 else PARTLY_QUARANTINED


def message(
    *, rows_read: int, rows_loaded: int, rows_quarantined: int, already_open: int = 0
) -> str:
    """The outcome in a sentence, Vietnamese first; ``already_open``: quarantined rows whose
    entry was open already (sent before)."""
    found = outcome(rows_read=rows_read, rows_loaded=rows_loaded, rows_quarantined=rows_quarantined)
    if found == LOADED:
        return f"Đã nạp tất cả {rows_loaded} dòng / All {rows_loaded} rows loaded"
    again_vi = f" ({already_open} dòng đã có trong hàng cách ly từ trước)" if already_open else ""
    again_en = f" ({already_open} of them already open in the quarantine)" if already_open else ""
    if found == NOTHING_LOADED:
        return (
            f"Không nạp được dòng nào: {rows_quarantined}/{rows_read} dòng bị cách ly{again_vi} / "
            f"No row loaded: {rows_quarantined} of {rows_read} rows quarantined{again_en}"
        )
    return (
        f"{rows_quarantined}/{rows_read} dòng bị cách ly{again_vi}, {rows_loaded} dòng đã nạp / "
        f"{rows_quarantined} of {rows_read} rows quarantined{again_en}, {rows_loaded} loaded"
    )


@dataclass(frozen=True)
class MaxInvalid:
    """How many quarantined rows a script accepts: a count (``0``, ``25``) or a share of the
    rows read (``5%``)."""

    amount: float
    percent: bool

    @classmethod
    def parse(cls, text: str) -> MaxInvalid:
        match = _LIMIT.match(text)
        if match is None or (not match.group(2) and "." in match.group(1)):
            raise ValueError(f"{text!r} is neither a count (5) nor a percentage (5%)")
        amount = float(match.group(1))
        if match.group(2) and amount > 100:
            raise ValueError(f"{text!r} is more than 100%")
        return cls(amount, bool(match.group(2)))

    def exceeded(self, *, rows_read: int, rows_quarantined: int) -> bool:
        if self.percent:
            return rows_quarantined * 100 > self.amount * rows_read
        return rows_quarantined > self.amount


def exit_status(
    *, rows_read: int, rows_loaded: int, rows_quarantined: int, limit: MaxInvalid | None
) -> int:
    """0 every row loaded; 3 some quarantined (within ``limit``); 4 none loaded, or over it."""
    found = outcome(rows_read=rows_read, rows_loaded=rows_loaded, rows_quarantined=rows_quarantined)
    if found == LOADED:
        return EXIT_LOADED
    if found == NOTHING_LOADED:
        return EXIT_REJECTED
    if limit is not None and limit.exceeded(rows_read=rows_read, rows_quarantined=rows_quarantined):
        return EXIT_REJECTED
    return EXIT_QUARANTINED

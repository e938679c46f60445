"""Bounded integers: a number from a request fits the database column it is compared with.

Row ids and version numbers are ``INTEGER`` columns (signed 32-bit on PostgreSQL), store keys
of type integer are ``BIGINT``. A path, query or body integer outside its column's range is
refused by validation (422) or cannot match (404), instead of failing in the database driver.
"""

from __future__ import annotations

from typing import Annotated

from annotated_types import Interval

INTEGER_MAX = 2**31 - 1
BIGINT_MIN, BIGINT_MAX = -(2**63), 2**63 - 1

# Row ids and version numbers, in paths, query strings and request bodies.
Id = Annotated[int, Interval(ge=1, le=INTEGER_MAX)]


def fits_bigint(value: int) -> bool:
    return BIGINT_MIN <= value <= BIGINT_MAX

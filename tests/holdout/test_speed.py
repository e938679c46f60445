"""20,000 persons generate in well under 30 seconds."""

from __future__ import annotations

from tests.holdout.conftest import PERSONS, Generated


def test_twenty_thousand_persons_in_under_30_seconds(generated: Generated) -> None:
    assert PERSONS == 20_000
    assert generated.seconds < 30

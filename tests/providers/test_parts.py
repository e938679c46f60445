"""The proxy's parts on their own: matching a path to a declared operation, the breaker."""

from __future__ import annotations

import pytest

from lienthong.errors import LienthongError
from lienthong.providers.breaker import Breaker, BreakerState
from lienthong.providers.openapi import Matcher, parse
from lienthong.providers.proxy import operation_for
from tests.providers.provider import DOCUMENT


def test_a_literal_path_wins_over_a_template_and_dot_segments_match_nothing() -> None:
    matcher = Matcher(parse(DOCUMENT).operations)
    assert operation_for(matcher, "GET", "parcels/search").id == "searchParcels"
    assert operation_for(matcher, "GET", "parcels/33-1").id == "getParcel"
    assert operation_for(matcher, "DELETE", "parcels/33-1").id == "deleteParcel"
    for path in ("parcels/..", "parcels/.", "parcels/", "parcels/1/x", "nothing"):
        with pytest.raises(LienthongError) as caught:
            operation_for(matcher, "GET", path)
        assert caught.value.code == "unknown-operation", path
    with pytest.raises(LienthongError) as refused:
        operation_for(matcher, "POST", "parcels/1")
    assert (refused.value.status, refused.value.code) == (405, "method-not-declared")


def test_the_breaker_opens_after_k_failures_lets_one_trial_through_and_closes() -> None:
    now = [0.0]
    breaker = Breaker(failures=3, open_seconds=10, clock=lambda: now[0])
    for _ in range(2):
        assert breaker.admit() is None
        breaker.failed()
    breaker.succeeded()  # a success in between: the count starts again
    for _ in range(3):
        assert breaker.admit() is None
        breaker.failed()
    assert breaker.state is BreakerState.open
    now[0] = 4.0
    assert breaker.admit() == pytest.approx(6.0)
    now[0] = 10.0
    assert breaker.admit() is None  # the trial
    assert breaker.admit() is not None  # others wait for it
    breaker.failed()  # the trial failed: open again, for another 10 s
    assert breaker.state is BreakerState.open and breaker.admit() == pytest.approx(10.0)
    now[0] = 20.0
    assert breaker.admit() is None
    breaker.succeeded()
    assert breaker.state is BreakerState.closed and breaker.admit() is None


def test_a_trial_call_that_ends_without_an_outcome_lets_the_next_one_try() -> None:
    now = [0.0]
    breaker = Breaker(failures=1, open_seconds=5, clock=lambda: now[0])
    breaker.failed()
    now[0] = 5.0
    assert breaker.admit() is None  # the trial, then cancelled
    assert breaker.admit() is not None
    breaker.release()
    assert breaker.admit() is None
    breaker.succeeded()
    assert breaker.state is BreakerState.closed

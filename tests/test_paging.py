"""The cursor seal: positions unreadable, bound to their context, one key per deployment."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest

from lienthong.config import Settings
from lienthong.errors import ConfigurationError, ValidationFailed
from lienthong.linkage.ids import master_id_key
from lienthong.paging import CursorSeal, cursor_seal

PERSON = "033090000001"


def test_a_sealed_position_is_unreadable_and_opens_only_in_its_context() -> None:
    seal = CursorSeal(b"one deployment")
    cursor = seal.seal([PERSON, 7], ("system", 5, "citizen"))
    raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
    assert PERSON.encode() not in raw and PERSON not in cursor
    assert seal.open(cursor, ("system", 5, "citizen"), 2) == [PERSON, 7]
    for context, width in [(("system", 6, "citizen"), 2), (("system", 5), 2), ((), 2)]:
        with pytest.raises(ValidationFailed):
            seal.open(cursor, context, width)
    with pytest.raises(ValidationFailed):
        seal.open(cursor, ("system", 5, "citizen"), 1)  # another list's width
    with pytest.raises(ValidationFailed):
        CursorSeal(b"another deployment").open(cursor, ("system", 5, "citizen"), 2)


def test_sets_in_a_context_bind_the_same_whatever_their_order() -> None:
    seal = CursorSeal(b"one deployment")
    cursor = seal.seal(["a"], ("store", frozenset({"12166", "12169", "12172"})))
    assert seal.open(cursor, ("store", {"12172", "12166", "12169"}), 1) == ["a"]


def test_every_process_of_a_deployment_shares_the_key(tmp_path: Path) -> None:
    settings = Settings(environment="test", data_dir=tmp_path)
    issued = cursor_seal(settings).seal(["x"], ("list",))
    again = Settings(environment="test", data_dir=tmp_path)  # another worker, same data_dir
    assert cursor_seal(again).open(issued, ("list",), 1) == ["x"]
    configured = Settings(environment="production", data_dir=tmp_path, cursor_key="k" * 32)
    with pytest.raises(ValidationFailed):  # the configured key replaces the generated one
        cursor_seal(configured).open(issued, ("list",), 1)


def test_production_refuses_to_run_without_the_keys(tmp_path: Path) -> None:
    settings = Settings(environment="production", data_dir=tmp_path)
    for load in (cursor_seal, master_id_key):
        with pytest.raises(ConfigurationError) as caught:
            load(settings)
        assert caught.value.code == "missing-secret"
    configured = Settings(
        environment="production", data_dir=tmp_path, cursor_key="c" * 32, master_id_key="m" * 32
    )
    assert (
        cursor_seal(configured).open(cursor_seal(configured).seal([1], ()), (), 1) == [1]
        and master_id_key(configured) == b"m" * 32
    )


def test_a_cursor_has_one_text_only() -> None:
    """Base64 leaves spare bits in the last character: every other spelling is refused."""
    seal = CursorSeal(b"one deployment")
    for n in range(40):  # lengths and last characters of every kind
        cursor = seal.seal(["x" * n], ())
        assert seal.open(cursor, (), 1) == ["x" * n]
        alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
        for other in alphabet.replace(cursor[-1], ""):
            with pytest.raises(ValidationFailed):
                seal.open(cursor[:-1] + other, (), 1)
        for noise in ("=", "==", "\n", " ", "!"):
            with pytest.raises(ValidationFailed):
                seal.open(cursor + noise, (), 1)

"""Cursors are opaque and tamper-evident: they reveal no key and work only where issued."""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.contract.test_error_shape import assert_error_shape
from tests.exchange.factories import approve, get_token, make_consumer, request_grant
from tests.registry.factories import make_org

PURPOSE = {"X-Purpose": "public-service"}
LIST = "/api/v1/data/citizen"


def _readable(cursor: str) -> str:
    """Whatever a caller can read out of a cursor: the text and its base64 decoding."""
    padded = cursor + "=" * (-len(cursor) % 4)
    try:
        decoded = base64.urlsafe_b64decode(padded).decode("latin-1")
    except (binascii.Error, ValueError):
        decoded = ""
    return cursor + decoded


def _crafted(values: list[Any]) -> str:
    raw = json.dumps(values, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


@pytest.fixture
def portal(client: TestClient, operator: dict[str, str], citizens: list[str]) -> dict[str, str]:
    """A system granted only ``full_name`` of citizens in province 33."""
    make_org(client, operator, "H33.01")
    token = get_token(client, make_consumer(client, operator, "H33.05", "portal"))
    approve(client, operator, request_grant(client, token, fields=["full_name"])["id"])
    return token | PURPOSE


def test_paging_one_by_one_reveals_no_personal_id(
    client: TestClient, portal: dict[str, str], citizens: list[str]
) -> None:
    names, cursors, cursor = [], [], None
    while True:
        params = {"limit": 1} | ({"cursor": cursor} if cursor else {})
        page = client.get(LIST, params=params, headers=portal)
        assert page.status_code == 200, page.text
        names += [item["full_name"] for item in page.json()["items"]]
        cursor = page.json()["next_cursor"]
        if cursor is None:
            break
        cursors.append(cursor)
    assert names == [f"Nguyễn Văn {n}" for n in range(1, 6)]
    assert len(cursors) == 4
    for cursor in cursors:
        readable = _readable(cursor)
        for person in citizens:
            assert person not in readable and person[-6:] not in readable
    # Each cursor is fresh: two pages of the same position do not give the same text.
    again = client.get(LIST, params={"limit": 1}, headers=portal).json()["next_cursor"]
    assert again != cursors[0]


@pytest.mark.parametrize(
    "values", [[{"a": 1}], [None], ["abc"], ["0"], [1], [[]], [], ["a", "b"], {"k": 1}]
)
def test_crafted_cursor_is_refused(
    client: TestClient, portal: dict[str, str], values: list[Any]
) -> None:
    response = client.get(LIST, params={"cursor": _crafted(values)}, headers=portal)
    assert_error_shape(response, 422, "validation-failed", "cursor")
    assert response.json()["error"]["details"][0]["code"] == "invalid-cursor"


def test_tampered_cursor_is_refused(client: TestClient, portal: dict[str, str]) -> None:
    cursor = client.get(LIST, params={"limit": 2}, headers=portal).json()["next_cursor"]
    assert client.get(LIST, params={"cursor": cursor}, headers=portal).status_code == 200
    for broken in (
        cursor[:-1] + ("A" if cursor[-1] != "A" else "B"),
        cursor[:10] + ("A" if cursor[10] != "A" else "B") + cursor[11:],
        cursor[:-4],
        cursor + "AAAA",
        "!!",
        "",
        "x" * 5000,
    ):
        response = client.get(LIST, params={"cursor": broken}, headers=portal)
        if broken == "":
            assert response.status_code == 200  # no cursor: the first page
            continue
        assert_error_shape(response, 422, "validation-failed", "cursor")


def test_cursor_works_only_for_its_caller_and_query(
    client: TestClient, operator: dict[str, str], portal: dict[str, str]
) -> None:
    other = get_token(client, make_consumer(client, operator, "H33.06", "tax"))
    approve(client, operator, request_grant(client, other, fields=["full_name"])["id"])
    other = other | PURPOSE
    cursor = client.get(LIST, params={"limit": 2}, headers=portal).json()["next_cursor"]
    assert client.get(LIST, params={"cursor": cursor}, headers=portal).status_code == 200
    foreign = client.get(LIST, params={"cursor": cursor}, headers=other)
    assert_error_shape(foreign, 422, "validation-failed", "cursor")
    filtered = client.get(
        LIST, params={"cursor": cursor, "full_name": "Nguyễn Văn 4"}, headers=portal
    )
    assert_error_shape(filtered, 422, "validation-failed", "cursor")
    elsewhere = client.get("/api/v1/grants", params={"cursor": cursor}, headers=portal)
    assert_error_shape(elsewhere, 422, "validation-failed", "cursor")


def test_registry_list_cursor_is_sealed(client: TestClient, operator: dict[str, str]) -> None:
    for code in ("H33.01", "H33.02", "H33.03"):
        make_org(client, operator, code)
    first = client.get("/api/v1/organisations", params={"limit": 1}, headers=operator).json()
    assert "H33.01" not in _readable(first["next_cursor"])
    rest = client.get(
        "/api/v1/organisations", params={"cursor": first["next_cursor"]}, headers=operator
    ).json()
    assert [o["code"] for o in first["items"] + rest["items"]] == ["H33.01", "H33.02", "H33.03"]
    probe = client.get(
        "/api/v1/organisations", params={"cursor": _crafted(["H33.01"])}, headers=operator
    )
    assert_error_shape(probe, 422, "validation-failed", "cursor")

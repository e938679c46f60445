"""Indicator sets are data: a later set with components loads and scores without code change;
a malformed one is refused precisely; a loaded one never changes."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from lienthong.config import Settings
from lienthong.dti.sets import builtin_document, parse_set
from lienthong.errors import ValidationFailed
from tests.contract.test_error_shape import assert_error_shape
from tests.dti.factories import DX, YEAR, audit_bodies, departments

# A made-up later set (its figures are test data, not a published decision): two main
# indicators, the first with two components, one of them estimated from a platform fact.
LATER: dict[str, Any] = {
    "id": "test-2030",
    "title_vi": "Bộ chỉ số thử nghiệm",
    "title_en": "A test set",
    "total": 10,
    "decimals": 3,
    "indicators": [
        {
            "key": "government",
            "name_vi": "Chính quyền số",
            "name_en": "Digital government",
            "weight": 6,
            "components": [
                {
                    "key": "connected",
                    "name_vi": "Kết nối",
                    "name_en": "Connected",
                    "weight": 1,
                    "estimate": {"facts": [{"fact": "registry.connected_share"}]},
                },
                {"key": "services", "name_vi": "Dịch vụ", "name_en": "Services", "weight": 3},
            ],
        },
        {"key": "society", "name_vi": "Xã hội số", "name_en": "Digital society", "weight": 4},
    ],
}


def test_builtin_set_is_listed(client: TestClient) -> None:
    items = client.get("/api/v1/dti/sets").json()["items"]
    assert [(s["id"], s["builtin"], s["decision"]) for s in items] == [
        ("922-2022", True, "922/QĐ-BTTTT")
    ]
    one = client.get("/api/v1/dti/sets/922-2022").json()
    assert one["indicators"][5] == "gov_activity"
    assert one["document"]["indicators"][5]["name_vi"] == "Hoạt động chính quyền số"


def test_a_later_set_loads_and_scores_without_code_change(
    client: TestClient, operator: dict[str, str], engine: Engine
) -> None:
    assert_error_shape(client.post("/api/v1/dti/sets", json=LATER), 401, "missing-token")
    response = client.post("/api/v1/dti/sets", json=LATER, headers=operator)
    assert response.status_code == 201, response.text
    assert response.json()["indicators"] == ["government", "society"]
    assert [b["detail"] for b in audit_bodies(engine) if b["action"] == "dti.set.load"] == [
        {"set": "test-2030"}
    ]
    scores = client.post(
        "/api/v1/dti/score",
        json={
            "set": "test-2030",
            "rows": [
                {"province": "A", "government": 0.5, "society": 0.25},  # (3 + 1) / 10
                {"province": "B", "government": 0.6, "society": 0.1},  # (3.6 + 0.4) / 10
                {"province": "C", "government": 0.55, "society": 0.2},  # (3.3 + 0.8) / 10
            ],
        },
    ).json()
    assert scores == [
        {"province": "C", "index": 0.41, "rank": 1},
        {"province": "A", "index": 0.4, "rank": 2},
        {"province": "B", "index": 0.4, "rank": 2},
    ]
    again = client.post("/api/v1/dti/sets", json=LATER, headers=operator)
    assert_error_shape(again, 409, "indicator-set-exists")


def test_components_roll_up_in_the_scorecard(
    client: TestClient, operator: dict[str, str], engine: Engine, settings: Settings
) -> None:
    departments(engine, settings)  # 1 of 3 connected: the "connected" component is 0.3333
    client.post("/api/v1/dti/sets", json=LATER, headers=operator)
    for key, value in (("services", 0.6), ("society", 0.5)):
        body = {"set": "test-2030", "year": YEAR, "indicator": key, "value": value}
        body |= {"organisation": DX, "evidence": "Quyết định 1/QĐ-UBND"}
        assert client.post("/api/v1/dti/declarations", json=body, headers=operator).is_success
    parent = {"set": "test-2030", "year": YEAR, "indicator": "government", "value": 0.9}
    parent |= {"organisation": DX, "evidence": "x"}
    refused = client.post("/api/v1/dti/declarations", json=parent, headers=operator)
    assert_error_shape(refused, 422, "validation-failed", "indicator")
    card = client.get(
        "/api/v1/dti/scorecard", params={"set": "test-2030", "year": YEAR}, headers=operator
    ).json()
    lines = {line["key"]: line for line in card["lines"]}
    assert [(line["key"], line["depth"]) for line in card["lines"]] == [
        ("government", 0),
        ("connected", 1),
        ("services", 1),
        ("society", 0),
    ]
    # government = (1 × 0.3333 + 3 × 0.6) / 4 = 0.533325 → 0.5333; index (6 × 0.5333 + 2) / 10
    assert (lines["government"]["source"], lines["government"]["value"]) == ("components", 0.5333)
    assert card["index"] == 0.52


def _broken(path: list[Any], value: Any) -> dict[str, Any]:
    document = copy.deepcopy(builtin_document("922-2022"))
    target: Any = document
    for part in path[:-1]:
        target = target[part]
    target[path[-1]] = value
    return document


@pytest.mark.parametrize(
    ("path", "value", "field"),
    [
        (["id"], "no spaces allowed", "id"),
        (["indicators", 5, "weight"], 150, "total"),
        (["indicators", 0, "weight"], -1, "indicators.0.weight"),
        (["indicators", 1, "key"], "awareness", "indicators"),
        (["indicators", 5, "estimate", "facts", 0, "fact"], "soc.alerts", "indicators.5.estimate"),
        (["rounding"], "banker", "rounding"),
        (["decimals"], 12, "decimals"),
    ],
)
def test_malformed_sets_are_refused_with_the_part_named(
    path: list[Any], value: Any, field: str
) -> None:
    with pytest.raises(ValidationFailed) as caught:
        parse_set(_broken(path, value))
    assert caught.value.code == "invalid-indicator-set"
    assert caught.value.details[0].field.startswith(field)


def test_a_count_fact_needs_a_target() -> None:
    document = _broken(["indicators", 2, "estimate"], {"facts": [{"fact": "exchange.data_reads"}]})
    with pytest.raises(ValidationFailed) as caught:
        parse_set(document)
    assert caught.value.details[0].field == "indicators.2.estimate.facts.0.target"
    document["indicators"][2]["estimate"]["facts"][0]["target"] = 1000
    assert parse_set(document).node("infrastructure") is not None

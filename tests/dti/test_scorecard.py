"""Facts, declarations and the scorecard: values from platform facts where the platform holds
them, otherwise declared with evidence by the responsible department; every change audited."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from lienthong.audit.service import record
from lienthong.config import Settings
from lienthong.db import transaction
from lienthong.events import event
from tests.contract.test_error_shape import assert_error_shape
from tests.dti.factories import (
    DX,
    JUSTICE,
    YEAR,
    audit_bodies,
    departments,
    ingest_public_services,
)

DECLARED = {
    "awareness": 0.9,
    "institutions": 0.8,
    "workforce": 0.7,
    "cybersecurity": 0.6,
    "economy_activity": 0.5,
}


def declare(
    client: TestClient, operator: dict[str, str], indicator: str, value: float, **more: Any
) -> Any:
    body = {
        "year": YEAR,
        "indicator": indicator,
        "value": value,
        "organisation": DX,
        "evidence": f"Báo cáo số 12/BC-STTTT về {indicator}",
    } | more
    return client.post("/api/v1/dti/declarations", json=body, headers=operator)


@pytest.fixture
def province(
    client: TestClient, operator: dict[str, str], engine: Engine, settings: Settings, tmp_path: Path
) -> TestClient:
    ingest_public_services(engine, settings, tmp_path, departments(engine, settings))
    with transaction(engine) as session:  # two answered data requests, one refused
        for outcome in ("ok", "ok", "denied"):
            action = "data.read" if outcome == "ok" else "data.refused"
            record(
                session=session,
                settings=settings,
                entry=event(action, actor={"kind": "system"}, outcome=outcome),
            )
    for indicator, value in DECLARED.items():
        assert declare(client, operator, indicator, value).status_code == 201
    client.headers.update(operator)  # the scorecard and facts need a caller
    return client


def test_facts_of_the_year(province: TestClient) -> None:
    facts = {f["key"]: f for f in province.get("/api/v1/dti/facts", params={"year": YEAR}).json()}
    assert facts["registry.connected_share"]["value"] == 0.3333  # 1 of 3 departments
    assert facts["public_services.full_online_share"]["value"] == 0.6
    assert (
        facts["public_services.online_application_share"]["numerator"],
        facts["public_services.online_application_share"]["denominator"],
    ) == (330, 470)
    assert facts["public_services.online_application_share"]["value"] == 0.7021
    assert facts["public_services.on_time_share"]["value"] == 0.9255
    assert facts["public_services.online_payment_share"]["value"] == 0.4255
    assert facts["exchange.data_reads"]["value"] == 2
    assert facts["ingest.valid_row_share"]["value"] == round(10 / 12, 4)  # 1 bad row in each
    last_year = province.get("/api/v1/dti/facts", params={"year": YEAR - 1}).json()
    assert {f["key"]: f["value"] for f in last_year}["exchange.data_reads"] == 0


def test_scorecard_takes_facts_first_then_declarations(
    province: TestClient, operator: dict[str, str]
) -> None:
    # A declaration for an indicator the platform measures does not override the facts.
    assert declare(province, operator, "gov_activity", 0.99).status_code == 201
    card = province.get("/api/v1/dti/scorecard", params={"set": "922-2022", "year": YEAR}).json()
    lines = {line["key"]: line for line in card["lines"]}
    assert lines["gov_activity"]["source"] == "facts"
    assert lines["gov_activity"]["value"] == 0.7425  # mean of 0.6, 0.7021, 0.9255
    assert (lines["infrastructure"]["source"], lines["infrastructure"]["value"]) == (
        "facts",
        0.3333,
    )
    assert lines["society_activity"]["value"] == 0.4255
    assert lines["awareness"]["source"] == "declared"
    assert lines["awareness"]["evidence"] == "Báo cáo số 12/BC-STTTT về awareness"
    assert lines["awareness"]["organisation"] == DX
    # (90 + 80 + 33.33 + 70 + 60 + 200 × 0.7425 + 75 + 150 × 0.4255) / 1000 = 0.620655
    assert card["index"] == 0.6207 and card["missing"] == []


def test_without_facts_the_declaration_counts_and_a_gap_leaves_no_index(
    client: TestClient, operator: dict[str, str], engine: Engine, settings: Settings
) -> None:
    departments(engine, settings)
    assert declare(client, operator, "gov_activity", 0.8).status_code == 201
    assert declare(client, operator, "gov_activity", 0.85, organisation=JUSTICE).status_code == 201
    card = client.get(
        "/api/v1/dti/scorecard", params={"set": "922-2022", "year": YEAR}, headers=operator
    ).json()
    lines = {line["key"]: line for line in card["lines"]}
    assert (lines["gov_activity"]["source"], lines["gov_activity"]["value"]) == ("declared", 0.85)
    assert lines["gov_activity"]["organisation"] == JUSTICE  # the latest declaration
    assert card["index"] is None and "awareness" in card["missing"]
    listed = client.get(
        "/api/v1/dti/declarations", params={"set": "922-2022", "year": YEAR}, headers=operator
    )
    assert [d["value"] for d in listed.json()["items"]] == [0.8, 0.85]


def test_declarations_are_audited_and_need_the_operator(
    client: TestClient, operator: dict[str, str], engine: Engine, settings: Settings
) -> None:
    departments(engine, settings)
    assert_error_shape(declare(client, {}, "awareness", 0.5), 401, "missing-token")
    response = declare(client, operator, "awareness", 0.5)
    assert response.status_code == 201
    [entry] = [b for b in audit_bodies(engine) if b["action"] == "dti.declare"]
    assert entry["detail"] == {
        "set": "922-2022",
        "year": YEAR,
        "indicator": "awareness",
        "organisation": DX,
        "declaration": response.json()["id"],
    }
    assert entry["actor"] == {"kind": "operator"} and entry["fields"] == ["evidence", "value"]


@pytest.mark.parametrize(
    ("change", "field", "code"),
    [
        ({"indicator": "happiness"}, "indicator", "unknown-indicator"),
        ({"organisation": "H99.99"}, "organisation", "unknown-organisation"),
        ({"value": 1.5}, "value", "less-than-equal"),
        ({"evidence": ""}, "evidence", "string-too-short"),
    ],
)
def test_bad_declarations_are_refused_precisely(
    client: TestClient,
    operator: dict[str, str],
    engine: Engine,
    change: dict[str, Any],
    field: str,
    settings: Settings,
    code: str,
) -> None:
    departments(engine, settings)
    body = {"indicator": "awareness", "value": 0.5} | change
    response = declare(client, operator, body.pop("indicator"), body.pop("value"), **body)
    assert_error_shape(response, 422, "validation-failed", field)
    assert code in [d["code"] for d in response.json()["error"]["details"]]
    assert not [b for b in audit_bodies(engine) if b["action"] == "dti.declare"]


@pytest.mark.parametrize("set_id", ["999-2099", "922-2022\x00", "922-2022\n", "x" * 4000])
def test_unknown_set_is_not_found(
    client: TestClient, operator: dict[str, str], set_id: str
) -> None:
    """Also an id no set can have: PostgreSQL refuses a NUL byte in a text parameter."""
    for path in ("/api/v1/dti/scorecard", "/api/v1/dti/overview"):
        response = client.get(path, params={"set": set_id, "year": YEAR}, headers=operator)
        assert_error_shape(response, 404, "unknown-indicator-set")


def test_facts_name_their_sources(client: TestClient, operator: dict[str, str]) -> None:
    facts = client.get("/api/v1/dti/facts", params={"year": YEAR}, headers=operator).json()
    assert all(f["source"] and f["name_vi"] and f["name_en"] for f in facts)
    assert {f["key"] for f in facts} >= {"registry.connected_share", "exchange.data_reads"}

"""People of an organisation see that organisation's grants, batches and quarantine, through
real HTTP: grants its systems requested or on datasets it owns, batches its systems submitted
or into datasets it owns. Another organisation's item is unknown to them (404, as a missing
one); province-wide roles see everything. A data steward uploads for its own organisation's
systems and fixes its own quarantine."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from lienthong.config import Settings
from lienthong.http.permissions import Role
from tests.exchange.factories import get_token, make_consumer, request_grant
from tests.ingest.factories import citizen_row, register_system, write_citizens
from tests.people.factories import make_person, pat, person_headers, set_owner, steward
from tests.registry.factories import make_org

OWNER = "H33.01"  # owns the citizen dataset


def _ids(client: TestClient, path: str, headers: dict[str, str]) -> set[Any]:
    response = client.get(path, headers=headers)
    assert response.status_code == 200, response.text
    return {item["id"] for item in response.json()["items"]}


@pytest.fixture
def two_grants(client: TestClient, operator: dict[str, str]) -> tuple[int, int]:
    """A grant asked by a system of H33.03 and one by a system of H33.04, on citizen."""
    make_org(client, operator, OWNER)
    set_owner(client, operator, "citizen", OWNER)
    make_org(client, operator, "H33.05")  # neither asks nor owns
    first = request_grant(client, get_token(client, make_consumer(client, operator, "H33.03")))
    second = request_grant(client, get_token(client, make_consumer(client, operator, "H33.04")))
    return first["id"], second["id"]


def test_an_organisations_people_see_its_grants_only(
    client: TestClient, operator: dict[str, str], two_grants: tuple[int, int]
) -> None:
    first, second = two_grants
    admin3 = person_headers(client, "admin-3", Role.organisation_admin, "H33.03")
    admin4 = person_headers(client, "admin-4", Role.organisation_admin, "H33.04")
    both = pat(
        client,
        make_person(
            client, "admin-34", [(Role.organisation_admin, "H33.03"), (Role.auditor, "H33.04")]
        ),
    )
    assert _ids(client, "/api/v1/grants", admin3) == {first}
    assert _ids(client, "/api/v1/grants", admin4) == {second}
    assert _ids(client, "/api/v1/grants", both) == {first, second}
    assert _ids(client, "/api/v1/grants", steward(client, OWNER)) == {first, second}
    assert _ids(client, "/api/v1/grants", steward(client, "H33.05")) == set()
    for province in (operator, person_headers(client, "aud", Role.auditor)):
        assert _ids(client, "/api/v1/grants", province) == {first, second}
    assert client.get(f"/api/v1/grants/{first}", headers=admin3).status_code == 200
    hidden = client.get(f"/api/v1/grants/{second}", headers=admin3)
    missing = client.get("/api/v1/grants/999999", headers=admin3)
    assert hidden.status_code == missing.status_code == 404
    assert hidden.json()["error"]["code"] == missing.json()["error"]["code"] == "unknown-grant"
    # Deciding or revoking a grant one cannot see answers the same.
    for action in ("approve", "revoke"):
        unknown = client.post(f"/api/v1/grants/{first}/{action}", headers=steward(client, "H33.05"))
        assert unknown.status_code == 404, action


def test_the_filters_narrow_within_what_one_sees(
    client: TestClient, operator: dict[str, str], two_grants: tuple[int, int]
) -> None:
    first, second = two_grants
    owner = steward(client, OWNER)
    page = client.get("/api/v1/grants?limit=1", headers=owner).json()
    assert [g["id"] for g in page["items"]] == [first] and page["next_cursor"]
    rest = client.get(f"/api/v1/grants?limit=1&cursor={page['next_cursor']}", headers=owner)
    assert [g["id"] for g in rest.json()["items"]] == [second]
    # A cursor is bound to who asked: another organisation's person cannot continue it.
    admin3 = person_headers(client, "admin-3", Role.organisation_admin, "H33.03")
    stolen = client.get(f"/api/v1/grants?cursor={page['next_cursor']}", headers=admin3)
    assert stolen.status_code == 422, stolen.text
    assert _ids(client, "/api/v1/grants?status=approved", admin3) == set()


def _upload(client: TestClient, headers: dict[str, str], system: str, path: Path) -> Any:
    return client.post(
        "/api/v1/ingest/citizen",
        params={"system": system, "filename": path.name},
        content=path.read_bytes(),
        headers=headers,
    )


def test_batches_and_quarantine_of_an_organisation_and_its_steward_fixes_them(
    client: TestClient,
    operator: dict[str, str],
    engine: Engine,
    settings: Settings,
    tmp_path: Path,
) -> None:
    make_org(client, operator, OWNER)
    set_owner(client, operator, "citizen", OWNER)
    register_system(engine, settings, "H33.02/hoso")
    register_system(engine, settings, "H33.07/dat")
    make_org(client, operator, "H33.05")
    rows = [citizen_row(i) for i in range(1, 4)]
    rows[1]["date_of_birth"] = "31/02/1990"
    mine_file = write_citizens(tmp_path / "a.csv", rows)
    theirs_file = write_citizens(tmp_path / "b.csv", [citizen_row(7, date_of_birth="x")])

    source = steward(client, "H33.02")
    # A steward uploads for its own organisation's systems, not for another's.
    mine = _upload(client, source, "H33.02/hoso", mine_file)
    assert mine.status_code == 201, mine.text
    elsewhere = _upload(client, source, "H33.07/dat", theirs_file)
    assert elsewhere.status_code == 403 and elsewhere.json()["error"]["code"] == "not-permitted"
    admin = person_headers(client, "adm-2", Role.organisation_admin, "H33.02")
    assert _upload(client, admin, "H33.02/hoso", mine_file).status_code == 403
    theirs = _upload(client, operator, "H33.07/dat", theirs_file)
    assert theirs.status_code == 201, theirs.text
    a, b = mine.json()["id"], theirs.json()["id"]

    batches = "/api/v1/ingest/batches"
    assert _ids(client, batches, source) == {a}
    assert _ids(client, batches, steward(client, "H33.07")) == {b}
    assert _ids(client, batches, steward(client, OWNER)) == {a, b}  # owns the dataset
    assert _ids(client, batches, steward(client, "H33.05")) == set()
    assert _ids(client, batches, person_headers(client, "aud", Role.auditor)) == {a, b}
    assert _ids(client, batches, operator) == {a, b}
    for path in (f"{batches}/{b}", f"{batches}/{b}/quarantine"):
        hidden = client.get(path, headers=source)
        assert hidden.status_code == 404 and hidden.json()["error"]["code"] == "unknown-batch"
    [entry] = client.get(f"{batches}/{a}/quarantine", headers=source).json()["items"]
    assert entry["values"]["date_of_birth"] == "31/02/1990"

    fix = {"fixes": [{"id": entry["id"], "values": {"date_of_birth": "1990-02-28"}}]}
    other = client.post(f"{batches}/{a}/replay", json=fix, headers=steward(client, "H33.07"))
    assert other.status_code == 404 and other.json()["error"]["code"] == "unknown-batch"
    fixed = client.post(f"{batches}/{a}/replay", json=fix, headers=source)
    assert fixed.status_code == 200, fixed.text
    assert fixed.json()["rows_loaded"] == 1
    # The replay is a batch of the same system: the steward sees it too.
    assert fixed.json()["id"] in _ids(client, batches, source)

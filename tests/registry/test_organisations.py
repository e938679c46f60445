from __future__ import annotations

from fastapi.testclient import TestClient

from tests.registry.factories import make_org

API = "/api/v1/organisations"


def test_create_and_read(client: TestClient, operator: dict[str, str]) -> None:
    made = make_org(client, operator, "000.00.33.H33", name="Sở Y tế tỉnh Hưng Yên")
    assert made["unit_version"] == "2025"
    got = client.get(f"{API}/000.00.33.H33", headers=operator).json()
    assert got["name"] == "Sở Y tế tỉnh Hưng Yên" and got["active"] is True


def test_duplicate_code_is_409(client: TestClient, operator: dict[str, str]) -> None:
    make_org(client, operator, "H33")
    again = client.post(
        API,
        json={"code": "H33", "name": "x", "level": "province", "unit_code": "33"},
        headers=operator,
    )
    assert again.status_code == 409
    error = again.json()["error"]
    assert error["code"] == "organisation-exists"
    assert error["details"][0]["field"] == "code"


def test_malformed_eid_is_422_naming_the_field(
    client: TestClient, operator: dict[str, str]
) -> None:
    for bad in ("h33", "H33-01", "X" * 36, "Sở"):
        response = client.post(
            API,
            json={"code": bad, "name": "x", "level": "province", "unit_code": "33"},
            headers=operator,
        )
        assert response.status_code == 422, bad
        assert response.json()["error"]["details"][0] == {
            "field": "code",
            "code": "invalid-eid",
            "message": response.json()["error"]["details"][0]["message"],
        }


def test_unknown_unit_is_422_naming_the_field(client: TestClient, operator: dict[str, str]) -> None:
    response = client.post(
        API,
        json={"code": "X1", "name": "x", "level": "commune", "unit_code": "99999"},
        headers=operator,
    )
    assert response.status_code == 422
    detail = response.json()["error"]["details"][0]
    assert (detail["field"], detail["code"]) == ("unit_code", "unknown-unit")


def test_unit_must_match_level(client: TestClient, operator: dict[str, str]) -> None:
    response = client.post(
        API,
        json={"code": "X1", "name": "x", "level": "commune", "unit_code": "33"},
        headers=operator,
    )
    detail = response.json()["error"]["details"][0]
    assert (response.status_code, detail["code"]) == (422, "unit-level-mismatch")


def test_pre2025_district_organisation(client: TestClient, operator: dict[str, str]) -> None:
    made = make_org(
        client, operator, "H33.323", level="district", unit_code="323", unit_version="pre2025"
    )
    assert (made["unit_code"], made["unit_version"]) == ("323", "pre2025")


def test_central_organisation_needs_no_unit(client: TestClient, operator: dict[str, str]) -> None:
    made = make_org(client, operator, "G01", level="central", unit_code=None)
    assert made["unit_code"] is None


def test_unknown_field_is_rejected(client: TestClient, operator: dict[str, str]) -> None:
    response = client.post(
        API,
        json={"code": "X1", "name": "x", "level": "province", "unit_code": "33", "colour": "red"},
        headers=operator,
    )
    assert response.status_code == 422
    assert response.json()["error"]["details"][0]["field"] == "colour"


def test_update_parent_and_deactivate(client: TestClient, operator: dict[str, str]) -> None:
    make_org(client, operator, "UB33", name="UBND tỉnh")
    make_org(client, operator, "H33")
    updated = client.patch(
        f"{API}/H33", json={"parent_code": "UB33", "sector": "y-te"}, headers=operator
    ).json()
    assert (updated["parent_code"], updated["sector"]) == ("UB33", "y-te")
    cycle = client.patch(f"{API}/UB33", json={"parent_code": "H33"}, headers=operator)
    assert cycle.status_code == 422
    assert cycle.json()["error"]["details"][0]["code"] == "invalid-parent"
    gone = client.post(f"{API}/H33/deactivate", headers=operator).json()
    assert gone["active"] is False
    listed = client.get(API, params={"active": "true"}, headers=operator).json()["items"]
    assert [o["code"] for o in listed] == ["UB33"]


def test_list_pages(client: TestClient, operator: dict[str, str]) -> None:
    for i in range(5):
        make_org(client, operator, f"P{i}")
    first = client.get(API, params={"limit": 2}, headers=operator).json()
    rest = client.get(
        API, params={"limit": 10, "cursor": first["next_cursor"]}, headers=operator
    ).json()
    assert [o["code"] for o in first["items"] + rest["items"]] == [f"P{i}" for i in range(5)]
    assert rest["next_cursor"] is None


def test_csv_import_reports_rejected_rows(client: TestClient, operator: dict[str, str]) -> None:
    csv_text = (
        "code,name,level,unit_code,unit_version,parent_code,sector\n"
        "UB33,UBND tỉnh Hưng Yên,province,33,,,\n"
        "SYT33,Sở Y tế,province,33,,UB33,health\n"
        "bad code,Sở X,province,33,,,\n"
        "XA11953,UBND phường Phố Hiến,commune,11953,2025,UB33,\n"
        "SYT33,Trùng mã,province,33,,,\n"
        "XA1,UBND xã,commune,99999,,,\n"
        "XA2,UBND xã,village,11953,,,\n"
    )
    response = client.post(
        f"{API}/import", content=csv_text.encode(), headers=operator | {"content-type": "text/csv"}
    )
    assert response.status_code == 200, response.text
    report = response.json()
    assert (report["read"], report["created"]) == (7, 3)
    assert [(r["row"], r["field"], r["code"]) for r in report["rejected"]] == [
        (4, "code", "invalid-eid"),
        (6, "code", "organisation-exists"),
        (7, "unit_code", "unknown-unit"),
        (8, "level", "enum"),
    ]
    assert client.get(f"{API}/SYT33", headers=operator).json()["parent_code"] == "UB33"


def test_csv_import_with_unknown_column_is_refused(
    client: TestClient, operator: dict[str, str]
) -> None:
    response = client.post(
        f"{API}/import",
        content=b"code,name,level,colour\nA,B,province,red\n",
        headers=operator | {"content-type": "text/csv"},
    )
    assert response.status_code == 422
    assert response.json()["error"]["details"][0] == {
        "field": "colour",
        "code": "unknown-column",
        "message": "column 'colour' is not known",
    }
    assert client.get(API, headers=operator).json()["items"] == []

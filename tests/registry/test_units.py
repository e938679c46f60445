from __future__ import annotations

from fastapi.testclient import TestClient

API = "/api/v1/units"


def test_hung_yen_2025_has_104_communes(client: TestClient) -> None:
    body = client.get(f"{API}/33", params={"version": "2025"}).json()
    assert body["unit"]["name"] == "Hưng Yên"
    assert len(body["children"]) == 104
    assert {c["level"] for c in body["children"]} == {"commune"}


def test_hung_yen_pre2025_has_districts(client: TestClient) -> None:
    body = client.get(f"{API}/33", params={"version": "pre2025"}).json()
    assert {c["level"] for c in body["children"]} == {"district"}
    assert "Thành phố Hưng Yên" in {c["full_name"] for c in body["children"]}


def test_reused_code_means_different_units_by_version(client: TestClient) -> None:
    old = client.get(f"{API}/00097", params={"version": "pre2025"}).json()["unit"]
    new = client.get(f"{API}/00097", params={"version": "2025"}).json()["unit"]
    assert old["full_name"] == "Phường Tứ Liên"
    assert new["full_name"] == "Phường Hồng Hà"


def test_version_is_chosen_by_date(client: TestClient) -> None:
    before = client.get(f"{API}/00097", params={"date": "2025-06-30"}).json()["unit"]
    after = client.get(f"{API}/00097", params={"date": "2025-07-01"}).json()["unit"]
    assert (before["version_id"], after["version_id"]) == ("pre2025", "2025")


def test_ancestors_of_an_old_commune(client: TestClient) -> None:
    body = client.get(f"{API}/11950", params={"version": "pre2025"}).json()
    assert [a["code"] for a in body["ancestors"]] == ["323", "33"]


def test_successors_and_predecessors(client: TestClient) -> None:
    body = client.get(f"{API}/11950/successors").json()
    assert body["unit"]["version_id"] == "pre2025"
    assert [u["code"] for u in body["units"]] == ["11983"]
    back = client.get(f"{API}/11983/predecessors").json()
    assert "11950" in [u["code"] for u in back["units"]]
    assert {u["version_id"] for u in back["units"]} == {"pre2025"}


def test_split_commune_has_several_successors(client: TestClient) -> None:
    body = client.get(f"{API}/00007/successors").json()
    assert [u["code"] for u in body["units"]] == ["00008", "00025"]


def test_search_ignores_diacritics_and_case(client: TestClient) -> None:
    found = client.get(API, params={"q": "hung yen", "level": "province"}).json()["items"]
    assert {(u["version_id"], u["code"]) for u in found} == {("pre2025", "33"), ("2025", "33")}
    communes = client.get(API, params={"q": "PHO HIEN", "version": "2025"}).json()["items"]
    assert [u["full_name"] for u in communes] == ["Phường Phố Hiến"]


def test_search_pages_with_a_cursor(client: TestClient) -> None:
    first = client.get(API, params={"q": "xa", "limit": 3}).json()
    second = client.get(API, params={"q": "xa", "limit": 3, "cursor": first["next_cursor"]}).json()
    assert len(first["items"]) == len(second["items"]) == 3
    keys = [(u["version_id"], u["code"]) for u in first["items"] + second["items"]]
    assert keys == sorted(keys) and len(set(keys)) == 6


def test_children_pages(client: TestClient) -> None:
    seen: list[str] = []
    cursor = None
    while True:
        params = {"version": "2025", "limit": 40} | ({"cursor": cursor} if cursor else {})
        page = client.get(f"{API}/33/children", params=params).json()
        seen += [u["code"] for u in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert len(seen) == len(set(seen)) == 104


def test_unknown_unit_is_404_and_unknown_version_422(client: TestClient) -> None:
    missing = client.get(f"{API}/99999", params={"version": "2025"})
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "not-found"
    bad = client.get(f"{API}/33", params={"version": "1999"})
    assert bad.status_code == 422
    assert bad.json()["error"]["details"][0]["field"] == "version"


def test_versions_listed_with_dates(client: TestClient) -> None:
    versions = client.get(f"{API}/versions").json()["items"]
    assert [(v["id"], v["effective_to"], v["effective_from"]) for v in versions] == [
        ("pre2025", "2025-06-30", None),
        ("2025", None, "2025-07-01"),
    ]

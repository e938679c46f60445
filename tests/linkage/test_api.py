"""The linkage routes: the review queue for operators, master records under grants."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, delete, select, text, update

from lienthong.config import Settings
from lienthong.db import transaction
from lienthong.ingest.service import IngestRequest, ingest_file
from lienthong.linkage import runs
from lienthong.linkage.ids import master_id_key
from lienthong.linkage.models import Link, Master, Pair, Review
from tests.cli import run_cli
from tests.exchange.factories import approve, get_token, make_consumer, request_grant
from tests.ingest.factories import citizen_row, personal_id, register_system, write_citizens
from tests.registry.factories import make_org

PURPOSE = {"X-Purpose": "public-service"}


def _audit(engine: Engine) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT body FROM audit_entries ORDER BY seq"))
        return [json.loads(b) for (b,) in rows]


@pytest.fixture
def master_id(engine: Engine, settings: Settings, tmp_path: Path) -> str:
    """Three citizens and a health card of the first; linked; the first one's master id."""
    return linked_store(engine, settings, tmp_path)


def linked_store(engine: Engine, settings: Settings, tmp_path: Path) -> str:
    """The store of :func:`master_id`, for tests elsewhere that need it in their own order."""
    system = register_system(engine, settings)
    path = write_citizens(tmp_path / "citizens.csv", [citizen_row(n) for n in (1, 2, 3)])
    ingest_file(
        engine=engine,
        settings=settings,
        request=IngestRequest(path=path, standard="citizen", system=system),
    )
    card = {
        "card_number": "HN4330000000001",
        "personal_id": personal_id(1),
        "full_name": "NGUYEN VAN 1",
        "sex": "1",
        "date_of_birth": "1990-05-17",
        "commune_code": "12166",
        "valid_from": "2025-07-01",
        "valid_to": "2026-06-30",
    }
    cards = tmp_path / "health.jsonl"
    cards.write_text(json.dumps(card) + "\n", encoding="utf-8")
    ingest_file(
        engine=engine,
        settings=settings,
        request=IngestRequest(path=cards, standard="health_insurance", system=system),
    )
    with transaction(engine) as session:
        runs.run(session=session, id_key=master_id_key(settings))
        link = session.scalar(select(Link).where(Link.record_key == personal_id(1)))
        assert link is not None
        members = session.scalars(select(Link).where(Link.master_id == link.master_id)).all()
        assert {m.dataset for m in members} == {"citizen", "health_insurance"}
        return link.master_id


def test_master_serves_only_granted_datasets_and_fields(
    client: TestClient, operator: dict[str, str], engine: Engine, master_id: str
) -> None:
    make_org(client, operator, "H33.01")
    token = get_token(client, make_consumer(client, operator, "H33.05", "portal"))
    url = f"/api/v1/masters/person/{master_id}"
    assert client.get(url).status_code == 401
    assert client.get(url, headers=token | PURPOSE).status_code == 404  # nothing granted
    grant = request_grant(client, token, fields=["personal_id", "full_name"], units=["33"])
    approve(client, operator, grant["id"])
    assert client.get(url, headers=token).json()["error"]["code"] == "purpose-required"
    ok = client.get(url, headers=token | PURPOSE | {"X-Request-Id": "m-1"})
    assert ok.status_code == 200, ok.text
    body = ok.json()
    assert body["id"] == master_id and body["kind"] == "person"
    assert [(r["dataset"], r["key"]) for r in body["records"]] == [("citizen", personal_id(1))]
    assert body["records"][0]["fields"] == {
        "personal_id": personal_id(1),
        "full_name": "Nguyễn Văn 1",
    }
    assert body["attributes"] == {"personal_id": personal_id(1), "full_name": "Nguyễn Văn 1"}
    missing = client.get("/api/v1/masters/person/MPnothing", headers=token | PURPOSE)
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "unknown-master"
    entries = [e for e in _audit(engine) if e.get("dataset") == "masters/person"]
    reads = [e for e in entries if e["action"] == "data.read"]
    # A read that shows nothing (no grant yet, no such master) is audited as the read it is,
    # like a single-record read answered 404.
    assert [(e["outcome"], e["count"]) for e in reads] == [("ok", 0), ("ok", 1), ("ok", 0)]
    assert reads[1]["request_id"] == "m-1" and reads[1]["datasets"] == ["citizen"]
    assert personal_id(1) not in json.dumps(reads)


def test_review_queue_over_http_is_operator_only_and_audited(
    client: TestClient, operator: dict[str, str], engine: Engine
) -> None:
    with transaction(engine) as session:
        item = Review(
            kind="person",
            left_dataset="citizen",
            left_key="a",
            right_dataset="land_parcel",
            right_key="b",
            match_weight=3.5,
            evidence='{"family": 1.0}',
            status="pending",
        )
        session.add(item)
        session.flush()
        review_id = item.id
    assert client.get("/api/v1/linkage/reviews").status_code == 401
    page = client.get("/api/v1/linkage/reviews?kind=person", headers=operator).json()
    assert [i["id"] for i in page["items"]] == [review_id] and page["next_cursor"] is None
    assert page["items"][0]["evidence"] == {"family": 1.0}
    done = client.post(
        f"/api/v1/linkage/reviews/{review_id}/reject", json={"note": "twins"}, headers=operator
    )
    assert done.status_code == 200 and done.json()["status"] == "rejected"
    assert client.get("/api/v1/linkage/reviews", headers=operator).json()["items"] == []
    gone = client.post("/api/v1/linkage/reviews/999/accept", headers=operator)
    assert gone.status_code == 404 and gone.json()["error"]["code"] == "unknown-review"
    bad = client.get("/api/v1/linkage/reviews?status=maybe", headers=operator)
    assert bad.status_code == 422
    decisions = [e for e in _audit(engine) if e["action"] == "linkage.review"]
    assert [(d["review_id"], d["decision"]) for d in decisions] == [(review_id, "rejected")]


def _portal(client: TestClient, operator: dict[str, str], **grant: Any) -> dict[str, str]:
    """The token of a consumer system with an approved grant on citizens."""
    make_org(client, operator, "H33.01")
    token = get_token(client, make_consumer(client, operator, "H33.05", "portal"))
    approve(client, operator, request_grant(client, token, **grant)["id"])
    return token


def _unkeyed(dataset: str, key: str) -> str:
    """The id earlier versions derived: anyone knowing the personal ID could compute it."""
    return "MP" + hashlib.sha256(f"{dataset}\x1f{key}".encode()).hexdigest()[:20]


def _master_of(engine: Engine, dataset: str, key: str) -> str:
    with transaction(engine) as session:
        found = session.scalar(
            select(Link.master_id).where(Link.dataset == dataset, Link.record_key == key)
        )
        assert found is not None
        return found


def _relink(engine: Engine, key: bytes, *, full: bool = False, fresh: bool = False) -> None:
    with transaction(engine) as session:
        if fresh:
            for table in (Link, Master, Pair):
                session.execute(delete(table))
        runs.run(session=session, id_key=key, full=full)


def test_master_ids_are_keyed_and_stable(
    engine: Engine, settings: Settings, master_id: str
) -> None:
    with transaction(engine) as session:
        links = session.scalars(select(Link)).all()
    assert links and all(lk.master_id != _unkeyed(lk.dataset, lk.record_key) for lk in links)
    assert personal_id(1) not in master_id
    key = master_id_key(settings)
    _relink(engine, key, full=True)
    assert _master_of(engine, "citizen", personal_id(1)) == master_id
    _relink(engine, key, fresh=True)  # linked again from nothing with the same key: the same id
    assert _master_of(engine, "citizen", personal_id(1)) == master_id
    _relink(engine, b"another deployment's key", fresh=True)  # another key: another id
    assert _master_of(engine, "citizen", personal_id(1)) != master_id


def test_legacy_master_ids_are_refused_then_replaced(
    client: TestClient, operator: dict[str, str], engine: Engine, settings: Settings, master_id: str
) -> None:
    legacy = _unkeyed("citizen", personal_id(1))
    with transaction(engine) as session:  # as an earlier version stored it
        session.execute(update(Link).where(Link.master_id == master_id).values(master_id=legacy))
        session.execute(update(Master).where(Master.id == master_id).values(id=legacy))
    token = _portal(client, operator)
    old = client.get(f"/api/v1/masters/person/{legacy}", headers=token | PURPOSE)
    assert old.status_code == 404 and old.json()["error"]["code"] == "unknown-master"
    _relink(engine, master_id_key(settings))
    renamed = _master_of(engine, "citizen", personal_id(1))
    assert renamed == master_id
    with transaction(engine) as session:
        assert session.get(Master, legacy) is None
    assert client.get(f"/api/v1/masters/person/{renamed}", headers=token | PURPOSE).is_success


def test_linked_record_key_leaves_only_when_every_key_field_is_granted(
    client: TestClient, operator: dict[str, str], master_id: str
) -> None:
    token = _portal(client, operator, fields=["full_name"])
    health = request_grant(
        client, token, dataset="health_insurance", fields=["full_name", "card_number"]
    )
    approve(client, operator, health["id"])
    ok = client.get(f"/api/v1/masters/person/{master_id}", headers=token | PURPOSE)
    assert ok.status_code == 200, ok.text
    records = {r["dataset"]: r for r in ok.json()["records"]}
    assert records["citizen"]["key"] is None
    assert records["citizen"]["fields"] == {"full_name": "Nguyễn Văn 1"}
    assert records["health_insurance"]["key"] == "HN4330000000001"
    assert personal_id(1) not in ok.text


def test_master_reads_are_in_the_subject_report(
    client: TestClient, operator: dict[str, str], master_id: str
) -> None:
    token = _portal(client, operator, fields=["full_name"])
    url = f"/api/v1/masters/person/{master_id}"
    assert client.get(url, headers=token | PURPOSE | {"X-Request-Id": "m-2"}).is_success
    report = client.get(f"/api/v1/audit/subjects/{personal_id(1)}", headers=operator).json()
    assert [(i["request_id"], i["dataset"]) for i in report["items"]] == [("m-2", "masters/person")]
    other = client.get(f"/api/v1/audit/subjects/{personal_id(2)}", headers=operator).json()
    assert other["items"] == []


def test_training_over_http_and_cli_stores_audited_models_runs_then_use(
    client: TestClient,
    operator: dict[str, str],
    engine: Engine,
    settings: Settings,
    master_id: str,  # the store linked: training reads its records
) -> None:
    url = "/api/v1/linkage/models/person/train"
    assert client.post(url).status_code == 401
    bad = client.post("/api/v1/linkage/models/people/train", headers=operator)
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "validation-failed"
    assert bad.json()["error"]["details"][0]["code"] == "invalid-linkage-kind"
    done = client.post(url, headers=operator)  # stored inactive unless asked (docs/linkage.md)
    assert done.status_code == 201, done.text
    body = done.json()
    assert (body["kind"], body["records"], body["active"], body["in_use"]) == (
        "person",
        4,
        False,
        False,
    )
    # Four records give six random pairs: no level is estimated from so little.
    assert body["summary"]["levels_trained"] == []
    assert body["summary"]["levels"]["family"]["exact with diacritics"]["u"] == [0.1, 0.1]
    result = run_cli(settings, "linkage", "train", "--kind", "person", "--activate", "--json")
    assert result.returncode == 0, result.stderr
    trained = json.loads(result.stdout)
    assert trained["active"] is True and trained["id"] > body["id"]
    page = client.get("/api/v1/linkage/models?kind=person", headers=operator).json()
    assert [m["id"] for m in page["items"]] == [body["id"], trained["id"]]
    entries = [e for e in _audit(engine) if e["action"] == "linkage.train"]
    assert [(e["model"], e["active"], e["records"]) for e in entries] == [
        (body["id"], False, 4),
        (trained["id"], True, 4),
    ]
    with transaction(engine) as session:
        (summary,) = runs.run(session=session, id_key=master_id_key(settings), kinds=["person"])
    assert (summary.model, summary.mode) == (trained["id"], "full")
    # The newest active model wins; deactivating it goes back to the declared values.
    first = client.post(f"/api/v1/linkage/models/{body['id']}/activate", headers=operator)
    assert first.status_code == 200 and first.json()["active"] is True
    off = run_cli(settings, "linkage", "models", "deactivate", str(trained["id"]), "--json")
    assert off.returncode == 0 and json.loads(off.stdout)["in_use"] is True
    with transaction(engine) as session:
        (summary,) = runs.run(session=session, id_key=master_id_key(settings), kinds=["person"])
    assert (summary.model, summary.mode) == (body["id"], "full")
    client.post(f"/api/v1/linkage/models/{body['id']}/deactivate", headers=operator)
    with transaction(engine) as session:
        (summary,) = runs.run(session=session, id_key=master_id_key(settings), kinds=["person"])
    assert (summary.model, summary.mode) == (None, "full")
    missing = client.post("/api/v1/linkage/models/999/activate", headers=operator)
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "unknown-linkage-model"
    switches = [(e["model"], e["active"]) for e in _audit(engine) if e["action"] == "linkage.model"]
    assert switches == [(body["id"], True), (trained["id"], False), (body["id"], False)]

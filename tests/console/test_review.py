"""The linkage review pages through the application, on the development sample linked by a
real run: the queue, a pair's two records and levels, and its decision, audited as the API's."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from lienthong.audit.models import AuditEntry
from lienthong.config import Settings
from lienthong.db import transaction
from lienthong.http.permissions import Role
from lienthong.ingest.service import IngestRequest, ingest_file
from lienthong.linkage import runs
from lienthong.linkage.ids import master_id_key
from lienthong.linkage.models import Review
from tests.console.people import LEADER, OPERATOR, session_cookie
from tests.ingest.factories import (
    COMMUNE,
    citizen_row,
    personal_id,
    register_system,
    write_citizens,
)

AUDITOR = [(Role.auditor, None)]


def _signed(web: TestClient, subject: str, roles: list[tuple[Role, str | None]]) -> None:
    web.cookies.update(session_cookie(web.app, subject, roles))  # type: ignore[arg-type]


def _pending(web: TestClient) -> list[Review]:
    with web.app.state.sessions() as session:  # type: ignore[attr-defined]
        return list(
            session.scalars(select(Review).where(Review.status == "pending").order_by(Review.id))
        )


def _token(html: str) -> str:
    return html.split('name="csrf" value="', 1)[1].split('"', 1)[0]


def _audited(web: TestClient, action: str) -> list[dict[str, object]]:
    with web.app.state.sessions() as session:  # type: ignore[attr-defined]
        bodies = [
            json.loads(b) for b in session.scalars(select(AuditEntry.body).order_by(AuditEntry.seq))
        ]
    return [b for b in bodies if b["action"] == action]


NAMESAKES = ((1, 1975, "1975-10-28"), (2, 1990, "1990-04-02"), (3, 1960, "1960-01-15"))


def link_namesakes(engine: Engine, settings: Settings, folder: Path) -> None:
    """Three namesakes in one commune, and a health card knowing only the name and the commune:
    stored through ingest, linked by a real run, which queues the card's two best candidates."""
    system = register_system(engine, settings)
    rows = [
        citizen_row(
            n,
            personal_id=personal_id(n, female=True, year=year),
            full_name="Hoàng Thị Ngọc",
            sex="2",
            date_of_birth=born,
        )
        for n, year, born in NAMESAKES
    ]
    path = write_citizens(folder / "citizens.csv", rows)
    ingest_file(
        engine=engine,
        settings=settings,
        request=IngestRequest(path=path, standard="citizen", system=system),
    )
    card = {"card_number": "HN4330000000009", "full_name": "Hoang Thi Ngoc", "sex": "2"}
    cards = folder / "health.jsonl"
    cards.write_text(json.dumps(card | {"commune_code": COMMUNE}) + "\n", encoding="utf-8")
    ingest_file(
        engine=engine,
        settings=settings,
        request=IngestRequest(path=cards, standard="health_insurance", system=system),
    )
    with transaction(engine) as session:
        runs.run(session=session, id_key=master_id_key(settings), kinds=["person"])


@pytest.fixture
def queued(engine: Engine, settings: Settings, web: TestClient, tmp_path: Path) -> list[Review]:
    link_namesakes(engine, settings, tmp_path)
    pending = _pending(web)
    assert len(pending) >= 2, "the sample's linking run queues pairs to review"
    return pending


def test_the_queue_lists_the_pending_pairs_in_queue_order(
    web: TestClient, queued: list[Review]
) -> None:
    _signed(web, "op-r1", OPERATOR)
    page = web.get("/console/linkage/reviews")
    assert page.status_code == 200
    assert "Xem xét liên kết" in page.text
    links = [f'href="/console/linkage/reviews/{r.id}"' for r in queued[:20]]
    positions = [page.text.index(link) for link in links]
    assert positions == sorted(positions)  # the API's order: as queued, most consequential first
    assert f"{queued[0].match_weight:.2f}" in page.text
    assert "Cá nhân" in page.text  # the kind, in Vietnamese
    assert 'href="/console/linkage/reviews"' in web.get("/console/").text  # in the navigation


def test_a_pair_shows_both_records_and_the_levels_that_decided(
    web: TestClient, queued: list[Review]
) -> None:
    _signed(web, "op-r2", OPERATOR)
    item = queued[0]
    page = web.get(f"/console/linkage/reviews/{item.id}")
    assert page.status_code == 200
    assert f"{item.left_dataset} / {item.left_key}" in page.text
    assert f"{item.right_dataset} / {item.right_key}" in page.text
    assert "Ngày sinh" in page.text and "Giới tính" in page.text
    assert "<td>Hoàng Thị Ngọc</td><td>Hoang Thi Ngoc</td>" in page.text  # side by side
    levels = json.loads(item.evidence or "{}")["levels"]
    assert levels["family"] == "exact without diacritics"  # as the run scored the pair
    assert "Họ: trùng sau khi bỏ dấu" in page.text
    assert "Xã: cùng xã sau khi sắp xếp đơn vị hành chính" in page.text
    assert "Số giấy tờ tùy thân" not in page.text  # a field neither record holds is left out
    assert f'action="/console/linkage/reviews/{item.id}/accept"' in page.text
    english = web.get(f"/console/linkage/reviews/{item.id}?lang=en")
    assert "What decided" in english.text and "Family name:" in english.text
    missing = web.get("/console/linkage/reviews/999999")
    assert missing.status_code == 404 and missing.headers["content-type"].startswith("text/html")


def test_an_operator_decides_audited_as_the_api_then_sees_the_next_pair(
    web: TestClient, queued: list[Review]
) -> None:
    _signed(web, "op-r3", OPERATOR)
    first, second = queued[0], queued[1]
    token = _token(web.get(f"/console/linkage/reviews/{first.id}").text)
    refused = web.post(f"/console/linkage/reviews/{first.id}/accept", data={})
    assert refused.status_code == 403 and "Biểu mẫu bị từ chối" in refused.text
    done = web.post(f"/console/linkage/reviews/{first.id}/accept", data={"csrf": token})
    assert done.status_code == 303
    assert done.headers["location"] == f"/console/linkage/reviews/{second.id}?decided={first.id}"
    nxt = web.get(done.headers["location"])
    assert f"Đã ghi nhận quyết định về cặp {first.id}" in nxt.text
    with web.app.state.sessions() as session:  # type: ignore[attr-defined]
        assert session.get(Review, first.id).status == "accepted"  # type: ignore[union-attr]
    entry = _audited(web, "linkage.review")[-1]
    assert entry["review_id"] == first.id and entry["decision"] == "accepted"
    assert entry["actor"]["kind"] == "person" and entry["actor"]["via"] == "session"  # type: ignore[index]
    rejected = web.post(f"/console/linkage/reviews/{second.id}/reject", data={"csrf": token})
    assert rejected.status_code == 303
    with web.app.state.sessions() as session:  # type: ignore[attr-defined]
        assert session.get(Review, second.id).status == "rejected"  # type: ignore[union-attr]
    assert _audited(web, "linkage.review")[-1]["decision"] == "rejected"


def test_an_auditor_reads_without_buttons_and_may_not_decide(
    web: TestClient, queued: list[Review]
) -> None:
    _signed(web, "auditor-r", AUDITOR)
    item = queued[0]
    assert web.get("/console/linkage/reviews").status_code == 200
    page = web.get(f"/console/linkage/reviews/{item.id}")
    assert page.status_code == 200 and "/accept" not in page.text and "/reject" not in page.text
    token = _token(page.text)  # the sign-out form's: a valid token, still no permission
    refused = web.post(f"/console/linkage/reviews/{item.id}/accept", data={"csrf": token})
    assert refused.status_code == 403 and "linkage.decide" in refused.text
    assert _pending(web)[0].id == item.id  # nothing decided
    assert _audited(web, "linkage.review") == []
    denied = _audited(web, "permission.denied")[-1]
    assert denied["permission"] == "linkage.decide"


def test_a_leader_is_refused_the_review_pages(web: TestClient, queued: list[Review]) -> None:
    _signed(web, "leader-r", LEADER)
    for path in ("/console/linkage/reviews", f"/console/linkage/reviews/{queued[0].id}"):
        refused = web.get(path)
        assert refused.status_code == 403 and "linkage.read" in refused.text
    assert 'href="/console/linkage/reviews"' not in web.get("/console/").text

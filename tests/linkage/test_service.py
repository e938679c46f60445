"""Linking runs against the database: stable ids, incremental == full, decisions hold."""

from __future__ import annotations

import polars as pl
from sqlalchemy import Engine, select

from lienthong.db import transaction
from lienthong.linkage import review, service
from lienthong.linkage.models import Link, Master, Review
from tests.linkage.factories import ID_KEY, people, sectors


def _links(engine: Engine) -> dict[tuple[str, str], str]:
    with transaction(engine) as session:
        return {
            (r.dataset, r.record_key): r.master_id
            for r in session.scalars(select(Link).where(Link.kind == "person"))
        }


def _partition(links: dict) -> set[frozenset]:
    groups: dict = {}
    for key, master in links.items():
        groups.setdefault(master, set()).add(key)
    return {frozenset(g) for g in groups.values()}


def test_rerun_without_new_data_changes_no_master_id(engine: Engine) -> None:
    frames, _ = sectors(people(300))
    with transaction(engine) as session:
        first = service.link(session=session, kind="person", frames=frames, id_key=ID_KEY)
    before = _links(engine)
    with transaction(engine) as session:
        again = service.link(session=session, kind="person", frames=frames, id_key=ID_KEY)
        masters = session.scalar(select(Master.id).limit(1))
    assert again.new_records == 0 and again.masters == first.masters
    assert _links(engine) == before
    assert masters is not None
    with transaction(engine) as session:
        service.link(session=session, kind="person", frames=frames, id_key=ID_KEY, full=True)
    assert _links(engine) == before


def test_incremental_batch_equals_full_relink(engine: Engine) -> None:
    frames, _ = sectors(people(400))
    half = {name: frame.head(len(frame) // 2) for name, frame in frames.items()}
    with transaction(engine) as session:
        service.link(session=session, kind="person", frames=half, id_key=ID_KEY)
        run = service.link(session=session, kind="person", frames=frames, id_key=ID_KEY)
    assert 0 < run.new_records < run.records
    incremental = _links(engine)
    with transaction(engine) as session:
        service.link(session=session, kind="person", frames=frames, id_key=ID_KEY, full=True)
    full = _links(engine)
    assert _partition(incremental) == _partition(full)
    assert incremental == full


def test_rejected_pair_stays_rejected_after_full_relink(engine: Engine) -> None:
    frames = {
        "citizen": pl.DataFrame(
            {
                "personal_id": [None, None],
                "full_name": ["Trần Văn Hùng", "Tran Van Hung"],
                "sex": ["1", "1"],
                "date_of_birth": ["1980-05-06", "1980-05-06"],
                "commune_code": ["12001", "12001"],
                "_key": ["a", "b"],
            }
        ),
    }
    with transaction(engine) as session:
        service.link(session=session, kind="person", frames=frames, id_key=ID_KEY)
    assert len(set(_links(engine).values())) == 1
    with transaction(engine) as session:
        item = review.add_decision(
            session=session,
            kind="person",
            left=("citizen", "a"),
            right=("citizen", "b"),
            decision="rejected",
        )
        assert item.status == "rejected"
    with transaction(engine) as session:
        service.link(session=session, kind="person", frames=frames, id_key=ID_KEY, full=True)
    assert len(set(_links(engine).values())) == 2
    with transaction(engine) as session:
        assert session.scalar(select(Review.status)) == "rejected"

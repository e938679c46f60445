"""A linking run's rows, written in bulk, read back through the ORM as the run meant them."""

from __future__ import annotations

from sqlalchemy import Engine, select

from lienthong.db import transaction, utcnow
from lienthong.linkage import service
from lienthong.linkage.models import Link, Master, Pair
from tests.linkage.factories import ID_KEY, people, sectors


def test_bulk_written_links_masters_and_pairs_read_back(engine: Engine) -> None:
    frames, _ = sectors(people(200))
    started = utcnow()
    with transaction(engine) as session:
        run = service.link(session=session, kind="person", frames=frames, id_key=ID_KEY)
    finished = utcnow()
    with transaction(engine) as session:
        links = session.scalars(select(Link).where(Link.kind == "person")).all()
        masters = session.scalars(select(Master).where(Master.kind == "person")).all()
        pairs = session.scalars(select(Pair).where(Pair.kind == "person")).all()
    assert len(links) == run.records and len(masters) == run.masters
    # One timestamp per run, stored and read back as an aware UTC time.
    assert len({link.linked_at for link in links}) == 1
    assert started <= links[0].linked_at <= finished
    assert len({(m.created_at, m.updated_at) for m in masters}) == 1
    assert started <= masters[0].created_at == masters[0].updated_at <= finished
    assert {link.master_id for link in links} == {m.id for m in masters}
    counts: dict[str, int] = {}
    for link in links:
        counts[link.master_id] = counts.get(link.master_id, 0) + 1
    assert {m.id: m.member_count for m in masters} == counts
    # A record alone in its master has no pair inside it; every other one has its best.
    alone = [link for link in links if counts[link.master_id] == 1]
    assert alone and all(lk.match_kind == "single" and lk.match_weight is None for lk in alone)
    together = [link for link in links if counts[link.master_id] > 1]
    assert together and all(lk.match_weight is not None for lk in together)
    assert pairs and all(p.left_key and p.right_key and p.match_kind for p in pairs)
    # Each record's weight is the strongest stored pair inside its master, or stronger (the
    # identifier pass is derived on every run, never stored).
    master_of = {(lk.dataset, lk.record_key): lk.master_id for lk in links}
    weight_of = {(lk.dataset, lk.record_key): lk.match_weight for lk in links}
    for pair in pairs:
        left, right = (pair.left_dataset, pair.left_key), (pair.right_dataset, pair.right_key)
        if master_of[left] == master_of[right]:
            assert weight_of[left] >= pair.match_weight
            assert weight_of[right] >= pair.match_weight

"""One set-up for every reading of a source: ``prepare`` → IngestPlan."""

from __future__ import annotations

from datetime import date

from sqlalchemy import Engine

from lienthong.db import transaction
from lienthong.ingest.mapping import Mapping
from lienthong.ingest.plan import prepare

REKEY = {"rekey": {"from": "pre2025", "to": "2025"}}


def test_successions_are_read_only_for_a_mapping_that_rekeys(engine: Engine) -> None:
    plain = Mapping(columns={"Xã": "commune_code"}, transforms={"commune_code": [{"pad": 5}]})
    rekeying = Mapping(columns={"Xã": "commune_code"}, transforms={"commune_code": [REKEY]})
    with transaction(engine) as session:
        identity = prepare(session=session, standard="citizen", today=date(2025, 8, 1))
        mapped = prepare(session=session, standard="citizen", mapping=plain)
        rekeyed = prepare(session=session, standard="citizen", mapping=rekeying)
    assert (identity.successions, mapped.successions) == (None, None)
    assert rekeyed.successions is not None and rekeyed.successions.height > 10_000
    assert (identity.spec.name, identity.today) == ("citizen", date(2025, 8, 1))
    assert identity.book.lists == rekeyed.book.lists
    assert not plain.rekeys and rekeying.rekeys


def test_a_mapping_keeps_the_document_it_was_read_from() -> None:
    document = '{"columns": {"Họ tên": "full_name"}}'.encode()
    assert Mapping.parse(document).document == document
    assert Mapping(columns={"full_name": "full_name"}).document == b""

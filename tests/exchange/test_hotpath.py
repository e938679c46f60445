"""The read path's statements awaited on the event loop: the same rows as the blocking path,
every statement seeing the latest commit, a bounded pool, and a new event loop served."""

from __future__ import annotations

import asyncio

from sqlalchemy import Engine, update

from lienthong.config import Settings
from lienthong.db import transaction
from lienthong.exchange.hotpath import HotPath
from lienthong.registry import systems
from lienthong.registry.models import Credential
from lienthong.security.state import LIVE_STATE
from tests.ingest.factories import register_system

credentials = Credential.__table__


def _credential(engine: Engine, settings: Settings) -> int:
    register_system(engine, settings, "H33.02/hoso")
    with transaction(engine) as session:
        credential, _ = systems.issue_credential(
            session=session,
            settings=settings,
            actor={"kind": "operator"},
            organisation="H33.02",
            system="hoso",
        )
        return int(credential.id)


def test_awaited_row_is_the_blocking_row_and_sees_each_commit(
    engine: Engine, settings: Settings, backend: str
) -> None:
    cid = _credential(engine, settings)
    hot = HotPath(engine, pool_size=2)
    live = hot.prepare(LIVE_STATE)
    try:
        assert (hot.pool is not None) == (backend == "postgresql")  # SQLite reads in process
        before = asyncio.run(hot.afirst(live, {"cid": cid}))
        assert before == hot.first(live, {"cid": cid})
        assert before is not None and before[0] is None  # not revoked
        with engine.begin() as conn:
            conn.execute(
                update(credentials)
                .where(credentials.c.id == cid)
                .values(revoked_at=credentials.c.created_at)
            )
        # The next statement on the same pooled connection sees the revocation.
        after = asyncio.run(hot.afirst(live, {"cid": cid}))
        assert after is not None and after[0] is not None
        assert asyncio.run(hot.afirst(live, {"cid": -1})) is None
    finally:
        hot.close()


def test_pool_bounds_concurrent_reads(engine: Engine, settings: Settings, backend: str) -> None:
    cid = _credential(engine, settings)
    hot = HotPath(engine, pool_size=2)
    live = hot.prepare(LIVE_STATE)

    async def many() -> list[object]:
        return await asyncio.gather(*(hot.afirst(live, {"cid": cid}) for _ in range(40)))

    try:
        rows = asyncio.run(many())
        assert len(rows) == 40 and all(r == rows[0] for r in rows) and rows[0] is not None
        if hot.pool is not None:
            assert 1 <= hot.pool.opened <= 2
            # A second event loop (as a new test client starts) gets fresh connections.
            assert asyncio.run(many()) == rows
            assert 1 <= hot.pool.opened <= 2
    finally:
        hot.close()

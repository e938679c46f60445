"""The rules runner and the background chain verifier: read the audit log after a stored
position, hand what they find to a sink, and only then move the position (at least once: a
crash between the sink and the move hands the same detections over again).

``Watch`` runs both every ``interval`` seconds on a thread of the application process.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import cast

from sqlalchemy import Connection, Engine, Table, select

from lienthong.audit import chain
from lienthong.audit.verify import verify_after
from lienthong.config import Settings
from lienthong.db import utcnow
from lienthong.soc.detection import Detection
from lienthong.soc.rules.catalogue import starter_rules
from lienthong.soc.rules.engine import Engine as RulesEngine
from lienthong.soc.rules.models import SocPosition
from lienthong.soc.rules.service import overrides
from lienthong.soc.rules.sigma import Rule

Sink = Callable[[Sequence[Detection]], None]
log = logging.getLogger("lienthong.soc")
RULES = "rules"
CHAIN = "chain"
CHAIN_RULE = "audit-chain-broken"
STATE_EVERY_S = 60.0
positions: Table = cast(
    Table, SocPosition.__table__
)  # learned state is saved at most this often (and at stop)


def log_sink(found: Sequence[Detection]) -> None:
    """The sink until the alert store is wired in: a warning per detection."""
    for d in found:
        log.warning(
            "detection %s [%s] %s seqs=%s",
            d.rule_id,
            d.severity,
            d.group_key,
            list(d.audit_seqs[:5]),
        )


def _position(conn: Connection, name: str) -> SocPosition | None:
    row = conn.execute(select(positions).where(positions.c.name == name)).first()
    return None if row is None else SocPosition(**row._mapping)


def _save(conn: Connection, name: str, seq: int, hash_: str | None, state: str | None) -> None:
    table = positions
    values = {"seq": seq, "hash": hash_, "updated_at": utcnow()}
    if state is not None:
        values["state"] = state
    done = conn.execute(table.update().where(table.c.name == name).values(**values))
    if done.rowcount == 0:
        conn.execute(table.insert().values(name=name, state=state, **values))


class RulesRunner:
    def __init__(
        self,
        engine: Engine,
        sink: Sink,
        *,
        rules: Sequence[Rule] | None = None,
        batch: int = 5_000,
        utc_offset_hours: float = 7.0,
    ) -> None:
        self.db = engine
        self.sink = sink
        self.rules = list(rules if rules is not None else starter_rules())
        self.batch = batch
        self.offset = utc_offset_hours
        self.rules_engine: RulesEngine | None = None
        self._saved_at = 0.0

    def _load(self, conn: Connection) -> tuple[RulesEngine, int]:
        row = _position(conn, RULES)
        if self.rules_engine is None:
            self.rules_engine = RulesEngine(self.rules, utc_offset_hours=self.offset)
            if row is not None and row.state:
                self.rules_engine.restore(json.loads(row.state))
            self._saved_at = time.monotonic()
        return self.rules_engine, 0 if row is None else int(row.seq)

    def run_once(self) -> int:
        """Feed the entries after the position (one batch) and hand detections to the sink;
        the number of entries read."""
        with self.db.connect() as conn:
            rules_engine, position = self._load(conn)
            stmt = (
                select(chain.entries.c.seq, chain.entries.c.body)
                .where(chain.entries.c.seq > position)
                .order_by(chain.entries.c.seq)
                .limit(self.batch)
            )
            rows = conn.execute(stmt).all()
            enabled = overrides(conn)
        if not rows:
            return 0
        found = rules_engine.feed(body for _, body in rows)
        found = [d for d in found if enabled.get(d.rule_id, True)]
        try:
            if found:
                self.sink(found)
        except Exception:
            # Not accepted: read these entries again, from the learned state last saved.
            self.rules_engine = None
            raise
        self._advance(int(rows[-1][0]))
        return len(rows)

    def _advance(self, seq: int, force: bool = False) -> None:
        state = None
        if force or time.monotonic() - self._saved_at >= STATE_EVERY_S:
            assert self.rules_engine is not None
            state = json.dumps(self.rules_engine.state(), separators=(",", ":"))
            self._saved_at = time.monotonic()
        with self.db.begin() as conn:
            _save(conn, RULES, seq, None, state)

    def save_state(self) -> None:
        if self.rules_engine is not None:
            with self.db.connect() as conn:
                row = _position(conn, RULES)
            if row is not None:
                self._advance(int(row.seq), force=True)


class ChainWatch:
    """Verifies the part of the audit chain written since it last looked; a break raises one
    ``audit-chain-broken`` detection (critical) naming the first broken entry, and the watch
    stays there (``lienthong audit verify`` tells the whole story)."""

    def __init__(self, engine: Engine, sink: Sink, *, batch: int = 20_000) -> None:
        self.db = engine
        self.sink = sink
        self.batch = batch

    def run_once(self) -> int:
        with self.db.connect() as conn:
            row = _position(conn, CHAIN)
            seq = 0 if row is None else int(row.seq)
            hash_ = chain.GENESIS if row is None or row.hash is None else row.hash
            if row is not None and row.state:  # broken already, and said so
                return 0
            # The entry the watch stopped at must still be the one it verified.
            if seq:
                stored = conn.execute(
                    select(chain.entries.c.hash).where(chain.entries.c.seq == seq)
                ).scalar()
                problem: tuple[int, str, str] | None = None
                if stored != hash_:
                    problem = (seq, "hash-mismatch", f"entry {seq} was altered after verification")
                    last, last_hash = seq, hash_
            if not seq or problem is None:
                last, last_hash, problem = verify_after(
                    conn, seq=seq, hash_=hash_, limit=self.batch
                )
        if problem is not None:
            broken, code, message = problem
            self.sink(
                [
                    Detection(
                        rule_id=CHAIN_RULE,
                        rule_title="Audit chain verification failed",
                        severity="critical",
                        group_key="audit-chain",
                        observed_at=datetime.now(UTC),
                        audit_seqs=(broken,),
                        summary={"first_broken": broken, "problem": code, "message": message},
                    )
                ]
            )
            with self.db.begin() as conn:
                _save(conn, CHAIN, last, last_hash, json.dumps({"broken": broken, "problem": code}))
            return last - seq
        if last != seq:
            with self.db.begin() as conn:
                _save(conn, CHAIN, last, last_hash, None)
        return last - seq


class Watch:
    """Runs the rules runner and the chain watch every ``interval`` seconds on a thread."""

    def __init__(self, runner: RulesRunner, chain_watch: ChainWatch, interval: float) -> None:
        self.runner = runner
        self.chain = chain_watch
        self.interval = interval
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="soc-watch", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=30)
            self._thread = None
        try:
            self.runner.save_state()
        except Exception as exc:
            log.error("saving the rules' learned state failed: %s", exc)

    def _run(self) -> None:
        while not self._stop.is_set():
            busy = False
            for step in (self.runner.run_once, self.chain.run_once):
                try:
                    busy = step() > 0 or busy
                except Exception as exc:
                    log.error("security monitoring step failed: %s", exc)
            if not busy:
                self._stop.wait(self.interval)


def start_watch(settings: Settings, engine: Engine, sink: Sink) -> Watch | None:
    """The server process's watch, started, unless the settings turn it off."""
    if not settings.soc_watch_runs:
        return None
    runner = RulesRunner(
        engine, sink, batch=settings.soc_batch, utc_offset_hours=settings.soc_utc_offset_hours
    )
    watch = Watch(runner, ChainWatch(engine, sink), settings.soc_interval_seconds)
    watch.start()
    return watch

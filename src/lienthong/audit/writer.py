"""Group commit: a background thread appends queued entries, one transaction per batch.

A request hands its entry over and awaits an asyncio future; the future resolves only after the
batch holding it is committed, and fails (→ 503 ``audit-unavailable``) when the write failed. So
a read is never answered unless its entry is durable, while one commit serves many concurrent
reads. The writer takes everything queued while the previous batch committed, and wakes the
event loop once per batch (not once per entry). On SQLite, the writers of several server
processes, and an ingest's transactions, take turns on OS file locks instead of polling
SQLite's busy lock, the waiting audit writers first (audit.turns). After each commit, and
on its timer, the writer publishes the checkpoints committed since (audit.publish).
"""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
import time
from collections.abc import Mapping
from concurrent.futures import Future
from contextlib import suppress
from typing import Any

from sqlalchemy import Engine

from lienthong.audit import chain
from lienthong.audit.publish import Publisher
from lienthong.audit.service import AuditKeys, AuditUnavailable
from lienthong.audit.turns import AuditTurns

log = logging.getLogger("lienthong.audit")
_STOP = object()
Waiter = Future[int] | asyncio.Future[int]


def _resolve(items: list[tuple[asyncio.Future[int], int]], failed: bool) -> None:
    for future, seq in items:
        if future.done():
            continue
        if failed:
            future.set_exception(AuditUnavailable("the audit log could not be written"))
        else:
            future.set_result(seq)


class AuditWriter:
    def __init__(
        self,
        engine: Engine,
        keys: AuditKeys,
        *,
        batch_max: int = 1000,
        publisher: Publisher | None = None,
    ) -> None:
        self.engine = engine
        self.keys = keys
        self.signer = keys.signer
        self.batch_max = batch_max
        self.publisher = publisher
        self._queue: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._turns = AuditTurns(engine)
        self._pending: list[tuple[Mapping[str, Any], Waiter]] = []
        self.batches = 0

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="audit-writer", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        if self._thread is not None:
            self._queue.put(_STOP)
            self._thread.join(timeout=30)
            self._thread = None
        self._turns.close()

    def submit(self, entry: Mapping[str, Any]) -> Future[int]:
        future: Future[int] = Future()
        if self._thread is None:
            future.set_exception(AuditUnavailable("the audit writer is not running"))
        else:
            self._queue.put((entry, future))
        return future

    async def write(self, entry: Mapping[str, Any]) -> int:
        """Queue the entry and wait until its batch is committed."""
        return await self.enqueue(entry)

    def enqueue(self, entry: Mapping[str, Any]) -> asyncio.Future[int]:
        """Queue the entry (in the running event loop); the future resolves on commit."""
        if self._thread is None:
            raise AuditUnavailable("the audit writer is not running")
        loop = asyncio.get_running_loop()
        future: asyncio.Future[int] = loop.create_future()
        if not self._pending:
            loop.call_soon(self._hand_over)
        self._pending.append((entry, future))
        return future

    def _hand_over(self) -> None:
        """Pass on, as one item, every entry queued during this turn of the event loop."""
        batch, self._pending = self._pending, []
        if batch:
            self._queue.put(batch)

    def _run(self) -> None:
        self._publish()  # whatever was signed while no server ran (the command line)
        last_checkpoint = time.monotonic()
        stopping = False
        while not stopping:
            try:
                first = self._queue.get(timeout=min(self.keys.checkpoint_seconds, 5.0))
            except queue.Empty:
                first = None
            batch: list[tuple[Mapping[str, Any], Waiter]] = []
            if first is not None:
                stopping = self._gather(batch, first)
            while batch:
                stopping = self._commit(batch) or stopping
            if stopping or time.monotonic() - last_checkpoint >= self.keys.checkpoint_seconds:
                self._checkpoint()
                last_checkpoint = time.monotonic()

    def _gather(self, batch: list[tuple[Mapping[str, Any], Waiter]], item: Any) -> bool:
        """Add ``item`` and whatever else is queued to ``batch``, until it holds ``batch_max``
        entries or more (committed in slices); True when the stop was among them."""
        while item is not None:
            if item is _STOP:
                return True
            if isinstance(item, list):
                batch.extend(item)
            else:
                batch.append(item)
            if len(batch) >= self.batch_max:
                return False
            item = self._next()
        return False

    def _commit(self, batch: list[tuple[Mapping[str, Any], Waiter]]) -> bool:
        """Commit the first ``batch_max`` entries of ``batch`` (removed from it) in one turn.

        On SQLite the turn can take a whole bulk transaction to come. Once it is held, the
        entries queued while it was awaited join the batch, and those queued during the commit
        are committed next in the same turn: an entry left for the next turn would wait for the
        bulk job's next transaction too. True when the stop was queued."""
        stopping = False
        try:
            with self._turns.turn():
                if len(batch) < self.batch_max:
                    stopping = self._gather(batch, self._next())
                self._write(batch)
                if not batch and not stopping and not self._queue.empty():
                    stopping = self._gather(batch, self._next())
                    self._write(batch)
        except Exception as exc:  # no turn came: these entries fail, the rest wait for theirs
            log.error("audit batch failed: %s", exc)
            failed = batch[: self.batch_max]
            del batch[: len(failed)]
            self._settle(failed, [])
        return stopping

    def _write(self, batch: list[tuple[Mapping[str, Any], Waiter]]) -> None:
        """One transaction for the first ``batch_max`` entries (removed from ``batch``); their
        waiters learn the outcome."""
        now = batch[: self.batch_max]
        del batch[: len(now)]
        if not now:
            return
        seqs: list[int] = []
        signed: list[dict[str, Any]] = []
        try:
            with self.engine.begin() as conn:
                seqs = chain.append(conn, [entry for entry, _ in now], signer=self.signer)
                if self.publisher is not None:
                    signed = self.publisher.pending(conn)
        except Exception as exc:
            log.error("audit batch of %d entries failed: %s", len(now), exc)
        else:
            self.batches += 1
        self._settle(now, seqs)
        if signed:  # committed: now they may leave the database
            self._publish(signed)

    def _next(self) -> Any:
        try:
            return self._queue.get_nowait()
        except queue.Empty:
            return None

    @staticmethod
    def _settle(batch: list[tuple[Mapping[str, Any], Waiter]], seqs: list[int]) -> None:
        """Resolve every waiter: one wake-up per event loop, not one per entry."""
        failed = len(seqs) != len(batch)
        loops: dict[asyncio.AbstractEventLoop, list[tuple[asyncio.Future[int], int]]] = {}
        for n, (_, future) in enumerate(batch):
            seq = -1 if failed else seqs[n]
            if isinstance(future, asyncio.Future):
                loops.setdefault(future.get_loop(), []).append((future, seq))
            elif failed:
                future.set_exception(AuditUnavailable("the audit log could not be written"))
            else:
                future.set_result(seq)
        for loop, items in loops.items():
            with suppress(RuntimeError):  # a closed loop: nobody waits any more
                loop.call_soon_threadsafe(_resolve, items, failed)

    def _checkpoint(self) -> None:
        try:
            with self._turns.turn(), self.engine.begin() as conn:
                chain.checkpoint_now(conn, signer=self.signer)
        except Exception as exc:
            log.error("audit checkpoint failed: %s", exc)
        self._publish()

    def _publish(self, signed: list[dict[str, Any]] | None = None) -> None:
        """Append committed checkpoints to the published file (a failure is logged, retried)."""
        if self.publisher is None:
            return
        try:
            if signed is None:
                self.publisher.publish(self.engine)
            else:
                self.publisher.write(signed)
        except Exception as exc:
            log.error("publishing audit checkpoints to %s failed: %s", self.publisher.path, exc)

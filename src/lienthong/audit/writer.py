"""Group commit: a background thread appends queued entries, one transaction per batch.

A request hands its entry over and awaits the future; the future resolves only after the batch
holding it is committed, and fails (→ 503 ``audit-unavailable``) when the write failed. So a read
is never answered unless its entry is durable, while one commit serves many concurrent reads.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
import time
from collections.abc import Mapping
from concurrent.futures import Future
from typing import Any

from sqlalchemy import Engine

from lienthong.audit import chain
from lienthong.audit.service import AuditKeys, AuditUnavailable

log = logging.getLogger("lienthong.audit")
_STOP = object()


class AuditWriter:
    def __init__(self, engine: Engine, keys: AuditKeys, *, batch_max: int = 1000) -> None:
        self.engine = engine
        self.keys = keys
        self.batch_max = batch_max
        self._queue: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
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

    def submit(self, entry: Mapping[str, Any]) -> Future[int]:
        future: Future[int] = Future()
        if self._thread is None:
            future.set_exception(AuditUnavailable("the audit writer is not running"))
        else:
            self._queue.put((entry, future))
        return future

    async def write(self, entry: Mapping[str, Any]) -> int:
        return await asyncio.wrap_future(self.submit(entry))

    def _run(self) -> None:
        last_checkpoint = time.monotonic()
        stopping = False
        while not stopping:
            try:
                first = self._queue.get(timeout=min(self.keys.checkpoint_seconds, 5.0))
            except queue.Empty:
                first = None
            batch: list[tuple[Mapping[str, Any], Future[int]]] = []
            item = first
            while item is not None:
                if item is _STOP:
                    stopping = True
                    break
                batch.append(item)
                if len(batch) >= self.batch_max:
                    break
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    item = None
            if batch:
                self._commit(batch)
            if stopping or time.monotonic() - last_checkpoint >= self.keys.checkpoint_seconds:
                self._checkpoint()
                last_checkpoint = time.monotonic()

    def _commit(self, batch: list[tuple[Mapping[str, Any], Future[int]]]) -> None:
        try:
            with self.engine.begin() as conn:
                seqs = chain.append(
                    conn,
                    [entry for entry, _ in batch],
                    key=self.keys.signing_key,
                    key_id=self.keys.key_id,
                    checkpoint_every=self.keys.checkpoint_every,
                )
        except Exception as exc:
            log.error("audit batch of %d entries failed: %s", len(batch), exc)
            for _, future in batch:
                future.set_exception(AuditUnavailable("the audit log could not be written"))
            return
        self.batches += 1
        for seq, (_, future) in zip(seqs, batch, strict=True):
            future.set_result(seq)

    def _checkpoint(self) -> None:
        try:
            with self.engine.begin() as conn:
                chain.checkpoint_now(conn, key=self.keys.signing_key, key_id=self.keys.key_id)
        except Exception as exc:
            log.error("audit checkpoint failed: %s", exc)

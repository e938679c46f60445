"""Ingests run in the background: a few threads of the server's process load the batches that
a request opened, so that the request answers as soon as its batch exists.

The request reserves a place first (:meth:`Background.place`: at most ``WORKERS`` running and
``WAITING`` waiting, else 429 ``rate-limited``), receives its file into the place's folder
under the data directory (the request's own temporary folder ends with it), opens the batch
(:func:`lienthong.ingest.service.open_file`) and hands it over (:meth:`Background.submit`).
The folder goes when the job ends.

When the server stops, a running job stops at its next chunk and a waiting one before its
first; each is marked failed (``ingest-interrupted``, audited with its actor) and running the
same file again resumes it. A server killed outright leaves its batches running: the next
start marks them failed alike (:mod:`lienthong.ingest.interrupted`) and removes their
folders."""

from __future__ import annotations

import logging
import queue
import shutil
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine

from lienthong.config import Settings
from lienthong.db import session_factory
from lienthong.errors import LienthongError, retry_after_header
from lienthong.ingest.interrupted import STOPPED, IngestInterrupted, fail_interrupted
from lienthong.ingest.job import RUNNING, Opened
from lienthong.ingest.models import Batch

WORKERS = 2  # jobs loading at once (each is one writer; SQLite has one writer at a time)
WAITING = 6  # jobs opened and waiting for a worker (each holds its input's claim)
MARKER = "batch"  # in a place's folder: the id of the batch it feeds
ORPHAN_SECONDS = 3600  # a folder without a batch this old is a request that died
log = logging.getLogger(__name__)


RETRY_SECONDS = 30  # what a clerk is asked to wait when every place is taken


class IngestsBusy(LienthongError):
    """Every place for a background ingest is taken."""

    code = "rate-limited"
    status = 429

    def __init__(self) -> None:
        super().__init__("too many ingests are running or waiting; send the file again later")
        self.headers = retry_after_header(RETRY_SECONDS)


@dataclass
class Place:
    """A reserved place: its folder, for the file, until a job takes it."""

    folder: Path
    taken: bool = False


@dataclass
class _Job:
    place: Place
    opened: Opened


class Background:
    """The process's background ingests (started and stopped with the application)."""

    def __init__(
        self, engine: Engine, settings: Settings, *, workers: int = WORKERS, waiting: int = WAITING
    ) -> None:
        self.engine = engine
        self.settings = settings
        self.folder = settings.data_dir / "ingest-uploads"
        self._workers = workers
        self._places = threading.BoundedSemaphore(workers + waiting)
        self._queue: queue.Queue[_Job | None] = queue.Queue()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    @property
    def stopping(self) -> bool:
        return self._stop.is_set()

    def start(self) -> None:
        """End the batches a stopped or killed server left running, remove their folders,
        then start the workers."""
        fail_interrupted(engine=self.engine, settings=self.settings)
        if self.folder.is_dir():  # made by the first upload: a server may never take one
            self._remove_left_over()
        for n in range(self._workers):
            thread = threading.Thread(target=self._work, name=f"ingest-{n}", daemon=True)
            thread.start()
            self._threads.append(thread)

    def stop(self, timeout: float = 30.0) -> None:
        """Interrupt the running jobs at their next chunk and the waiting ones: each batch
        marked failed (``ingest-interrupted``)."""
        self._stop.set()
        for _ in self._threads:
            self._queue.put(None)
        for thread in self._threads:
            thread.join(timeout)
        while True:  # the jobs no worker took (the workers have ended)
            try:
                job = self._queue.get_nowait()
            except queue.Empty:
                return
            if job is not None:
                self._abandon(job)

    @contextmanager
    def place(self) -> Iterator[Place]:
        """A place for one job, or 429 ``rate-limited``; given back with its folder when the
        block ends without :meth:`submit`."""
        if self._stop.is_set() or not self._places.acquire(blocking=False):
            raise IngestsBusy()
        got = Place(self.folder / uuid.uuid4().hex)
        got.folder.mkdir(parents=True)
        try:
            yield got
        finally:
            if not got.taken:
                self._give_back(got)

    def submit(self, place: Place, opened: Opened) -> None:
        """Load the opened batch in a worker; its place (and folder) is the job's now."""
        (place.folder / MARKER).write_text(opened.batch_id, encoding="ascii")
        place.taken = True
        self._queue.put(_Job(place, opened))

    def _work(self) -> None:
        while (job := self._queue.get()) is not None:
            if self._stop.is_set():
                self._abandon(job)
                continue
            try:
                job.opened.complete(progress=self.after_chunk)
            except Exception:  # the batch is marked failed, with its error, by complete()
                log.warning("background ingest of batch %s failed", job.opened.batch_id)
            finally:
                self._give_back(job.place)

    def after_chunk(self, _rows: int) -> None:
        """Called after each chunk: a stopping server interrupts the job there."""
        if self._stop.is_set():
            raise IngestInterrupted(STOPPED)

    def _abandon(self, job: _Job) -> None:
        try:
            job.opened.abandon(IngestInterrupted(STOPPED))
        except Exception:  # the next start marks it failed
            log.warning("batch %s could not be marked interrupted", job.opened.batch_id)
        finally:
            self._give_back(job.place)

    def _give_back(self, place: Place) -> None:
        shutil.rmtree(place.folder, ignore_errors=True)
        self._places.release()

    def _remove_left_over(self) -> None:
        """The folders of batches no longer running, and of requests that died before their
        batch opened (older than an hour: a request in another process may be receiving)."""
        now = time.time()
        with session_factory(self.engine)() as session:
            for folder in self.folder.iterdir():
                marker = folder / MARKER
                if marker.is_file():
                    batch = session.get(Batch, marker.read_text(encoding="ascii").strip())
                    gone = batch is None or batch.status != RUNNING
                else:
                    gone = now - folder.stat().st_mtime > ORPHAN_SECONDS
                if gone:
                    shutil.rmtree(folder, ignore_errors=True)

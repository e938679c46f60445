"""Linking what the store holds: every person- and business-bearing dataset, read in bulk."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import polars as pl
from sqlalchemy.orm import Session

from lienthong.config import Settings
from lienthong.errors import NotFound, ValidationFailed
from lienthong.linkage import training
from lienthong.linkage.scoring import DUCKDB, Backend
from lienthong.linkage.service import RunSummary, link
from lienthong.linkage.spec import KINDS, load_sources
from lienthong.store.service import iter_frames


def check_kinds(kinds: Sequence[str]) -> list[str]:
    wrong = [k for k in kinds if k not in KINDS]
    if wrong or not kinds:
        raise ValidationFailed.on(
            "kind", "invalid-linkage-kind", f"kind must be one of {', '.join(KINDS)}"
        )
    return list(dict.fromkeys(kinds))


def store_frames(*, session: Session, kind: str) -> dict[str, pl.DataFrame]:
    """The current records of every dataset that carries ``kind``; absent datasets are skipped."""
    frames: dict[str, pl.DataFrame] = {}
    for dataset in dict.fromkeys(s.dataset for s in load_sources() if s.kind == kind):
        try:
            parts = list(iter_frames(engine_or_session=session, dataset=dataset))
        except NotFound:
            continue  # the standard is not published here
        if parts:
            frames[dataset] = pl.concat(parts, how="vertical_relaxed")
    return frames


def run(
    *,
    session: Session,
    id_key: bytes,
    kinds: Sequence[str] = KINDS,
    full: bool = False,
    backend: Backend = DUCKDB,
) -> list[RunSummary]:
    """Link the store's records of each kind (incrementally unless ``full``), the pairs scored
    on ``backend``."""
    return [
        link(
            session=session,
            kind=kind,
            frames=store_frames(session=session, kind=kind),
            id_key=id_key,
            full=full,
            backend=backend,
        )
        for kind in check_kinds(kinds)
    ]


def train(
    *,
    session: Session,
    kind: str,
    activate: bool | None = None,
    em: bool = True,
    settings: Settings,
    actor: dict[str, Any] | None = None,
) -> training.Trained:
    """Train ``kind``'s comparisons on the store's current records (audited)."""
    check_kinds([kind])
    return training.train(
        session=session,
        kind=kind,
        frames=store_frames(session=session, kind=kind),
        activate=training.ACTIVATE if activate is None else activate,
        em=em,
        trained_by=str((actor or {}).get("name") or (actor or {}).get("kind") or "operator"),
        settings=settings,
        actor=actor,
    )

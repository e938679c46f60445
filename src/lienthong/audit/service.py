"""Audit services: record an event, find a person's reads, build the audit context.

Privacy: personal IDs never appear in clear in the log. An entry holds the keyed hash
HMAC-SHA256(LIENTHONG_AUDIT_SUBJECT_KEY, personal ID) of each person it touched and of each key
requested, so that the subject report can find a person without the log naming anyone; whoever
holds only the export cannot reverse the hashes (the 12-digit ID space is small, which is why a
plain hash would not do).
"""

from __future__ import annotations

import getpass
import hashlib
import hmac
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import Session

from lienthong.audit import chain
from lienthong.config import Settings
from lienthong.errors import LienthongError
from lienthong.events import event
from lienthong.keys import key_id, secret_file, single_key
from lienthong.paging import PageRequest, keyset_page

READ_ACTIONS = ("data.read", "data.list", "data.lookup")


class AuditUnavailable(LienthongError):
    """The audit entry could not be written, so the request is not answered."""

    code = "audit-unavailable"
    status = 503


@dataclass(frozen=True)
class AuditKeys:
    signing_key: Ed25519PrivateKey
    key_id: str
    subject_key: bytes
    checkpoint_every: int
    checkpoint_seconds: float

    @property
    def signer(self) -> chain.Signer:
        return chain.Signer.of(
            self.signing_key, self.key_id, self.checkpoint_every, self.checkpoint_seconds
        )


@lru_cache(maxsize=8)
def _keys(
    data_dir: Path,
    env: str,
    signing_file: Path | None,
    subject: str | None,
    every: int,
    seconds: float,
) -> AuditKeys:
    settings = Settings(environment=env, data_dir=data_dir, audit_signing_key_file=signing_file)
    key = single_key(settings, signing_file, "audit-signing.pem")
    subject_key = subject.encode() if subject else secret_file(settings, "audit-subject.key")
    return AuditKeys(key, key_id(key.public_key()), subject_key, every, seconds)


def audit_keys(settings: Settings) -> AuditKeys:
    subject = settings.audit_subject_key.get_secret_value() if settings.audit_subject_key else None
    return _keys(
        settings.data_dir,
        settings.environment.value,
        settings.audit_signing_key_file,
        subject,
        settings.audit_checkpoint_every,
        settings.audit_checkpoint_seconds,
    )


def subject_hash(keys: AuditKeys, value: str) -> str:
    return hmac.new(keys.subject_key, value.encode(), hashlib.sha256).hexdigest()


def operator_actor() -> dict[str, str]:
    return {"kind": "operator"}


def cli_actor() -> dict[str, str]:
    """The operator at the server's console: the command line and the login that ran it."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):  # no login name in this environment
        user = "unknown"
    return {"kind": "operator", "via": "cli", "user": user}


def record(*, session: Session, settings: Settings, entry: Mapping[str, Any]) -> int:
    """Append one entry in the caller's transaction (atomic with the change it describes)."""
    keys = audit_keys(settings)
    [seq] = chain.append(session.connection(), [entry], signer=keys.signer)
    return seq


def record_change(
    *,
    session: Session,
    settings: Settings,
    action: str,
    target: Mapping[str, Any],
    changed: BaseModel | Iterable[str] | None = None,
    actor: Mapping[str, Any] | None = None,
) -> int:
    """Audit an operator's change to the registry in the caller's transaction.

    ``target`` names what changed (organisation, system, client id); ``changed`` is the update
    (its fields set) or the updated field names. Values are not recorded, and never a secret.
    ``actor``: the API's operator unless given (the command line passes :func:`cli_actor`).
    """
    if isinstance(changed, BaseModel):
        changed = changed.model_fields_set
    fields = sorted(changed or ())
    who = actor if actor is not None else operator_actor()
    entry = event(action, actor=who, detail=dict(target), fields=fields or None)
    return record(session=session, settings=settings, entry=entry)


def subject_reads(
    *,
    session: Session,
    settings: Settings,
    personal_id: str,
    page: PageRequest,
) -> tuple[list[dict[str, Any]], str | None]:
    """The reads that returned this person's records, oldest first (keyset on seq)."""
    digest = subject_hash(audit_keys(settings), personal_id)
    stmt = (
        select(chain.entries.c.seq, chain.entries.c.body)
        .join(chain.subjects, chain.subjects.c.seq == chain.entries.c.seq)
        .where(chain.subjects.c.subject == digest)
    )
    # Only successful reads record subjects, so every row found is a read of this person.
    rows, nxt = keyset_page(
        session,
        stmt,
        keys=[chain.entries.c.seq],
        page=page,
        scope=("audit.subjects", digest),
        rows=True,
    )
    return [_report_row(json.loads(row["body"])) for row in rows], nxt


def _report_row(entry: Mapping[str, Any]) -> dict[str, Any]:
    actor = entry.get("actor", {})
    return {
        "seq": entry["seq"],
        "at": entry["at"],
        "organisation": actor.get("organisation"),
        "system": actor.get("system"),
        "dataset": entry.get("dataset"),
        "purpose": entry.get("purpose"),
        "on_behalf_of": entry.get("on_behalf_of"),
        "request_id": entry.get("request_id"),
    }


def hashes(keys: AuditKeys, values: Iterable[str]) -> list[str]:
    return [subject_hash(keys, v) for v in values]


def search_entries(
    *, session: Session, action: str, page: PageRequest
) -> tuple[list[dict[str, Any]], str | None]:
    """Entries of one action (``operator.break-glass``, ``grant.approve``…), oldest first.

    The body is canonical JSON, so the action is matched as its exact ``"action":"…"`` text
    (a scan of the log: for investigations, not for a hot path), then checked once parsed."""
    needle = chain.canonical({"action": action})[1:-1]
    stmt = select(chain.entries.c.seq, chain.entries.c.body).where(
        chain.entries.c.body.contains(needle, autoescape=True)
    )
    rows, nxt = keyset_page(
        session,
        stmt,
        keys=[chain.entries.c.seq],
        page=page,
        scope=("audit.entries", action),
        rows=True,
    )
    bodies = [json.loads(row["body"]) for row in rows]
    return [b for b in bodies if b.get("action") == action], nxt


@dataclass(frozen=True)
class EntryFilter:
    """What an audit search narrows to; None: any. ``since``/``until`` bound the entry's time
    (``until`` excluded)."""

    action: str | None = None
    system: str | None = None
    dataset: str | None = None
    purpose: str | None = None
    since: datetime | None = None
    until: datetime | None = None

    def needles(self) -> list[str]:
        """The canonical ``"key":"value"`` texts an entry's body must contain."""
        pairs = {
            "action": self.action,
            "system": self.system,
            "dataset": self.dataset,
            "purpose": self.purpose,
        }
        return [chain.canonical({k: v})[1:-1] for k, v in pairs.items() if v]

    def matches(self, entry: Mapping[str, Any]) -> bool:
        actor = entry.get("actor") or {}
        at = datetime.fromisoformat(str(entry["at"]))
        return (
            (self.action is None or entry.get("action") == self.action)
            and (self.system is None or actor.get("system") == self.system)
            and (self.dataset is None or entry.get("dataset") == self.dataset)
            and (self.purpose is None or entry.get("purpose") == self.purpose)
            and (self.since is None or at >= self.since)
            and (self.until is None or at < self.until)
        )

    def scope(self) -> tuple[str, ...]:
        return tuple(
            str(v or "")
            for v in (
                self.action,
                self.system,
                self.dataset,
                self.purpose,
                self.since and self.since.isoformat(),
                self.until and self.until.isoformat(),
            )
        )


def filter_entries(
    *, session: Session, where: EntryFilter, page: PageRequest
) -> tuple[list[dict[str, Any]], str | None]:
    """Entries by system, dataset, purpose, action and time, oldest first (keyset on seq).

    As :func:`search_entries`: each filter is matched as its canonical ``"key":"value"`` text
    (a scan of the log, for investigations), then checked once parsed; the time bounds are
    checked once parsed, so a page may hold fewer entries than its limit."""
    stmt = select(chain.entries.c.seq, chain.entries.c.body)
    for needle in where.needles():
        stmt = stmt.where(chain.entries.c.body.contains(needle, autoescape=True))
    rows, nxt = keyset_page(
        session,
        stmt,
        keys=[chain.entries.c.seq],
        page=page,
        scope=("audit.filter", *where.scope()),
        rows=True,
    )
    bodies = [json.loads(row["body"]) for row in rows]
    return [b for b in bodies if where.matches(b)], nxt

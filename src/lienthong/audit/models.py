"""Audit tables. An entry's canonical JSON is stored as written, so the hash covers the bytes."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from lienthong.db import Base, UTCDateTime


class AuditEntry(Base):
    """One event; ``hash`` = SHA-256(previous hash + canonical JSON ``body``)."""

    __tablename__ = "audit_entries"

    seq: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=False
    )
    body: Mapped[str] = mapped_column(Text)
    hash: Mapped[str] = mapped_column(String(64))


class AuditSubject(Base):
    """Index from a keyed hash of a personal ID to the entries that touched that person."""

    __tablename__ = "audit_subjects"
    __table_args__ = (Index("ix_audit_subjects_subject", "subject", "seq"),)

    seq: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=False
    )
    subject: Mapped[str] = mapped_column(String(64), primary_key=True)


class AuditCheckpoint(Base):
    """A signed statement: the chain up to ``seq`` ends in ``hash``; the checkpoint before it is
    at ``prev``; the policy is one every ``every`` entries and ``seconds`` (None: signed before
    checkpoints carried their policy)."""

    __tablename__ = "audit_checkpoints"

    seq: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=False
    )
    hash: Mapped[str] = mapped_column(String(64))
    at: Mapped[str] = mapped_column(String(40))
    prev: Mapped[int | None] = mapped_column(BigInteger().with_variant(Integer, "sqlite"))
    every: Mapped[int | None] = mapped_column(Integer)
    seconds: Mapped[int | None] = mapped_column(Integer)
    key_id: Mapped[str] = mapped_column(String(64))
    signature: Mapped[str] = mapped_column(String(200))


class AuditHead(Base):
    """The single row every appender locks: last seq and hash, last checkpoint and its policy."""

    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"))
    hash: Mapped[str] = mapped_column(String(64))
    checkpoint_seq: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"))
    checkpoint_at: Mapped[datetime] = mapped_column(UTCDateTime)
    checkpoint_every: Mapped[int | None] = mapped_column(Integer)
    checkpoint_seconds: Mapped[int | None] = mapped_column(Integer)


class AuditArchive(Base):
    """A stretch of the chain taken out of the database into a file (``lienthong audit
    archive``): entries ``first_seq``..``last_seq``, the chain's hash at ``last_seq`` (a signed
    checkpoint holds it), the file's name and SHA-256."""

    __tablename__ = "audit_archives"

    first_seq: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=False
    )
    last_seq: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"))
    last_hash: Mapped[str] = mapped_column(String(64))
    entries: Mapped[int] = mapped_column(Integer)
    file: Mapped[str] = mapped_column(String(300))
    sha256: Mapped[str] = mapped_column(String(64))
    archived_at: Mapped[datetime] = mapped_column(UTCDateTime)

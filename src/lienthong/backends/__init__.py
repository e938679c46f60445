"""Database backends: one module per engine, chosen once from the engine's dialect.

Adding an engine is writing a ``Backend`` subclass and listing it in ``BACKENDS``.
"""

from __future__ import annotations

from functools import cache

from sqlalchemy import Connection, Engine, Text, make_url
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeEngine

from lienthong.backends.base import Backend, Bulk, LockHeld
from lienthong.backends.postgresql import PostgreSQL
from lienthong.backends.sqlite import SQLite
from lienthong.errors import ConfigurationError

__all__ = ["BACKENDS", "Backend", "Bulk", "LockHeld", "backend_for", "backend_for_url", "key_text"]

BACKENDS: dict[str, Backend] = {b.name: b for b in (SQLite(), PostgreSQL())}


def backend_for(bind: Engine | Connection | Dialect | str) -> Backend:
    """The backend of an engine, a connection, a dialect or a dialect name."""
    if isinstance(bind, str):
        name = bind
    elif isinstance(bind, Dialect):
        name = bind.name
    else:
        name = bind.dialect.name
    try:
        return BACKENDS[name]
    except KeyError:
        supported = ", ".join(sorted(BACKENDS))
        raise ConfigurationError(
            f"the store cannot run on {name!r}; it runs on {supported}"
        ) from None


def backend_for_url(url: str) -> Backend:
    """The backend of a SQLAlchemy URL (``sqlite+pysqlite:///…``, ``postgresql+psycopg://…``)."""
    return backend_for(make_url(url).get_backend_name())


@cache
def key_text() -> TypeEngine[str]:
    """The type of a text key column, as each backend declares it."""
    kind: TypeEngine[str] = Text()
    for backend in BACKENDS.values():
        kind = kind.with_variant(backend.key_text, backend.name)
    return kind

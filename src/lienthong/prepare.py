"""Bring a database to a usable state: migrations, then reference data. Idempotent."""

from __future__ import annotations

from sqlalchemy import Engine

from lienthong import migrate
from lienthong.audit.seed import ensure_audit_head
from lienthong.db import transaction
from lienthong.dti.sets import ensure_builtin_sets
from lienthong.exchange.grants import seed_purposes
from lienthong.federation import models as federation_models  # noqa: F401  (tables)
from lienthong.linkage import models as linkage_models  # noqa: F401  (tables in Base.metadata)
from lienthong.providers import models as provider_models  # noqa: F401  (tables)
from lienthong.registry.loader import ensure_builtin_units
from lienthong.soc.connections import models as connection_models  # noqa: F401  (tables)
from lienthong.standards.service import ensure_builtin_standards


def prepare_database(engine: Engine) -> None:
    migrate.upgrade(engine)
    seed_reference_data(engine)


def seed_reference_data(engine: Engine) -> None:
    """Load built-in reference data that is missing (unit code lists, …)."""
    with transaction(engine) as session:
        ensure_builtin_units(session)
        seed_purposes(session)
        ensure_audit_head(session)
        ensure_builtin_standards(session)
        ensure_builtin_sets(session)

"""Alembic environment: the engine comes from lienthong.migrate, never from an ini file."""

from alembic import context

engine = context.config.attributes["engine"]

with engine.begin() as connection:
    context.configure(connection=connection, render_as_batch=True)
    context.run_migrations()

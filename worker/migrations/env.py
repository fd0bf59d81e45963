"""Alembic runs on the connection handed over by worker.adapters.db.upgrade."""

from alembic import context

from worker.adapters.tables import metadata

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()

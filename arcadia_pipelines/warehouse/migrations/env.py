"""Alembic environment: runs on the connection handed over by warehouse.migrate."""

from alembic import context

from arcadia_pipelines.warehouse.dialect import dialect_of
from arcadia_pipelines.warehouse.migrate import VERSION_TABLE
from arcadia_pipelines.warehouse.schema import metadata

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations through `arcadia-pipelines migrate`")
context.configure(connection=connection, target_metadata=metadata, version_table=VERSION_TABLE,
                  render_as_batch=dialect_of(connection).alters_tables_by_copy)
with context.begin_transaction():
    context.run_migrations()

"""The warehouse as a Dagster resource: migrated before every run, URL never in metadata."""

from __future__ import annotations

import dagster as dg
import sqlalchemy as sa
from pydantic import PrivateAttr

from arcadia_pipelines.warehouse.engine import create_warehouse_engine, warehouse_url
from arcadia_pipelines.warehouse.migrate import upgrade


class WarehouseResource(dg.ConfigurableResource):
    """SQLAlchemy URL of the warehouse. Left unset it is read from ARCADIA_WAREHOUSE_URL at run
    time (default: SQLite under DAGSTER_HOME), so a password in the URL never enters run config."""

    url: str | None = None
    _engine: sa.Engine | None = PrivateAttr(default=None)

    def setup_for_execution(self, context: dg.InitResourceContext) -> None:
        self._engine = create_warehouse_engine(self.url or warehouse_url())
        upgrade(self._engine)

    def teardown_after_execution(self, context: dg.InitResourceContext) -> None:
        if self._engine is not None:
            self._engine.dispose()

    @property
    def engine(self) -> sa.Engine:
        if self._engine is None:
            raise RuntimeError("WarehouseResource is used outside a Dagster run")
        return self._engine

"""The production instance's storage: dagster-postgres, configured with a plain `postgresql://` URL.

SQLAlchemy 2.1 drives a plain `postgresql://` URL with psycopg (3), but dagster-postgres needs
psycopg2: it sends statements such as `NOTIFY run_events, %s`, which only client-side parameter
binding (psycopg2's) accepts. The repository's `dagster.yaml` names this class, so
`DAGSTER_POSTGRES_URL` takes the same plain URL as `ARCADIA_WAREHOUSE_URL`; an explicit
`postgresql+<driver>://` URL is used as given.
"""

from __future__ import annotations

from dagster._serdes import ConfigurableClassData
from dagster_postgres import DagsterPostgresStorage
from dagster_postgres.utils import get_token_provider_from_config, pg_url_from_config
from sqlalchemy.engine import make_url


def with_psycopg2(url: str) -> str:
    """`url` with the psycopg2 driver named when it names none."""
    parsed = make_url(url)
    if parsed.drivername not in ("postgresql", "postgres"):
        return url
    return parsed.set(drivername="postgresql+psycopg2").render_as_string(hide_password=False)


class PostgresStorage(DagsterPostgresStorage):
    """`DagsterPostgresStorage` (same config: `postgres_url` or `postgres_db`) on psycopg2."""

    @classmethod
    def from_config_value(cls, inst_data: ConfigurableClassData | None, config_value) -> PostgresStorage:
        return cls(
            inst_data=inst_data,
            postgres_url=with_psycopg2(pg_url_from_config(config_value)),
            should_autocreate_tables=config_value.get("should_autocreate_tables", True),
            token_provider=get_token_provider_from_config(config_value),
        )

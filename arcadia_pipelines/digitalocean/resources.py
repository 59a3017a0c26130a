"""DigitalOcean as a Dagster resource.

Bind `token` to `dg.EnvVar("DIGITALOCEAN_TOKEN")`: Dagster then resolves it when a run starts,
keeps it out of run config and the UI, and fails a run with an error naming the variable when it
is unset. The field is also hidden from the resource's repr.
"""

from __future__ import annotations

import dagster as dg
from pydantic import Field

from .client import DEFAULT_API_URL, DigitalOceanClient


class DigitalOceanResource(dg.ConfigurableResource):
    token: str = Field(repr=False, description="DigitalOcean API token (DIGITALOCEAN_TOKEN).")
    api_url: str = Field(default=DEFAULT_API_URL, description="DigitalOcean API base URL.")

    def get_client(self) -> DigitalOceanClient:
        return DigitalOceanClient(self.token, self.api_url)

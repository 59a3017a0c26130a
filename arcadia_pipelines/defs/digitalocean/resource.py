"""DigitalOcean as a Dagster resource.

Bind `token` to `dg.EnvVar("DIGITALOCEAN_TOKEN")`: Dagster then resolves it when a run starts,
keeps it out of run config and the UI, and fails a run with an error naming the variable when it
is unset. The field is also hidden from the resource's repr.

`timeout_seconds` is the total deadline of one call to DigitalOcean (connecting, every retry and
the whole body: a server trickling its answer cannot hold a run), `listing_timeout_seconds` that of
one listing with all its pages.

`api_url` is not a secret. Left unset, it is read from DIGITALOCEAN_API_URL when the client is
made (like the warehouse URL), defaulting to https://api.digitalocean.com.
"""

from __future__ import annotations

import os

import dagster as dg
from pydantic import Field

from arcadia_pipelines.digitalocean.client import (API_URL_ENV_VAR, DEFAULT_API_URL, DEFAULT_LISTING_TIMEOUT,
                                                   DEFAULT_TIMEOUT, DigitalOceanClient)


class DigitalOceanResource(dg.ConfigurableResource):
    token: str = Field(repr=False, description="DigitalOcean API token (DIGITALOCEAN_TOKEN).")
    api_url: str | None = Field(default=None, description=f"DigitalOcean API base URL; unset: {API_URL_ENV_VAR} "
                                                          f"at run time, else {DEFAULT_API_URL}.")
    timeout_seconds: float = Field(default=DEFAULT_TIMEOUT, gt=0,
                                   description="Total deadline of one DigitalOcean call: connecting, retries and "
                                               "the whole answer.")
    listing_timeout_seconds: float = Field(default=DEFAULT_LISTING_TIMEOUT, gt=0,
                                           description="Total deadline of one listing, every page included.")

    def get_client(self) -> DigitalOceanClient:
        return DigitalOceanClient(self.token, self.api_url or os.environ.get(API_URL_ENV_VAR) or DEFAULT_API_URL,
                                  self.timeout_seconds, listing_timeout=self.listing_timeout_seconds)

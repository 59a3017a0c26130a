"""Developer tools: a DigitalOcean-shaped API server for tests and the demo. The tests check it
against DigitalOcean's OpenAPI spec (vendor/digitalocean-openapi)."""

from .do_account import FakeDoAccount
from .do_api_server import DoApiServer, RequestRecord

__all__ = ["DoApiServer", "FakeDoAccount", "RequestRecord"]

"""Developer tools: a DigitalOcean-shaped API server for tests and the demo, and the OpenAPI spec
it is checked against."""

from .do_account import FakeDoAccount
from .do_api_server import DoApiServer, RequestRecord

__all__ = ["DoApiServer", "FakeDoAccount", "RequestRecord"]

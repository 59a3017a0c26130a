"""Failures become one-line DigitalOceanErrors, and the token never leaks into errors or logs."""

from __future__ import annotations

import logging
import secrets
import time
import traceback

import pytest

from arcadia_pipelines.devtools import DoApiServer
from arcadia_pipelines.digitalocean import (
    DigitalOceanAuthError,
    DigitalOceanClient,
    DigitalOceanConnectionError,
    DigitalOceanError,
    DigitalOceanForbiddenError,
    DigitalOceanNotFoundError,
    DigitalOceanTimeoutError,
    DigitalOceanUnavailableError,
)


def _everything_about(exc: BaseException) -> str:
    return "\n".join([str(exc), repr(exc), *traceback.format_exception(exc)])


def test_a_rejected_token_says_so_once_without_retrying_or_leaking(do_server):
    wrong = f"dop_v1_{secrets.token_hex(32)}"
    client = DigitalOceanClient(wrong, do_server.url, retry_backoff_factor=0.01)

    with pytest.raises(DigitalOceanAuthError) as caught:
        list(client.droplets())

    assert str(caught.value) == "DigitalOcean rejected the token (401 Unauthorized); check DIGITALOCEAN_TOKEN"
    assert caught.value.status == 401
    assert wrong not in _everything_about(caught.value)
    assert caught.value.__cause__ is None
    assert [r.status for r in do_server.requests] == [401]


def test_a_token_without_scope_names_the_missing_scope(do_server, client):
    do_server.script_failures("/v2/customers/my/invoices", [403])

    with pytest.raises(DigitalOceanForbiddenError, match="403 forbidden: token lacks scope .* billing:read"):
        list(client.invoices())


def test_an_unknown_invoice_is_a_clear_not_found(client):
    with pytest.raises(DigitalOceanNotFoundError) as caught:
        list(client.invoice_items("no-such-invoice"))
    assert str(caught.value) == "DigitalOcean resource not found: /v2/customers/my/invoices/no-such-invoice"


def test_retries_are_bounded_and_then_fail_clearly(do_server, token):
    do_server.script_failures("/v2/droplets", [500] * 10)
    client = DigitalOceanClient(token, do_server.url, retries=2, retry_backoff_factor=0.01)

    with pytest.raises(DigitalOceanUnavailableError, match=r"kept answering 500 to GET /v2/droplets after 2 retries"):
        list(client.droplets())
    assert len(do_server.requests) == 3


def test_a_silent_api_times_out_with_the_timeout_in_the_message(do_server, token):
    do_server.script_delays("/v2/volumes", [3])
    client = DigitalOceanClient(token, do_server.url, timeout=0.3, retries=0)

    started = time.monotonic()
    with pytest.raises(DigitalOceanTimeoutError,
                       match=r"did not answer GET /v2/volumes in time: no complete answer within the 0.3s deadline"):
        list(client.volumes())
    assert time.monotonic() - started < 2


def test_an_unreachable_api_is_a_connection_error(token):
    with DoApiServer(token=token) as server:
        url = server.url  # nothing listens here once the server has stopped
    client = DigitalOceanClient(token, url, retries=1, retry_backoff_factor=0.01)

    with pytest.raises(DigitalOceanConnectionError, match=f"Could not reach DigitalOcean at {url} for GET /v2/droplets") as caught:
        list(client.droplets())
    assert token not in _everything_about(caught.value)


@pytest.mark.parametrize("missing", ["", "   ", None])
def test_a_missing_token_names_the_environment_variable(missing):
    with pytest.raises(DigitalOceanError, match="DIGITALOCEAN_TOKEN"):
        DigitalOceanClient(missing)


def test_the_token_is_never_sent_over_plain_http_to_a_remote_host(token):
    with pytest.raises(DigitalOceanError, match="plain http to api.example.com; use https") as caught:
        DigitalOceanClient(token, "http://api.example.com")
    assert token not in _everything_about(caught.value)
    for loopback in ("http://127.0.0.1:9", "http://127.8.9.10:9", "http://localhost:9", "http://[::1]:9"):
        DigitalOceanClient(token, loopback)  # allowed: test servers
    assert token not in repr(DigitalOceanClient(token))


def test_no_log_line_or_error_carries_the_token(do_server, client, token, caplog):
    caplog.set_level(logging.DEBUG)
    do_server.add_droplet()
    do_server.script_failures("/v2/droplets", [429])

    assert len(list(client.droplets())) == 1
    with pytest.raises(DigitalOceanUnavailableError) as unavailable:
        do_server.script_failures("/v2/volumes", [500] * 5)
        list(client.volumes())
    with pytest.raises(DigitalOceanAuthError) as rejected:
        do_server.token = "rotated"
        list(client.volumes())

    logged = "\n".join(
        [caplog.text, *(r.getMessage() for r in caplog.records), *(repr(r.args) for r in caplog.records)]
    )
    assert "Authorization': 'REDACTED'" in logged  # azure-core's HTTP logging ran, with the header redacted
    assert token not in logged
    assert token not in _everything_about(unavailable.value) + _everything_about(rejected.value)
    assert token not in repr(do_server.requests)

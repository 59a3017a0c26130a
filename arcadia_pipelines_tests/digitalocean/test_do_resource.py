"""DigitalOceanResource in real Dagster runs: the token comes from DIGITALOCEAN_TOKEN at run time
and is kept out of run config, the event log and reprs."""

from __future__ import annotations

import dagster as dg
import pytest

from arcadia_pipelines.defs.digitalocean.resource import DigitalOceanResource
from arcadia_pipelines.digitalocean import DigitalOceanError

pytestmark = pytest.mark.slow  # Dagster runs


@dg.asset
def droplet_count(digitalocean: DigitalOceanResource) -> int:
    return len(list(digitalocean.get_client().droplets()))


def _materialize(api_url: str, instance: dg.DagsterInstance) -> dg.ExecuteInProcessResult:
    resource = DigitalOceanResource(token=dg.EnvVar("DIGITALOCEAN_TOKEN"), api_url=api_url)
    return dg.materialize([droplet_count], resources={"digitalocean": resource}, instance=instance)


def test_a_run_reads_the_token_from_the_environment_and_stores_it_nowhere(do_server, token, monkeypatch):
    monkeypatch.setenv("DIGITALOCEAN_TOKEN", token)
    do_server.add_droplet()
    do_server.add_droplet(size_slug="gpu-h100x1-80gb")

    with dg.DagsterInstance.ephemeral() as instance:
        result = _materialize(do_server.url, instance)
        assert result.output_for_node("droplet_count") == 2
        stored = dg.serialize_value(instance.get_run_by_id(result.run_id))
        stored += "".join(dg.serialize_value(entry) for entry in instance.all_logs(result.run_id))
    assert token not in stored
    assert token not in repr(DigitalOceanResource(token=token))


def test_an_unset_token_variable_fails_the_run_naming_it(do_server, monkeypatch):
    monkeypatch.delenv("DIGITALOCEAN_TOKEN", raising=False)
    with dg.DagsterInstance.ephemeral() as instance:
        with pytest.raises(dg.DagsterInvalidConfigError, match='environment variable "DIGITALOCEAN_TOKEN" which is not set'):
            _materialize(do_server.url, instance)


def test_an_empty_token_variable_fails_naming_it(do_server, monkeypatch):
    monkeypatch.setenv("DIGITALOCEAN_TOKEN", "")
    with dg.DagsterInstance.ephemeral() as instance:
        with pytest.raises(DigitalOceanError, match="DIGITALOCEAN_TOKEN"):
            _materialize(do_server.url, instance)

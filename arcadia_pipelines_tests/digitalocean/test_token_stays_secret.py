"""The DigitalOcean token never reaches the Dagster instance: not its run records, not any event's
text or metadata, not any file under the instance folder, not the captured output."""

import logging

import dagster as dg

from arcadia_pipelines.devtools.do_builders import invoice_item
from arcadia_pipelines_tests.builders import World

from .runs import run_cloud_invoices, run_inventory

WRONG = "dop_v1_0123456789abcdef-a-revoked-token"


def test_the_token_is_in_no_log_no_metadata_and_no_file_of_the_instance(engine, do_server, token, instance,
                                                                        instance_dir, monkeypatch, capfd, caplog):
    caplog.set_level(logging.DEBUG)
    World(engine).tenant("acme").deployment("dep-acme", "acme", do_tag="arcadia-acme")
    do_server.add_droplet(id=1, tags=["arcadia-acme"])
    do_server.add_invoice("2026-04", [invoice_item("24.00", resource_id="1")])
    do_server.script_failures("/v2/droplets", [429, 500])

    results = [run_inventory(instance), run_cloud_invoices(instance), run_cloud_invoices(instance, "2026-03-01")]
    monkeypatch.setenv("DIGITALOCEAN_TOKEN", WRONG)
    results.append(run_inventory(instance))
    assert [r.success for r in results] == [True, True, False, False]

    records = []
    for r in results:
        records.append(dg.serialize_value(instance.get_run_by_id(r.run_id)))
        records += [dg.serialize_value(entry) for entry in instance.all_logs(r.run_id)]
    files = {p: p.read_bytes() for p in instance_dir.rglob("*") if p.is_file()}
    assert any(results[0].run_id.encode() in content for content in files.values())  # the search sees runs
    out, err = capfd.readouterr()
    for secret in (token, WRONG):
        assert not [text for text in records if secret in text]
        assert not [p for p, content in files.items() if secret.encode() in content]
        assert secret not in out + err + caplog.text

"""`arcadia-pipelines webhooks` as a user runs it: secrets printed only by add and rotate-secret,
one-line errors, and a delivering process killed -9 mid-batch that loses nothing and repeats at
most the event in flight."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from arcadia_pipelines_tests.test_cli import EXE, ROOT

from .scenario import activity, month_of_drafts, pushed_event_ids
from .test_delivery import assert_signed_and_whole, in_order_with_retries_only

pytestmark = pytest.mark.slow


def run(*args: str, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run([EXE, "webhooks", *args], env=env, cwd=ROOT, capture_output=True, text=True, timeout=120)


@pytest.fixture
def env(warehouse_url) -> dict:
    return {**os.environ, "ARCADIA_WAREHOUSE_URL": warehouse_url}


def test_secrets_are_printed_by_add_and_rotate_only_and_errors_are_one_line(env, receiver):
    added = run("add", "--url", receiver.url, "--events", "invoice.paid,month.invoiced", env=env)
    assert added.returncode == 0 and added.stdout.startswith("whsec_") and added.stdout.count("\n") == 1
    secret = added.stdout.strip()
    assert "shown only now" in added.stderr and secret not in added.stderr
    rotated = run("rotate-secret", "1", env=env)
    new_secret = rotated.stdout.strip()
    assert rotated.returncode == 0 and new_secret.startswith("whsec_") and new_secret != secret
    listed = run("list", "--json", env=env)
    [endpoint] = json.loads(listed.stdout)
    assert endpoint["events"] == ["invoice.paid", "month.invoiced"] and endpoint["disabled"] is False
    assert run("disable", "1", env=env).stdout.strip() == "webhook endpoint 1 disabled"
    assert json.loads(run("list", "--json", env=env).stdout)[0]["disabled"] is True
    for args, code, says in ((["add", "--url", "ftp://x"], 2, "http:// or https://"),
                             (["add", "--url", receiver.url, "--events", "invoice.lost"], 2, "--events takes"),
                             (["redeliver", "--from", "x"], 2, "positive whole number"),
                             (["disable", "9"], 1, "no webhook endpoint with id 9")):
        done = run(*args, env=env)
        assert (done.returncode, done.stdout) == (code, "") and says in done.stderr
        assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr
    home = Path(env["DAGSTER_HOME"])
    for text in (secret, new_secret):
        assert not [p for p in home.rglob("*") if p.is_file() and text.encode() in p.read_bytes()]
        assert text not in listed.stdout + listed.stderr


def test_a_delivering_process_killed_mid_batch_loses_nothing_and_repeats_at_most_the_event_in_flight(
        env, engine, receiver):
    receiver.delay = 0.03
    added = run("add", "--url", receiver.url, env=env)
    secret = added.stdout.strip()
    list(activity(engine, month_of_drafts(engine, 60)))
    expected = pushed_event_ids(engine)

    process = subprocess.Popen([EXE, "webhooks", "deliver"], env=env, cwd=ROOT, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    ends = time.monotonic() + 60
    while len(receiver.requests) < len(expected) // 3 and time.monotonic() < ends:
        time.sleep(0.01)
    os.kill(process.pid, signal.SIGKILL)
    out, err = process.communicate(timeout=30)
    got_before_kill = len(receiver.requests)
    assert 0 < got_before_kill < len(expected)

    done = run("deliver", env=env)
    assert done.returncode == 0 and done.stdout.startswith("delivered ")
    ids = receiver.ids()
    assert sorted(set(ids)) == expected
    assert len(ids) - len(expected) <= 1  # at most the event in flight, again
    assert in_order_with_retries_only(ids)
    assert_signed_and_whole(receiver, secret)
    assert run("deliver", env=env).stdout.startswith("delivered 0 event(s)")
    home = Path(env["DAGSTER_HOME"])
    assert secret not in out + err + done.stdout + done.stderr
    assert not [p for p in home.rglob("*") if p.is_file() and secret.encode() in p.read_bytes()]

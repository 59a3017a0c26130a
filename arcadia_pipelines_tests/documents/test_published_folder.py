"""The folder an AR export publishes: a link switched to complete versions, the previous one kept
for readers that opened it, an export from before versions taken over, nothing left half-written."""

from __future__ import annotations

import errno
import os

import pytest

from arcadia_pipelines.documents.published_folder import PublishError, publish


def listing(path):
    return sorted(p.name for p in path.iterdir())


def test_a_plain_folder_from_before_is_replaced_by_versions_and_only_two_are_kept(tmp_path):
    month = tmp_path / "ar" / "2026-04"
    month.mkdir(parents=True)
    (month / "invoices.csv").write_bytes(b"old\n")
    assert publish(month, {"invoices.csv": b"old\n"}) == []  # same bytes: nothing written, still a folder
    assert not month.is_symlink()

    assert publish(month, {"invoices.csv": b"new\n", "manifest.json": b"{}\n"}) == ["invoices.csv", "manifest.json"]
    versions = tmp_path / "ar" / ".2026-04.versions"
    assert month.is_symlink() and (month / "invoices.csv").read_bytes() == b"new\n"
    assert "legacy" in listing(versions) and (versions / "legacy" / "invoices.csv").read_bytes() == b"old\n"

    first = month.resolve()
    assert publish(month, {"invoices.csv": b"newer\n", "manifest.json": b"{}\n"}) == ["invoices.csv"]
    assert sorted(listing(versions)) == sorted([first.name, month.resolve().name])  # legacy pruned
    assert os.path.samefile(first / "manifest.json", month / "manifest.json")  # unchanged: the same file


def test_a_file_that_cannot_be_opened_changes_nothing_and_is_named(tmp_path, monkeypatch):
    month = tmp_path / "ar" / "2026-04"
    publish(month, {"invoices.csv": b"old\n", "manifest.json": b"{}\n"})
    before = month.resolve()
    real_open = os.open

    def refused(path, flags, *args, **kwargs):  # an injected fault: EACCES on one file
        if str(path).endswith("/manifest.json"):
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(path))
        return real_open(path, flags, *args, **kwargs)

    monkeypatch.setattr(os, "open", refused)
    with pytest.raises(PublishError) as refusal:
        publish(month, {"invoices.csv": b"new\n", "manifest.json": b"{\"new\": 1}\n"})
    monkeypatch.undo()
    assert str(refusal.value) == (f"cannot write {month / 'manifest.json'}: Permission denied "
                                  "(the previous files are unchanged)")
    assert month.resolve() == before and (month / "invoices.csv").read_bytes() == b"old\n"
    assert listing(tmp_path / "ar" / ".2026-04.versions") == [before.name]  # the half-written version is gone

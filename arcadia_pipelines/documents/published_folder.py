"""A folder of files replaced all at once: readers see the whole previous set or the whole new one.

`<parent>/<name>` is a symbolic link to a complete version folder, `<parent>/.<name>.versions/<id>/`.
A new set of files is written into a staging folder beside the versions (each file fsynced), the
staging folder is renamed to its version, and the link is switched with one atomic rename. Any
failure before the switch leaves the link, and so the folder readers see, exactly as it was; the
staging folder is removed. The previous version is kept (a reader that opened the folder just
before the switch still finds its files); older ones are removed. When every file's bytes are
unchanged nothing at all is written, so a re-run changes no byte and no modification time, and an
unchanged file in a new version is a hard link to the previous one's (same bytes, same time).

A folder written before versions existed (a plain directory) is read as the current version and
becomes `.versions/legacy` when first replaced.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import time
from collections.abc import Iterator, Mapping
from pathlib import Path

STAGING_PREFIX = ".staging-"
STALE_STAGING_SECONDS = 3600  # a staging folder this old is a crashed run's, not a running one's


class PublishError(Exception):
    """A file could not be written or the folder switched; names the file. Nothing readers see changed."""


@contextlib.contextmanager
def _naming(shown: Path) -> Iterator[None]:
    try:
        yield
    except OSError as e:
        raise PublishError(f"cannot write {shown}: {e.strerror or e} (the previous files are unchanged)") from None


def current_version(link: Path) -> Path | None:
    """The folder readers see now, or None."""
    if link.is_symlink():
        target = link.resolve()
        return target if target.is_dir() else None
    return link if link.is_dir() else None


def _read(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except OSError:
        return None


def _write(path: Path, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view):]
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def publish(link: Path, files: Mapping[str, bytes]) -> list[str]:
    """Make `link` show exactly `files` (name -> bytes), all at once; the names whose bytes changed
    (none, and nothing written, when all are the same). PublishError names what failed."""
    current = current_version(link)
    changed = [name for name, data in files.items() if current is None or _read(current / name) != data]
    if current is not None and not changed and sorted(p.name for p in current.iterdir()) == sorted(files):
        return []
    versions = link.parent / f".{link.name}.versions"
    version = versions / f"{time.strftime('%Y%m%dT%H%M%SZ', time.gmtime())}-{os.urandom(4).hex()}"
    staging = versions / f"{STAGING_PREFIX}{version.name}"
    try:
        with _naming(link.parent):
            staging.mkdir(parents=True)
        for name, data in files.items():
            with _naming(link / name):
                if current is not None and name not in changed:
                    with contextlib.suppress(OSError):
                        os.link(current / name, staging / name)
                        continue
                _write(staging / name, data)
        with _naming(link):
            _fsync_dir(staging)
            os.rename(staging, version)
            _fsync_dir(versions)
            previous = _switch(link, version, versions)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    _prune(versions, keep={version, previous, current_version(link)})  # the last: a concurrent export's
    return changed


def _switch(link: Path, version: Path, versions: Path) -> Path | None:
    """Point `link` at `version` in one rename; the version it showed before, if any."""
    previous = current_version(link)
    pointer = link.with_name(f".{link.name}.switch-{os.getpid()}")
    with contextlib.suppress(FileNotFoundError):
        pointer.unlink()
    os.symlink(os.path.relpath(version, link.parent), pointer)
    if previous == link:  # a plain folder, from before versions
        previous = versions / "legacy"
        if previous.exists():
            shutil.rmtree(previous)
        os.rename(link, previous)
    os.replace(pointer, link)
    _fsync_dir(link.parent)
    return previous


def _prune(versions: Path, keep: set[Path | None]) -> None:
    """Remove versions other than `keep`, and staging folders crashed runs left behind."""
    keep = {p.resolve() for p in keep if p is not None}
    for entry in versions.iterdir():
        if entry.resolve() in keep:
            continue
        if entry.name.startswith(STAGING_PREFIX) and time.time() - entry.stat().st_mtime < STALE_STAGING_SECONDS:
            continue  # perhaps another run's, still writing
        shutil.rmtree(entry, ignore_errors=True)

"""Complete listings: every page, each item once, exactly as many items as DigitalOcean's `meta.total`.

A listing that stops early (a page without `links` while `meta.total` says more exist), lists more
than `meta.total`, or has no `meta.total` at all is refused: applying it would end every resource
it left out. A listing whose `meta.total` changes between pages (or that repeats an item) shifted
while it was read, which skips items; it is read again, up to ATTEMPTS times.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from .errors import DigitalOceanListingError, DigitalOceanMalformedError
from .pagination import next_page

ATTEMPTS = 3


@dataclass(frozen=True)
class Listed:
    """One listed item and where it was, so that a malformed one can be named."""

    item: dict
    page: int
    position: int  # 1-based on its page


@dataclass
class _Read:
    items: list[Listed]
    totals: list[int]  # meta.total of each page
    repeated: int = 0  # items listed twice: the listing shifted between pages

    @property
    def shifted(self) -> bool:
        return self.repeated > 0 or len(set(self.totals)) > 1


def _total(body: dict, what: str, page: int) -> int:
    meta = body.get("meta")
    total = meta.get("total") if isinstance(meta, dict) else None
    if not isinstance(total, int) or isinstance(total, bool) or total < 0:
        raise DigitalOceanMalformedError(f"{what} malformed: page {page} has no meta.total (a whole number)")
    return total


def _read_once(fetch_page: Callable[[int], dict], what: str, key: str, id_key: str | None, path: str) -> _Read:
    read, seen, page = _Read([], []), set(), 1
    while page is not None:
        body = fetch_page(page)
        read.totals.append(_total(body, what, page))
        items = body.get(key)
        if not isinstance(items, list):
            raise DigitalOceanMalformedError(f"{what} malformed: page {page} has no '{key}' list")
        for position, item in enumerate(items, start=1):
            if not isinstance(item, dict):
                raise DigitalOceanMalformedError(f"{what} malformed: item {position} on page {page} is not an object")
            ident = item.get(id_key) if id_key and isinstance(item.get(id_key), (str, int)) else None
            if ident is not None:
                if ident in seen:
                    read.repeated += 1
                    continue
                seen.add(ident)
            read.items.append(Listed(item, page, position))
        page = next_page(body, page, path)
    return read


def read_listing(fetch_page: Callable[[int], dict], what: str, key: str, id_key: str | None,
                 path: str) -> list[Listed]:
    """Every item of the listing `fetch_page(n)` pages through, once each (by `id_key`, when items
    have ids), or DigitalOceanListingError (DigitalOceanMalformedError for an answer without the shape
    of a listing). `what` names the listing in errors ("droplet listing")."""
    for _ in range(ATTEMPTS):
        read = _read_once(fetch_page, what, key, id_key, path)
        if not read.shifted:
            break
    else:
        raise DigitalOceanListingError(
            f"{what} kept changing while it was read ({ATTEMPTS} attempts; meta.total "
            f"{' -> '.join(map(str, read.totals))}, {read.repeated} item(s) listed twice)")
    total, got, pages = read.totals[-1], len(read.items), len(read.totals)
    if got != total:
        state = "incomplete" if got < total else "inconsistent"
        raise DigitalOceanListingError(f"{what} {state}: meta.total {total}, got {got} on {pages} page(s)")
    return read.items

"""DigitalOcean list pagination: pydo fetches one page; `links.pages.next` says if there is another."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from .errors import DigitalOceanError

MAX_PER_PAGE = 200  # DigitalOcean's maximum


def next_page(body: dict, page: int, path: str) -> int | None:
    """The page number `links.pages.next` points at, or None on the last page."""
    link = ((body.get("links") or {}).get("pages") or {}).get("next")
    if not link:
        return None
    try:
        number = int(parse_qs(urlsplit(link).query)["page"][0])
    except (KeyError, ValueError):
        number = 0
    if number <= page:  # also guards against looping forever on a broken link
        raise DigitalOceanError(f"DigitalOcean sent a bad next-page link for GET {path}: {link}")
    return number


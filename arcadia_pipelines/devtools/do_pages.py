"""DigitalOcean's list pagination: `page`/`per_page` in, `links.pages` and `meta.total` out."""

from __future__ import annotations

import math
from urllib.parse import urlencode

DEFAULT_PER_PAGE = 20
MAX_PER_PAGE = 200


def _number(value: str | None, default: int) -> int:
    try:
        return int(value) if value is not None else default
    except ValueError:
        return default


def paginate(key: str, items: list, base_url: str, query: dict[str, str]) -> dict:
    """`{key: <this page>, "links": {"pages": {...}}, "meta": {"total": n}}`. Links are absolute
    and keep the other query parameters; a single page has `"links": {}` like the real API."""
    per_page = min(max(_number(query.get("per_page"), DEFAULT_PER_PAGE), 1), MAX_PER_PAGE)
    page = max(_number(query.get("page"), 1), 1)
    last = max(math.ceil(len(items) / per_page), 1)
    others = {k: v for k, v in query.items() if k not in ("page", "per_page")}

    def link(number: int) -> str:
        return f"{base_url}?{urlencode({**others, 'page': number, 'per_page': per_page})}"

    pages = {}
    if page > 1:
        pages.update(first=link(1), prev=link(page - 1))
    if page < last:
        pages.update(next=link(page + 1), last=link(last))
    return {
        key: items[(page - 1) * per_page : page * per_page],
        "links": {"pages": pages} if pages else {},
        "meta": {"total": len(items)},
    }

"""DigitalOcean's ISO 8601 timestamps ("2026-04-01T00:00:00Z") as aware UTC datetimes."""

from datetime import datetime, timezone


def parse_timestamp(text: str) -> datetime:
    """A timestamp without an offset is UTC, like every timestamp DigitalOcean sends."""
    parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return parsed.replace(tzinfo=timezone.utc) if parsed.tzinfo is None else parsed.astimezone(timezone.utc)

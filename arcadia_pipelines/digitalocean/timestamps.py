"""DigitalOcean's ISO 8601 timestamps ("2026-04-01T00:00:00Z") as aware UTC datetimes."""

from datetime import datetime, timezone


def parse_timestamp(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(timezone.utc)

"""Metering freshness: usage is only as good as the last look at DigitalOcean's inventory."""

from datetime import datetime, timezone

import dagster as dg

from arcadia_pipelines.monthend.metering_gaps import STALE_AFTER, STALE_HOURS, latest_observation

from ..resources import WarehouseResource
from .assets import do_inventory


@dg.asset_check(asset=do_inventory,
                description=f"Warns when the latest inventory observation is more than {STALE_HOURS} hours old: "
                            "open intervals are then billed on an assumption, not an observation.")
def inventory_is_fresh(warehouse: WarehouseResource) -> dg.AssetCheckResult:
    with warehouse.engine.connect() as conn:
        latest = latest_observation(conn)
    if latest is None:
        return dg.AssetCheckResult(passed=False, severity=dg.AssetCheckSeverity.WARN,
                                   description="DigitalOcean's inventory has never been observed")
    age = datetime.now(timezone.utc) - latest
    return dg.AssetCheckResult(
        passed=age <= STALE_AFTER, severity=dg.AssetCheckSeverity.WARN,
        metadata={"latest_observation": dg.MetadataValue.timestamp(latest),
                  "age_minutes": round(age.total_seconds() / 60)})

"""`deployment_usage`: each billed subscription's metered quantity inside its window, and
`usage_evidence`: the rows it is the sum of.

One set-based statement writes the evidence, every lifetime interval overlapping a billed window
with its clipped window, whole hours and hours x size, and one more sums it per subscription and
meter into `deployment_usage`, so the two cannot disagree. Exact on PostgreSQL (NUMERIC), and on
SQLite as long as sizes are whole numbers (droplets count 1, volumes whole gigabytes), which its
integer arithmetic keeps exact. SQLite keeps sizes as decimal text that its arithmetic would turn
into floats, so when any size is fractional (or huge) Python multiplies instead (exact decimals),
a batch of tenants at a time, and bulk-inserts the evidence and its sums.

Bad input is found first, by one scan of the intervals that may matter to the month (a range
of an index, not the closed history; and, only when it finds something, one join naming the
subscriptions it touches) and two small queries over the month's subscriptions.
Its tenants are recorded in `billing_errors` and get no new usage (one whose draft stands keeps
the usage and evidence that draft was made from, while the draft is held back: invoicing/drafts.py);
every other tenant's usage is exactly what it would be without the bad rows, which are never
multiplied.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

import sqlalchemy as sa

from arcadia_pipelines.billing.bounds import MAX_RESOURCE_QUANTITY
from arcadia_pipelines.billing.errors import BillingError
from arcadia_pipelines.billing.periods import Period
from arcadia_pipelines.billing.pricebook import METER_RESOURCE_KINDS
from arcadia_pipelines.invoicing.drafts import held_back
from arcadia_pipelines.warehouse.reads import BATCH_TENANTS, TenantRange, billed_subscriptions, micros, tenant_ranges
from arcadia_pipelines.warehouse.schema import (billing_errors, deployment_usage, metered_resources, subscriptions,
                                                usage_evidence)
from arcadia_pipelines.warehouse.dialect import Dialect, dialect_of
from arcadia_pipelines.warehouse.sqlfuncs import (bulk_insert, epoch_us, greatest, least, relevant_until,
                                                  timestamp_of_us)

from .billing_errors_store import replace_errors
from .shards import WHOLE_MONTH, Shard
from .progress import stage_progress
from .stage import StageResult, month_end_stage
from .statistics import refresh

HOUR_US = 3_600_000_000
METER_OF_KIND = {kind: meter for meter, kind in METER_RESOURCE_KINDS.items()}
EVIDENCE_COLUMNS = ("period_start", "subscription_id", "meter", "resource_kind", "resource_id", "started_at",
                    "tenant_id", "deployment_id", "window_start", "window_end", "hours", "size")


@dataclass
class UsageResult(StageResult):
    """What the usage stage wrote for its tenants: usage and evidence rows, quantity per meter."""

    evidence_rows: int = 0
    by_meter: dict[str, Decimal] = field(default_factory=dict)


@dataclass(frozen=True)
class _Skip:
    """What the usage statement leaves out: the tenants with bad input, and the intervals that
    cannot be metered (so NaN, text or an overflow never enters the arithmetic)."""

    tenants: sa.Select | None = None
    bad_intervals: sa.ColumnElement[bool] | None = None


@dataclass(frozen=True)
class AsOf:
    """Usage as known at the instant `at`, for a month-to-date preview: each interval metered
    through `at` (inclusive, to the microsecond), or, `projected`, each one running at `at`
    (started by then, not ended by then) extended to its subscription window's end and each one
    starting after `at` left out."""

    at: datetime
    projected: bool = False

    def clip(self, m: sa.Table, lo: sa.ColumnElement, hi: sa.ColumnElement, we: sa.ColumnElement) -> sa.ColumnElement:
        through = micros(self.at + timedelta(microseconds=1))
        if not self.projected:
            return least(hi, through)
        return sa.case((epoch_us(m.c.started_at) >= through, lo),
                       (sa.and_(m.c.ended_at.is_not(None), epoch_us(m.c.ended_at) < through), hi), else_=we)


def _joined(period: Period, tenant_range: TenantRange = TenantRange(), skip: _Skip = _Skip()):
    """Billed subscriptions joined to their deployment's droplet and volume intervals."""
    billed = billed_subscriptions(period).where(*tenant_range.where(subscriptions.c.tenant_id))
    if skip.tenants is not None:
        billed = billed.where(subscriptions.c.tenant_id.not_in(skip.tenants))
    subs = billed.subquery("subs")
    m = metered_resources
    on = [m.c.deployment_id == subs.c.deployment_id, m.c.resource_kind.in_(METER_OF_KIND), may_matter(period)]
    if skip.bad_intervals is not None:
        on.append(sa.not_(skip.bad_intervals))
    return subs, m, subs.join(m, sa.and_(*on))


def _overlaps(period: Period, tenant_range: TenantRange, skip: _Skip, as_of: AsOf | None = None) -> sa.CTE:
    """Each interval joined to a billed subscription's window, with the overlap's bounds in µs (lo,
    hi; no overlap unless hi > lo). Each bound is computed once per row: SQLite materializes the CTE,
    and on PostgreSQL (faster without that) OFFSET 0 keeps it a subquery of its own instead of
    copying both bounds into every expression that uses them (the filter, the window, the hours and
    the quantity: the statement's reading half twice as fast at 100,000 tenants)."""
    subs, m, joined = _joined(period, tenant_range, skip)
    lo = greatest(epoch_us(m.c.started_at), subs.c.ws)
    hi = least(sa.func.coalesce(epoch_us(m.c.ended_at), subs.c.we), subs.c.we)
    if as_of is not None:
        hi = as_of.clip(m, lo, hi, subs.c.we)
    return (sa.select(subs.c.id.label("subscription_id"), subs.c.tenant_id, subs.c.deployment_id, m.c.resource_kind,
                      m.c.resource_id, m.c.started_at, m.c.quantity.label("size"), lo.label("lo"), hi.label("hi"))
            .select_from(joined).suffix_with("OFFSET 0", dialect="postgresql")
            .cte("overlaps").prefix_with("MATERIALIZED", dialect="sqlite"))


def evidence_rows(period: Period, tenant_range: TenantRange = TenantRange(), skip: _Skip = _Skip(),
                  with_quantity: bool = True, as_of: AsOf | None = None) -> sa.Select:
    """`usage_evidence` rows of the period (EVIDENCE_COLUMNS): each overlap's window, its whole
    hours, ceil(overlap / 1 h), and (`with_quantity`) hours x size, exact where the database's
    arithmetic on sizes is (PostgreSQL NUMERIC; SQLite for whole sizes)."""
    o = _overlaps(period, tenant_range, skip, as_of)
    hours = (o.c.hi - o.c.lo + (HOUR_US - 1)) // HOUR_US
    columns = [sa.literal(period.start, sa.Date).label("period_start"), o.c.subscription_id,
               sa.case(METER_OF_KIND, value=o.c.resource_kind).label("meter"), o.c.resource_kind, o.c.resource_id,
               o.c.started_at, o.c.tenant_id, o.c.deployment_id, timestamp_of_us(o.c.lo).label("window_start"),
               timestamp_of_us(o.c.hi).label("window_end"), hours.label("hours"), o.c.size]
    return (sa.select(*columns, *([(hours * o.c.size).label("quantity")] if with_quantity else []))
            .where(o.c.hi > o.c.lo))


def may_matter(period: Period) -> sa.ColumnElement[bool]:
    """Whether an interval can matter to the period: it does not end, with its start, before the
    period starts (or its timestamps cannot be read). Through ix_metered_resources_relevant_until,
    a month reads its candidates, not the closed history of every month before it."""
    m = metered_resources
    return relevant_until(m.c.started_at, m.c.ended_at) >= micros(period.start_at)


def _any_interval(period: Period, *conditions: sa.ColumnElement[bool]) -> sa.Select:
    """Whether any droplet or volume interval that may matter to the period meets the
    conditions: one range of the index, no join."""
    m = metered_resources
    return sa.select(m.c.resource_id).where(m.c.resource_kind.in_(METER_OF_KIND), may_matter(period),
                                            *conditions).limit(1)


def sizes_sqlite_cannot_multiply(period: Period, skip: _Skip = _Skip()) -> sa.Select:
    """A size that is not a whole number of at most 12 digits (fractional, negative, empty, or
    so large that a product could leave SQLite's 64-bit integers): its arithmetic would go
    through float. Only intervals that may matter to the period are looked at, as only they
    reach the usage statement; intervals it leaves out do not count."""
    q = sa.cast(metered_resources.c.quantity, sa.Text)
    left_out = [] if skip.bad_intervals is None else [sa.not_(skip.bad_intervals)]
    return _any_interval(period, sa.or_(q.op("GLOB")(sa.literal("*[^0-9]*", sa.Text)), q == "",
                                        sa.func.length(q) > 12), *left_out)


@dataclass(frozen=True)
class _IntervalChecks:
    """What makes an interval unmeterable, as SQL conditions on `metered_resources`, never NULL
    together: a timestamp `epoch_us` cannot read (SQLite keeps any text in any column; on
    PostgreSQL an infinite one), a size that is not fixed-point decimal text (SQLite; what
    ExactDecimal writes), negative, or above its kind's bound (PostgreSQL's NaN sorts above every
    bound), or an end before the start."""

    unreadable_at: sa.ColumnElement[bool]
    not_a_number: sa.ColumnElement[bool]
    negative: sa.ColumnElement[bool]
    too_large: sa.ColumnElement[bool]
    ends_first: sa.ColumnElement[bool]

    @classmethod
    def of(cls, dialect: Dialect) -> "_IntervalChecks":
        m = metered_resources
        start, end = epoch_us(m.c.started_at), epoch_us(m.c.ended_at)
        size = sa.cast(m.c.quantity, sa.Numeric)
        return cls(unreadable_at=sa.or_(start.is_(None), sa.and_(m.c.ended_at.is_not(None), end.is_(None))),
                   not_a_number=dialect.not_a_number(m.c.quantity), negative=size < 0,
                   too_large=size > sa.case(MAX_RESOURCE_QUANTITY, value=m.c.resource_kind),
                   ends_first=sa.and_(m.c.ended_at.is_not(None), end < start))

    @staticmethod
    def any(dialect: Dialect) -> sa.ColumnElement[bool]:
        """Any of the checks, with each timestamp and size read once per row (one scan of every
        interval runs it each month-end): unreadable_at or ends_first, not_a_number, negative or
        too_large."""
        m = metered_resources
        start, end = epoch_us(m.c.started_at), epoch_us(m.c.ended_at)
        bad_times = sa.case((m.c.ended_at.is_(None), start.is_(None)),
                            else_=sa.not_(sa.func.coalesce(end >= start, False)))
        size = sa.cast(m.c.quantity, sa.Numeric)
        bad_size = sa.not_(size.between(0, sa.case(MAX_RESOURCE_QUANTITY, value=m.c.resource_kind)))
        return sa.or_(bad_times, dialect.not_a_number(m.c.quantity), bad_size)


def suspect_intervals(period: Period, dialect: Dialect) -> sa.Select:
    """An interval that may matter to the period and cannot be metered: only then is
    `bad_intervals` (a join over every billed subscription's window) worth running."""
    return _any_interval(period, _IntervalChecks.any(dialect))


def bad_intervals(period: Period, dialect: Dialect, tenant_range: TenantRange = TenantRange()) -> sa.Select:
    """Intervals that cannot be metered and may lie inside a subscription's window, with the rule
    each breaks. One whose timestamp cannot be read may lie in any window of its deployment; one
    that ends before it starts is judged by its start. A bad interval from another month does
    not block this one."""
    subs, m, joined = _joined(period, tenant_range)
    checks = _IntervalChecks.of(dialect)
    start = epoch_us(m.c.started_at)
    may_overlap = sa.and_(sa.or_(start.is_(None), start < subs.c.we),
                          sa.func.coalesce(epoch_us(m.c.ended_at), subs.c.we) > subs.c.ws)
    starts_inside = sa.and_(start >= subs.c.ws, start < subs.c.we)
    rule = sa.case((checks.unreadable_at, "unreadable_timestamp"), (checks.not_a_number, "invalid_number"),
                   (checks.negative, "negative_quantity"), (checks.too_large, "quantity_out_of_bounds"),
                   else_="interval_ends_before_start")
    unmeterable = sa.or_(checks.unreadable_at, checks.not_a_number, checks.negative, checks.too_large)
    return (sa.select(subs.c.tenant_id, subs.c.id.label("subscription_id"), rule.label("rule"), m.c.resource_kind,
                      m.c.resource_id, *_as_text(m.c.started_at, m.c.ended_at), m.c.quantity)
            .select_from(joined)
            .where(sa.or_(sa.and_(unmeterable, may_overlap), sa.and_(checks.ends_first, starts_inside))))


def _interval_error(r) -> BillingError:
    what = f"metered {r.resource_kind} {r.resource_id} (started {r.started_at})"
    message = {
        "unreadable_timestamp": f"metered {r.resource_kind} {r.resource_id} has started_at {r.started_at!r}, "
                                f"ended_at {r.ended_at!r}: not a timestamp",
        "invalid_number": f"{what} has quantity {r.quantity!r}, not a number",
        "negative_quantity": f"{what} has quantity {r.quantity}",
        "quantity_out_of_bounds": f"{what} has quantity {r.quantity}, more than a {r.resource_kind} can have "
                                  f"({MAX_RESOURCE_QUANTITY[r.resource_kind]}, billing/bounds.py)",
        "interval_ends_before_start": f"{what} ends at {r.ended_at} before it starts",
    }[r.rule]
    return BillingError(r.rule, message, tenant_id=r.tenant_id, subscription_id=r.subscription_id)


def unreadable_subscriptions(period: Period, tenant_range: TenantRange = TenantRange()) -> sa.Select:
    """Subscriptions with a started_at or ended_at `epoch_us` cannot read, unless what it can read
    puts them outside the period: `billed_subscriptions` cannot see them, and they would silently
    not be billed."""
    s = subscriptions
    start, end = epoch_us(s.c.started_at), epoch_us(s.c.ended_at)
    unreadable = sa.or_(start.is_(None), sa.and_(s.c.ended_at.is_not(None), end.is_(None)))
    may_overlap = sa.and_(sa.or_(start.is_(None), start < micros(period.end_at)),
                          sa.or_(end.is_(None), end > micros(period.start_at)))
    return sa.select(s.c.tenant_id, s.c.id, *_as_text(s.c.started_at, s.c.ended_at)).where(
        unreadable, may_overlap, *tenant_range.where(s.c.tenant_id))


def _as_text(*columns: sa.Column) -> list[sa.ColumnElement[str]]:
    """Timestamps as the database shows them, for messages: what Python cannot hold too ('infinity')."""
    return [sa.cast(c, sa.Text).label(c.name) for c in columns]


def overlapping_subscriptions(period: Period, tenant_range: TenantRange = TenantRange()) -> sa.Select:
    """Pairs of one tenant's subscriptions on one deployment whose windows overlap inside the
    period: the plan and the usage would be billed twice. (A subscription on another tenant's
    deployment is `deployment_of_another_tenant`, for that tenant only.) Pairs are joined on the
    raw columns first, and only on deployments with several subscriptions (their index answers
    which), so timestamps are read only there."""
    a, b, s = subscriptions.alias("a"), subscriptions.alias("b"), subscriptions
    shared = sa.select(s.c.deployment_id).group_by(s.c.deployment_id).having(sa.func.count() > 1)
    p0, p1 = micros(period.start_at), micros(period.end_at)

    def end(s):
        return sa.func.coalesce(epoch_us(s.c.ended_at), p1)

    return (sa.select(a.c.tenant_id, a.c.deployment_id, a.c.id.label("first"), b.c.id.label("second"))
            .join(b, sa.and_(b.c.deployment_id == a.c.deployment_id, b.c.tenant_id == a.c.tenant_id,
                             b.c.id > a.c.id))
            .where(a.c.deployment_id.in_(shared), *tenant_range.where(a.c.tenant_id),
                   greatest(epoch_us(a.c.started_at), epoch_us(b.c.started_at), p0) < least(end(a), end(b), p1)))


def bad_input(conn: sa.Connection, period: Period,
              tenant_range: TenantRange = TenantRange()) -> tuple[list[BillingError], bool]:
    """Every named error the usage stage finds for the tenants in `tenant_range` (unmeterable
    intervals, unreadable or overlapping subscriptions), and whether any interval of any month
    is unmeterable."""
    dialect = dialect_of(conn)
    errors = []
    suspect = conn.execute(suspect_intervals(period, dialect)).first() is not None
    if suspect:
        errors += [_interval_error(r) for r in conn.execute(bad_intervals(period, dialect, tenant_range))]
    errors += [BillingError("unreadable_timestamp", f"started_at {r.started_at!r}, ended_at {r.ended_at!r}: "
                            "not a timestamp", tenant_id=r.tenant_id, subscription_id=r.id)
               for r in conn.execute(unreadable_subscriptions(period, tenant_range))]
    errors += [BillingError("overlapping_subscriptions", f"overlaps subscription {r.first} on deployment "
                            f"{r.deployment_id} in the month: plan and usage would be billed twice",
                            tenant_id=r.tenant_id, subscription_id=r.second)
               for r in conn.execute(overlapping_subscriptions(period, tenant_range))]
    return errors, suspect


def write_usage(engine: sa.Engine, period: Period, shard: Shard = WHOLE_MONTH) -> UsageResult:
    """Replace the period's usage and its evidence for the shard's tenants in one transaction.
    Tenants with bad input are recorded by name and get neither (those with a standing draft keep
    what they had); every other tenant's usage is
    exactly what it would be without them. The usage is the sum of the evidence rows, whichever
    way they are computed."""
    result = UsageResult()
    tenant_range = shard.tenants
    with month_end_stage(engine, period_start=period.start, heavy=True, shard=shard) as conn:
        dialect = dialect_of(conn)
        progress = stage_progress(conn, "usage", period.label, tenant_range)
        result.errors, suspect = bad_input(conn, period, tenant_range)
        replace_errors(conn, period, "usage", result.errors, tenant_range)
        e = billing_errors
        refused = sa.select(e.c.tenant_id).where(e.c.period_start == period.start, e.c.stage == "usage")
        skip = _Skip(refused if result.errors else None, _IntervalChecks.any(dialect) if suspect else None)
        kept = held_back(period, refused) if result.errors else None
        for table in (deployment_usage, usage_evidence):
            conn.execute(sa.delete(table).where(table.c.period_start == period.start,
                                                *tenant_range.where(table.c.tenant_id),
                                                *([] if kept is None else [table.c.tenant_id.not_in(kept)])))
        if not dialect.decimals_as_text or not conn.execute(sizes_sqlite_cannot_multiply(period, skip)).first():
            _insert_in_database(conn, period, tenant_range, result, skip, shard.has_siblings)
        else:
            for batch in tenant_ranges(conn, within=tenant_range):
                _insert_from_python(conn, period, batch, result, skip)
                progress.advance(BATCH_TENANTS)
        refresh(conn, deployment_usage, unless_busy=shard.has_siblings)
        progress.finish()
    return result


def _insert_in_database(conn: sa.Connection, period: Period, tenant_range: TenantRange, result: UsageResult,
                        skip: _Skip, has_siblings: bool = False) -> None:
    """The evidence by one INSERT … SELECT (its row count from the database), then the usage as its
    sums (on SQLite, whose sum of decimal text would be a float, of the whole numbers this path is
    only taken for). PostgreSQL writes the sums in key order, so its index inserts append instead
    of descending at random (a third faster at 50k tenants); SQLite would only sort them again.
    Reading the evidence back is cheaper than computing its join a second time, on both."""
    ev, u = usage_evidence, deployment_usage
    written = conn.execute(sa.insert(ev).from_select(
        [*EVIDENCE_COLUMNS, "quantity"], evidence_rows(period, tenant_range, skip))).rowcount
    dialect = dialect_of(conn)
    # Python's sqlite3 reports no row count (-1) for a statement that starts with WITH; SQLite does.
    result.evidence_rows = written if written >= 0 else conn.scalar(sa.select(sa.func.changes()))
    # the sums below, and the checks after the stage, plan on the month's evidence, not on none
    refresh(conn, ev, unless_busy=has_siblings)
    quantity = dialect.whole_number(ev.c.quantity)
    keys = (ev.c.period_start, ev.c.subscription_id, ev.c.meter, ev.c.tenant_id, ev.c.deployment_id,
            ev.c.resource_kind)
    kept = [] if skip.tenants is None else [ev.c.tenant_id.not_in(skip.tenants)]  # a held draft's, summed before
    sums = (sa.select(*keys, sa.func.sum(quantity))
            .where(ev.c.period_start == period.start, *tenant_range.where(ev.c.tenant_id), *kept).group_by(*keys))
    conn.execute(sa.insert(u).from_select(
        ["period_start", "subscription_id", "meter", "tenant_id", "deployment_id", "resource_kind", "quantity"],
        dialect.ordered_for_insert(sums, ev.c.subscription_id, ev.c.meter)))
    mine = [u.c.period_start == period.start, *tenant_range.where(u.c.tenant_id)]
    summary = conn.execute(sa.select(u.c.meter, sa.func.count(), sa.func.sum(u.c.quantity))
                           .where(*mine).group_by(u.c.meter)).all()
    result.rows = sum(n for _, n, _ in summary)
    result.subscriptions = conn.scalar(sa.select(sa.func.count(sa.distinct(u.c.subscription_id))).where(*mine))
    result.by_meter = {meter: qty for meter, _, qty in summary}


def _insert_from_python(conn: sa.Connection, period: Period, tenant_range: TenantRange,
                        result: UsageResult, skip: _Skip) -> None:
    """A batch of tenants with sizes SQLite cannot multiply exactly: hours x size in Python (exact
    decimals), the evidence and the usage from the same products."""
    evidence, totals = [], defaultdict(Decimal)
    for r in conn.execute(evidence_rows(period, tenant_range, skip, with_quantity=False)):
        quantity = Decimal(r.hours) * r.size
        evidence.append((*r, quantity))
        totals[(r.subscription_id, r.meter, r.tenant_id, r.deployment_id, r.resource_kind)] += quantity
    bulk_insert(conn, usage_evidence, evidence, [*EVIDENCE_COLUMNS, "quantity"])
    rows = [{"period_start": period.start, "subscription_id": sub, "meter": meter, "tenant_id": tenant,
             "deployment_id": dep, "resource_kind": kind, "quantity": qty}
            for (sub, meter, tenant, dep, kind), qty in totals.items()]
    bulk_insert(conn, deployment_usage, rows)
    result.rows += len(rows)
    result.evidence_rows += len(evidence)
    result.subscriptions += len({sub for sub, *_ in totals})
    for r in rows:
        result.by_meter[r["meter"]] = result.by_meter.get(r["meter"], Decimal(0)) + r["quantity"]

"""Utilisation read from the figures (figures.py), not from the whole log: the same
rows as analytics.utilisation for the same events, except that each day is
measured with the hours the site had that day.

By site, partner or category the daily figures are read (the items added up as
they changed): how many runs of whole days start and end each day, per site,
owner and category (each run's days count the site's open seconds of each day),
and the changing days' seconds. By item, the items' own rows.
"""

import json
from collections import defaultdict
from datetime import date
from itertools import accumulate

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from services.audit.analytics import HOUR, Period, SeriesPoint, Utilisation, _rate
from services.audit.figures import DAILY, MICRO, load_hours
from services.audit.history import History
from services.audit.models import ERASED, AuditEntry, DailyFigures, ItemDay, ItemRun, ItemStint

LABELS = (
    "inventory.partner_registered",
    "inventory.site_registered",
    "inventory.category_registered",
)


def utilisation(
    session: Session,
    period: Period,
    by: str = "site",
    step: str = "week",
    category_id: int | None = None,
) -> list[Utilisation]:
    """One row per item, category, site or partner (owner), as analytics.utilisation;
    of the devices of one category only if `category_id` is given."""
    days = list(period.days())
    hours = load_hours(session, period.zone)
    site_open: dict[int, list[float]] = {}

    def opens(site_id: int) -> list[float]:
        if site_id not in site_open:
            site_open[site_id] = hours.open_seconds_of(site_id, days)
        return site_open[site_id]

    buckets = _buckets(period, days, step)
    if by == "item":
        open_by_bucket, used_by_bucket = _per_item(
            session, period, days, buckets, opens, category_id
        )
    else:
        available, used = _per_place(session, period, by, days, opens, category_id)
        open_by_bucket = {
            group: _bucketed(seconds, buckets) for group, seconds in available.items()
        }
        used_by_bucket = {group: _bucketed(seconds, buckets) for group, seconds in used.items()}
    members = _members(session, period, by, category_id)
    labels = _labels(session, by)
    names = {site_id: hours.in_effect(site_id, date.max) for site_id in hours.entries}
    nothing = [0.0] * len(buckets)
    rows = [
        _row(
            by,
            group,
            labels.label(by, group, names),
            count,
            buckets,
            open_by_bucket.get(group, nothing),
            used_by_bucket.get(group, nothing),
        )
        for group, count in members.items()
    ]
    return sorted(rows, key=lambda row: (row.label, row.key if row.key is not None else -1))


def _per_place(
    session: Session, period: Period, by: str, days: list[date], opens, category_id=None
):
    """Seconds open and in use per group and day, from the daily figures added up
    per group and site by the database (a run's days count its site's hours)."""
    length = len(days)
    figures = DailyFigures.__table__.c
    group = figures[f"{by}_id"]
    counts: dict = defaultdict(lambda: ([0] * (length + 1), [0] * (length + 1)))
    for key_group, site_id, free, busy in session.execute(
        select(
            group,
            figures.site_id,
            func.sum(figures.free_starts - figures.free_ends),
            func.sum(figures.busy_starts - figures.busy_ends),
        )
        .where(figures.day < period.first_day, *_of(figures.category_id, category_id))
        .group_by(group, figures.site_id)
    ):
        free_changes, busy_changes = counts[(key_group, site_id)]
        free_changes[0] += int(free)
        busy_changes[0] += int(busy)
    available: dict = defaultdict(lambda: [0.0] * length)
    used: dict = defaultdict(lambda: [0.0] * length)
    sums = [func.sum(figures[name]) for name in DAILY]
    for key_group, site_id, day, *changes, open_us, occupied_us in session.execute(
        select(group, figures.site_id, figures.day, *sums)
        .where(
            figures.day >= period.first_day,
            figures.day <= period.last_day,
            *_of(figures.category_id, category_id),
        )
        .group_by(group, figures.site_id, figures.day)
    ):
        n = (day - period.first_day).days
        free_changes, busy_changes = counts[(key_group, site_id)]
        free_changes[n] += int(changes[0])
        free_changes[n + 1] -= int(changes[1])
        busy_changes[n] += int(changes[2])
        busy_changes[n + 1] -= int(changes[3])
        if open_us:
            available[key_group][n] += int(open_us) / MICRO  # PostgreSQL sums as numeric
        if occupied_us:
            used[key_group][n] += int(occupied_us) / MICRO
    for (key_group, site_id), (free_changes, busy_changes) in counts.items():
        site_open = opens(site_id)
        free = [c * s for c, s in zip(accumulate(free_changes), site_open, strict=False)]
        busy = [c * s for c, s in zip(accumulate(busy_changes), site_open, strict=False)]
        _add(available[key_group], free)
        _add(available[key_group], busy)
        _add(used[key_group], busy)
    return available, used


def _per_item(session: Session, period: Period, days: list[date], buckets, opens, category_id=None):
    """Seconds open and in use per item and bucket, from the items' own rows: a run
    of whole days adds its site's open seconds of those days (from running sums)."""
    bucket_of = [k for k, (_, start, end) in enumerate(buckets) for _ in range(start, end)]
    running: dict[int, list[float]] = {}
    available: dict = defaultdict(lambda: [0.0] * len(buckets))
    used: dict = defaultdict(lambda: [0.0] * len(buckets))
    last = len(days) - 1
    for item_id, site_id, busy, first_day, last_day in session.execute(
        select(
            ItemRun.item_id, ItemRun.site_id, ItemRun.busy, ItemRun.first_day, ItemRun.last_day
        ).where(
            ItemRun.first_day <= period.last_day,
            or_(ItemRun.last_day.is_(None), ItemRun.last_day >= period.first_day),
            *_of(ItemRun.category_id, category_id),
        )
    ):
        if site_id not in running:
            running[site_id] = [0.0, *accumulate(opens(site_id))]
        sums = running[site_id]
        start = max(0, (first_day - period.first_day).days)
        end = last if last_day is None else min(last, (last_day - period.first_day).days)
        for k in range(bucket_of[start], bucket_of[end] + 1):
            low, high = max(start, buckets[k][1]), min(end, buckets[k][2] - 1)
            seconds = sums[high + 1] - sums[low]
            available[item_id][k] += seconds
            if busy:
                used[item_id][k] += seconds
    for item_id, day, open_seconds, occupied in session.execute(
        select(ItemDay.item_id, ItemDay.day, ItemDay.open_seconds, ItemDay.occupied_seconds).where(
            ItemDay.day >= period.first_day,
            ItemDay.day <= period.last_day,
            *_of(ItemDay.category_id, category_id),
        )
    ):
        k = bucket_of[(day - period.first_day).days]
        available[item_id][k] += open_seconds
        used[item_id][k] += occupied
    return available, used


def _bucketed(seconds: list[float], buckets) -> list[float]:
    return [sum(seconds[start:end]) for _, start, end in buckets]


def _group_column(table, by: str):
    return {
        "item": table.item_id,
        "category": table.category_id,
        "site": table.site_id,
        "partner": table.partner_id,
    }[by]


def _add(into: list[float], seconds: list[float]) -> None:
    for n, value in enumerate(seconds):
        if value:
            into[n] += value


def _members(session: Session, period: Period, by: str, category_id=None) -> dict:
    """Per group, the items it had in service at some time in the period."""
    group = _group_column(ItemStint, by)
    return dict(
        session.execute(
            select(group, func.count(ItemStint.item_id.distinct()))
            .where(
                ItemStint.first_day <= period.last_day,
                or_(ItemStint.last_day.is_(None), ItemStint.last_day >= period.first_day),
                *_of(ItemStint.category_id, category_id),
            )
            .group_by(group)
        ).all()
    )


def _of(column, category_id) -> tuple:
    """The condition that keeps one category's rows, if one is asked for."""
    return () if category_id is None else (column == category_id,)


def _buckets(period: Period, days: list[date], step: str) -> list[tuple[date, int, int]]:
    """(first day, index of the first day, index after the last) of each bucket."""
    buckets: list[tuple[date, int, int]] = []
    for n, day in enumerate(days):
        bucket = period.bucket(day, step)
        if buckets and buckets[-1][0] == bucket:
            buckets[-1] = (bucket, buckets[-1][1], n + 1)
        else:
            buckets.append((bucket, n, n + 1))
    return buckets


def _labels(session: Session, by: str) -> History:
    """Codes and asset tags, from the registrations (the items' only when asked)."""
    types = (*LABELS, "inventory.item_registered") if by == "item" else LABELS
    bodies = session.scalars(
        select(AuditEntry.body).where(AuditEntry.type.in_(types), AuditEntry.body != ERASED)
    )
    return History.from_events(json.loads(body) for body in bodies)


def _row(by, group, label, items, buckets, open_seconds, used_seconds) -> Utilisation:
    series = tuple(
        SeriesPoint(
            bucket, round(available / HOUR, 2), round(in_use / HOUR, 2), _rate(in_use, available)
        )
        for (bucket, _, _), available, in_use in zip(
            buckets, open_seconds, used_seconds, strict=True
        )
    )
    total_open, total_used = sum(open_seconds), sum(used_seconds)
    return Utilisation(
        by,
        group,
        label,
        items,
        round(total_open / HOUR, 2),
        round(total_used / HOUR, 2),
        _rate(total_used, total_open),
        series,
    )

"""Utilisation read from the figures (figures.py), not from the whole log: the same
rows as analytics.utilisation for the same events, except that each day is
measured with the hours the site had that day.

The database adds up the items: how many runs of whole days start and end on
each day, per group and site (then each run's days count the site's open seconds
of each day), and the changing days' seconds per group and day.
"""

import json
from collections import defaultdict
from datetime import date
from itertools import accumulate

from sqlalchemy import Date, and_, case, func, literal, or_, select, type_coerce, union
from sqlalchemy.orm import Session

from services.audit.analytics import HOUR, Period, SeriesPoint, Utilisation, _rate
from services.audit.figures import load_hours
from services.audit.history import History
from services.audit.models import ERASED, AuditEntry, ItemDay, ItemRun

LABELS = (
    "inventory.partner_registered",
    "inventory.site_registered",
    "inventory.category_registered",
)


def utilisation(
    session: Session, period: Period, by: str = "site", step: str = "week"
) -> list[Utilisation]:
    """One row per item, category, site or partner (owner), as analytics.utilisation."""
    days = list(period.days())
    index = {day: n for n, day in enumerate(days)}
    hours = load_hours(session, period.zone)
    site_open: dict[int, list[float]] = {}

    def opens(site_id: int) -> list[float]:
        if site_id not in site_open:
            site_open[site_id] = [hours.open_seconds(site_id, day) for day in days]
        return site_open[site_id]

    available: dict = defaultdict(lambda: [0.0] * len(days))
    used: dict = defaultdict(lambda: [0.0] * len(days))
    for (group, site_id, busy), counts in _run_counts(session, period, by, len(days)).items():
        seconds = [count * open_ for count, open_ in zip(counts, opens(site_id), strict=True)]
        _add(available[group], seconds)
        if busy:
            _add(used[group], seconds)
    group_of = _group_column(ItemDay, by)
    for group, day, open_seconds, occupied in session.execute(
        select(
            group_of,
            ItemDay.day,
            func.sum(ItemDay.open_seconds),
            func.sum(ItemDay.occupied_seconds),
        )
        .where(ItemDay.day >= period.first_day, ItemDay.day <= period.last_day)
        .group_by(group_of, ItemDay.day)
    ):
        available[group][index[day]] += open_seconds
        used[group][index[day]] += occupied
    members = _members(session, period, by)
    buckets = _buckets(period, days, step)
    labels = _labels(session, by)
    names = {site_id: hours.in_effect(site_id, date.max) for site_id in hours.entries}
    rows = [
        _row(by, group, labels.label(by, group, names), count, available, used, buckets, len(days))
        for group, count in members.items()
    ]
    return sorted(rows, key=lambda row: (row.label, row.key if row.key is not None else -1))


def _group_column(table, by: str):
    return {
        "item": table.item_id,
        "category": table.category_id,
        "site": table.site_id,
        "partner": table.partner_id,
    }[by]


def _run_counts(session: Session, period: Period, by: str, length: int) -> dict:
    """(group, site, busy) → how many items stood there, free or in use, each day,
    from their runs of whole days: +1 where a run starts, -1 after it ends."""
    first, last = literal(period.first_day, Date), literal(period.last_day, Date)
    group = _group_column(ItemRun, by)
    overlaps = and_(
        ItemRun.first_day <= last, or_(ItemRun.last_day.is_(None), ItemRun.last_day >= first)
    )
    starts = type_coerce(case((ItemRun.first_day < first, first), else_=ItemRun.first_day), Date)
    ends = type_coerce(
        case(
            (or_(ItemRun.last_day.is_(None), ItemRun.last_day > last), last),
            else_=ItemRun.last_day,
        ),
        Date,
    )
    changes: dict = defaultdict(lambda: [0] * (length + 1))
    for edge, sign in ((starts, 1), (ends, -1)):
        for key_group, site_id, busy, day, count in session.execute(
            select(group, ItemRun.site_id, ItemRun.busy, edge, func.count())
            .where(overlaps)
            .group_by(group, ItemRun.site_id, ItemRun.busy, edge)
        ):
            at = (day - period.first_day).days + (0 if sign > 0 else 1)
            changes[(key_group, site_id, bool(busy))][at] += sign * count
    return {key: list(accumulate(deltas))[:length] for key, deltas in changes.items()}


def _add(into: list[float], seconds: list[float]) -> None:
    for n, value in enumerate(seconds):
        if value:
            into[n] += value


def _members(session: Session, period: Period, by: str) -> dict:
    """Per group, the items it had in service at some time in the period."""
    present = union(
        select(_group_column(ItemRun, by).label("key"), ItemRun.item_id).where(
            ItemRun.first_day <= period.last_day,
            or_(ItemRun.last_day.is_(None), ItemRun.last_day >= period.first_day),
        ),
        select(_group_column(ItemDay, by).label("key"), ItemDay.item_id).where(
            ItemDay.day >= period.first_day, ItemDay.day <= period.last_day
        ),
    ).subquery()
    return dict(
        session.execute(
            select(present.c.key, func.count(present.c.item_id)).group_by(present.c.key)
        ).all()
    )


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


def _row(by, group, label, items, available, used, buckets, length) -> Utilisation:
    open_days = available.get(group) or [0.0] * length
    used_days = used.get(group) or [0.0] * length
    series = tuple(
        SeriesPoint(
            bucket,
            round(sum(open_days[start:end]) / HOUR, 2),
            round(sum(used_days[start:end]) / HOUR, 2),
            _rate(sum(used_days[start:end]), sum(open_days[start:end])),
        )
        for bucket, start, end in buckets
    )
    total_open, total_used = sum(open_days), sum(used_days)
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

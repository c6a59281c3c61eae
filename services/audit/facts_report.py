"""The reports other than utilisation, read from the facts kept as events arrive
(facts.py) instead of the whole log: the same answers as analytics.py's from the
history of the log until `as_of` (as entrypoints/reports.py builds it), the
databases adding up what is counted.

A fact counts as the history until `as_of` would have it: a device registered, a
loan checked out, a reservation made… by then; a cancellation, a return, a
withdrawal, a renewal, a departure from a waiting list only if it came by then.
"""

import dataclasses
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import (
    Float,
    Integer,
    and_,
    case,
    exists,
    func,
    literal,
    null,
    or_,
    select,
    true,
    union_all,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql.functions import FunctionElement

from partanum.db import in_chunks
from services.audit import figures_report, suggestions
from services.audit.analytics import (
    Activity,
    IdleItem,
    LostItem,
    OverdueAndLost,
    OverdueLoan,
    Period,
    SiteHours,
    UnmetDemand,
    peaks_of,
)
from services.audit.exports import OpenDataRows
from services.audit.history import OUT_OF_SERVICE, History, _merged, utc
from services.audit.models import (
    FactItem,
    FactItemUses,
    FactLoan,
    FactPlace,
    FactRenewal,
    FactReservation,
    FactReservedItem,
    FactStatus,
    FactUnmet,
    FactWaiting,
)

DAY_SECONDS = 86400


# --- devices ------------------------------------------------------------------------


@dataclass(frozen=True)
class Device:
    """A device as it stood at a moment."""

    item_id: int
    asset_tag: str
    category_id: int
    registered_at: float
    status: str
    site_id: int
    partner_id: int


# A Device's columns, in its fields' order: queries read them first, Device(*row[:7]).
_DEVICE = (
    FactItem.item_id,
    FactItem.asset_tag,
    FactItem.category_id,
    FactItem.registered_at,
    FactItem.status,
    FactItem.site_id,
    FactItem.partner_id,
)


def devices_at(session: Session, at: float) -> dict[int, Device]:
    """Every device registered by `at`, with its status and place then; only those
    that changed after it are looked up in their statuses and places."""
    devices, changed = {}, []
    for row in _read(
        session,
        select(*_DEVICE, _changed_after(at)).where(FactItem.registered_at <= at),
    ):
        devices[row[0]] = Device(*row[:7])
        if row[7]:
            changed.append(row[0])
    if changed:
        statuses, places = _as_they_were(session, changed, at)
        for item_id in changed:
            device = devices[item_id]
            site_id, partner_id = places[item_id]
            devices[item_id] = Device(
                item_id,
                device.asset_tag,
                device.category_id,
                device.registered_at,
                statuses[item_id],
                site_id,
                partner_id,
            )
    return devices


def _as_they_were(session: Session, item_ids: list[int], at: float):
    """Each device's status and (site, owner) at `at`: the last given by then."""
    statuses: dict[int, str] = {}
    places: dict[int, tuple[int, int]] = {}
    for chunk in in_chunks(sorted(item_ids)):
        for item_id, status in _read(
            session,
            select(FactStatus.item_id, FactStatus.status)
            .where(FactStatus.item_id.in_(chunk), FactStatus.at <= at)
            .order_by(FactStatus.item_id, FactStatus.n),
        ):
            statuses[item_id] = status
        for item_id, site_id, partner_id in _read(
            session,
            select(FactPlace.item_id, FactPlace.site_id, FactPlace.partner_id)
            .where(FactPlace.item_id.in_(chunk), FactPlace.at <= at)
            .order_by(FactPlace.item_id, FactPlace.n),
        ):
            places[item_id] = (site_id, partner_id)
    return statuses, places


def _places(
    session: Session, item_ids: set[int], until: float
) -> dict[int, list[tuple[float, int]]]:
    """Each device's (since, site) by `until`, in order: History.Item.placements."""
    places: dict[int, list[tuple[float, int]]] = defaultdict(list)
    for chunk in in_chunks(sorted(item_ids)):
        for item_id, at, site_id in _read(
            session,
            select(FactPlace.item_id, FactPlace.at, FactPlace.site_id)
            .where(FactPlace.item_id.in_(chunk), FactPlace.at <= until)
            .order_by(FactPlace.item_id, FactPlace.n),
        ):
            places[item_id].append((at, site_id))
    return places


def _site_at(places: list[tuple[float, int]], at: float) -> int:
    current = places[0][1]
    for since, site_id in places:
        if since > at:
            break
        current = site_id
    return current


# --- uses: reservations and loans, as History.uses sees them ---------------------------


def _uses(until: float):
    """(item_id, start, end) of every use the history until `until` holds; end is
    null for a loan still out then (it runs on to whenever the caller says)."""
    return union_all(*_uses_of_each_kind(until)).subquery()


def _uses_of_each_kind(until: float) -> tuple:
    """The loans' uses and the reservations' uses, as _uses gives them together."""
    loans = select(
        FactLoan.item_id,
        FactLoan.out_at.label("starts"),
        case((FactLoan.back_at <= until, FactLoan.back_at), else_=null()).label("ends"),
    ).where(FactLoan.out_at <= until)
    # Each reserved device holds its reservation's times: one index, no look-up.
    reservations = select(
        FactReservedItem.item_id,
        FactReservedItem.starts_at.label("starts"),
        case(
            (FactReservedItem.returned_at <= until, FactReservedItem.returned_ends_at),
            else_=FactReservedItem.ends_at,
        ).label("ends"),
    ).where(*_standing(until, FactReservedItem), *_member(until))
    return loans, reservations


def _standing(until: float, table: type[FactReservation | FactReservedItem] = FactReservation):
    """A reservation made by `until` and not cancelled by then (`table`: the
    reservations, or their devices with their reservation's times)."""
    return (
        table.created_at <= until,
        or_(table.cancelled_at.is_(None), table.cancelled_at > until),
    )


def _member(until: float) -> tuple:
    """A device in its reservation at `until` (withdrawals by then applied)."""
    return (
        or_(FactReservedItem.from_at.is_(None), FactReservedItem.from_at <= until),
        or_(FactReservedItem.to_at.is_(None), FactReservedItem.to_at > until),
    )


# --- idle, overdue and lost -----------------------------------------------------------


def idle_items(session: Session, as_of: datetime, idle_days: int = 30) -> list[IdleItem]:
    """As analytics.idle_items."""
    return [_idle_item(*idle) for idle in _idle(session, as_of.timestamp(), idle_days)]


def idle_summary(
    session: Session, as_of: datetime, idle_days: int, site_id: int | None, limit: int
) -> tuple[int, list[IdleItem]]:
    """How many devices are idle (at `site_id` then, if given), and the `limit` idlest:
    counted and chosen by the database, only those few read back."""
    now = as_of.timestamp()
    if _any_changed_after(session, now):
        idle = [
            (device, last, days)
            for device, last, days in _idle(session, now, idle_days)
            if site_id is None or device.site_id == site_id
        ]
        return len(idle), [_idle_item(*some) for some in idle[:limit]]
    idle = _idle_query(now, idle_days).subquery()
    rows = list(
        _read(
            session,
            select(idle, func.count().over())
            .where(true() if site_id is None else idle.c.site_id == site_id)
            .order_by(idle.c.days.desc(), idle.c.item_id)
            .limit(limit),
        )
    )
    return (rows[0][-1] if rows else 0), [_idle_item(*_judged(row, now)) for row in rows]


def _idle_counts(session: Session, now: float, idle_days: int) -> Counter:
    """How many devices are idle per (site, category), counted by the database."""
    if _any_changed_after(session, now):
        return Counter(
            (device.site_id, device.category_id) for device, _, _ in _idle(session, now, idle_days)
        )
    idle = _idle_query(now, idle_days).subquery()
    return Counter(
        {
            (site_id, category_id): count
            for site_id, category_id, count in _read(
                session,
                select(idle.c.site_id, idle.c.category_id, func.count()).group_by(
                    idle.c.site_id, idle.c.category_id
                ),
            )
        }
    )


def _idle(session: Session, now: float, idle_days: int) -> list[tuple[Device, float | None, int]]:
    """(device, end of its last use, days idle) of the idle devices, the idlest first;
    a device whose status or place changed after `now` as it was then."""
    rows = list(_read(session, _idle_query(now, idle_days)))
    then = [row.item_id for row in rows if row.changed]
    statuses, places = _as_they_were(session, then, now) if then else ({}, {})
    idle = []
    for row in rows:
        device, last, days = _judged(row, now)
        if row.changed:
            status, (site_id, partner_id) = statuses[row.item_id], places[row.item_id]
            if status in OUT_OF_SERVICE:
                continue
            device = dataclasses.replace(
                device, status=status, site_id=site_id, partner_id=partner_id
            )
        idle.append((device, last, days))
    return sorted(idle, key=lambda idle: (-idle[2], idle[0].item_id))


def _idle_query(now: float, idle_days: int):
    """The devices registered by `now` and unused for `idle_days` then, each joined to
    its last use in the database (only the idle come back). A device whose status or
    place changed after `now` comes back whatever its status now: `changed` says so."""
    last = _last_uses(now)
    since = func.coalesce(last.c.last, FactItem.registered_at)
    changed = _changed_after(now)
    return (
        select(
            *_DEVICE,
            changed.label("changed"),
            last.c.last,
            _whole_days(literal(now, Float) - since).label("days"),
        )
        .outerjoin(last, last.c.item_id == FactItem.item_id)
        .where(
            FactItem.registered_at <= now,
            or_(changed, FactItem.status.not_in(OUT_OF_SERVICE)),
            or_(last.c.last.is_(None), last.c.last < now),
            literal(now, Float) - since >= idle_days * DAY_SECONDS,
        )
    )


def _changed_after(now: float):
    return or_(FactItem.status_at > now, FactItem.placed_at > now)


def _any_changed_after(session: Session, now: float) -> bool:
    """Whether a device's status or place is dated after `now`: the database cannot
    then count the idle devices alone (each must be judged as it was then)."""
    return bool(session.scalar(select(exists().where(_changed_after(now)))))


def _judged(row, now: float) -> tuple[Device, float | None, int]:
    """(device, end of its last use, whole days idle) from a row of _idle_query."""
    device = Device(*row[:7])
    last = row.last
    return (
        device,
        last,
        int((now - (last if last is not None else device.registered_at)) // DAY_SECONDS),
    )


class _whole_days(FunctionElement):
    """The whole days in a number of seconds (≥ 0), as the database counts them: for
    the order of the idlest, the days shown being counted by _judged."""

    type = Integer()
    inherit_cache = True


@compiles(_whole_days)
def _floor_of_days(element, compiler, **kw):
    return f"floor(({compiler.process(element.clauses, **kw)}) / {DAY_SECONDS})"


@compiles(_whole_days, "sqlite")
def _truncated_days(element, compiler, **kw):
    # SQLite has no floor() unless built with its maths functions; the seconds are ≥ 0.
    return f"CAST(({compiler.process(element.clauses, **kw)}) / {DAY_SECONDS}.0 AS INTEGER)"


def _idle_item(device: Device, last: float | None, days: int) -> IdleItem:
    return IdleItem(
        device.item_id,
        device.asset_tag,
        device.category_id,
        device.site_id,
        device.partner_id,
        utc(last) if last else None,
        days,
    )


def _last_uses(now: float):
    """(item_id, last): the end of each device's last use begun by now, cut at now (a
    loan still out: now). Kept per device (item_uses.py) for the devices whose loans
    and reservations all lie before `now`; worked out from those for the others."""
    moment = literal(now, Float)
    settled = select(
        FactItemUses.item_id,
        case((FactItemUses.open_since < now, moment), else_=FactItemUses.last_end).label("last"),
    ).where(FactItemUses.settled_at <= now)
    unsettled = select(FactItemUses.item_id).where(FactItemUses.settled_at > now)
    per_kind = []
    for kind in _uses_of_each_kind(now):
        uses = kind.subquery()
        per_kind.append(
            select(
                uses.c.item_id,
                func.max(
                    case(
                        (or_(uses.c.ends.is_(None), uses.c.ends >= now), moment),
                        else_=uses.c.ends,
                    )
                ).label("last"),
            )
            .where(
                uses.c.item_id.in_(unsettled),
                uses.c.starts <= now,
                or_(
                    and_(uses.c.ends.is_(None), uses.c.starts < now),
                    uses.c.ends > uses.c.starts,
                ),
            )
            .group_by(uses.c.item_id)
        )
    both = union_all(settled, *per_kind).subquery()
    return (
        select(both.c.item_id, func.max(both.c.last).label("last"))
        .group_by(both.c.item_id)
        .subquery()
    )


def overdue_and_lost(session: Session, period: Period, as_of: datetime) -> OverdueAndLost:
    """As analytics.overdue_and_lost."""
    now = as_of.timestamp()
    loans = select(
        FactLoan.loan_id,
        FactLoan.item_id,
        FactLoan.site_id,
        FactLoan.due_at,
        FactLoan.renewed_at,
        FactLoan.renewed_due_at,
    ).where(FactLoan.out_at <= now)
    # Out at `now`: not back yet, or back since. Asked apart, each is found by its end
    # (the index on back_at) rather than among every loan checked out by then.
    out = _read(
        session,
        union_all(loans.where(FactLoan.back_at.is_(None)), loans.where(FactLoan.back_at > now)),
    ).all()
    due = {loan.loan_id: loan.due_at for loan in out}  # as checked out
    renewed_since = []
    for loan in out:
        if loan.renewed_at is not None and loan.renewed_at <= now:
            due[loan.loan_id] = loan.renewed_due_at
        elif loan.renewed_at is not None:
            renewed_since.append(loan.loan_id)
    for chunk in in_chunks(renewed_since):  # renewed after `now`: the renewal in effect then
        for loan_id, due_at in _read(
            session,
            select(FactRenewal.loan_id, FactRenewal.due_at)
            .where(FactRenewal.loan_id.in_(chunk), FactRenewal.at <= now)
            .order_by(FactRenewal.loan_id, FactRenewal.n),
        ):
            due[loan_id] = due_at
    late = [loan for loan in out if due[loan.loan_id] < now]
    lost_loans = _read(
        session,
        select(FactLoan.loan_id, FactLoan.item_id, FactLoan.site_id, FactLoan.lost_at)
        .where(
            FactLoan.lost_at >= period.start,
            FactLoan.lost_at < period.end,
            FactLoan.lost_at <= now,
            FactLoan.out_at <= now,
        )
        .order_by(FactLoan.out_at, FactLoan.loan_id),
    ).all()
    declared = _read(
        session,
        select(FactStatus.item_id, FactStatus.at)
        .join(FactItem, FactItem.item_id == FactStatus.item_id)
        .where(
            FactStatus.status == "lost",
            FactStatus.at >= period.start,
            FactStatus.at < period.end,
            FactStatus.at <= now,
            FactItem.registered_at <= now,
        )
        .order_by(FactStatus.item_id, FactStatus.n),
    ).all()
    tag = _tags(
        session,
        {loan.item_id for loan in late} | {loan.item_id for loan in lost_loans},
        now,
    )
    overdue = [
        OverdueLoan(
            loan.loan_id,
            loan.item_id,
            tag.get(loan.item_id, ""),
            loan.site_id,
            utc(due[loan.loan_id]),
            int((now - due[loan.loan_id]) // DAY_SECONDS),
        )
        for loan in late
    ]
    lost: dict[int, LostItem] = {}
    for loan in lost_loans:
        lost[loan.item_id] = LostItem(
            loan.item_id, tag.get(loan.item_id, ""), loan.site_id, utc(loan.lost_at), loan.loan_id
        )
    declared = [row for row in declared if row.item_id not in lost]
    if declared:
        places = _places(session, {row.item_id for row in declared}, now)
        tags = _tags(session, {row.item_id for row in declared}, now)
        for item_id, at in declared:
            if item_id not in lost:
                lost[item_id] = LostItem(
                    item_id, tags[item_id], _site_at(places[item_id], at), utc(at), None
                )
    return OverdueAndLost(
        tuple(sorted(overdue, key=lambda o: (-o.days_overdue, o.loan_id))),
        tuple(sorted(lost.values(), key=lambda i: (i.lost_at, i.item_id))),
    )


def _tags(session: Session, item_ids: set[int], until: float) -> dict[int, str]:
    tags: dict[int, str] = {}
    for chunk in in_chunks(sorted(item_ids)):
        tags.update(
            _read(
                session,
                select(FactItem.item_id, FactItem.asset_tag).where(
                    FactItem.item_id.in_(chunk), FactItem.registered_at <= until
                ),
            ).all()
        )
    return tags


# --- activity ---------------------------------------------------------------------------


def activity(
    session: Session,
    period: Period,
    as_of: datetime,
    by_site: bool = False,
    by_category: bool = False,
) -> list[Activity]:
    """As analytics.activity over the history until `as_of`."""
    until = as_of.timestamp()
    loans: Counter = Counter()
    reservations: Counter = Counter()
    residents: Counter = Counter()
    category = FactItem.category_id if by_category else None
    loan_site = FactLoan.site_id if by_site else None
    for week in (FactLoan.week, None):
        keys = (week, loan_site, category)
        statement = (
            select(
                *_or_null(keys),
                func.count(),
                func.count(FactLoan.resident_id.distinct()),
            )
            .where(
                FactLoan.out_at >= period.start,
                FactLoan.out_at < period.end,
                FactLoan.out_at <= until,
            )
            .group_by(*_present(keys))
        )
        if by_category:
            statement = statement.outerjoin(
                FactItem,
                and_(FactItem.item_id == FactLoan.item_id, FactItem.registered_at <= until),
            )
        for monday, site_id, category_id, count, served in _read(session, statement):
            key = (_bucket(period, monday), site_id, category_id)
            loans[key] += count
            residents[key] += served
    reservation_site = FactReservation.site_id if by_site else None
    in_period = (
        FactReservation.starts_at >= period.start,
        FactReservation.starts_at < period.end,
        *_standing(until),
    )
    for week in (FactReservation.week, None):
        keys = (week, reservation_site, category)
        if by_category:
            statement = (
                select(*_or_null(keys), func.count(FactReservation.reservation_id.distinct()))
                .join(
                    FactReservedItem,
                    FactReservedItem.reservation_id == FactReservation.reservation_id,
                )
                .outerjoin(
                    FactItem,
                    and_(
                        FactItem.item_id == FactReservedItem.item_id,
                        FactItem.registered_at <= until,
                    ),
                )
                .where(*in_period, *_member(until))
            )
        else:
            statement = select(*_or_null(keys), func.count()).where(*in_period)
        statement = statement.group_by(*_present(keys))
        for monday, site_id, category_id, count in _read(session, statement):
            reservations[(_bucket(period, monday), site_id, category_id)] += count
    rows = [
        Activity(week, site_id, category_id, loans[k], reservations[k], residents[k])
        for k in set(loans) | set(reservations)
        for week, site_id, category_id in (k,)
    ]
    return sorted(
        rows, key=lambda r: (r.week is None, r.week or date.min, r.site_id or 0, r.category_id or 0)
    )


def _or_null(columns) -> list:
    """The columns a report groups by, null for those it does not."""
    return [null() if column is None else column for column in columns]


def _present(columns) -> list:
    return [column for column in columns if column is not None]


def _bucket(period: Period, monday: date | None) -> date | None:
    """The week a Monday stands for in the period (its first day for a week begun before)."""
    return None if monday is None else max(monday, period.first_day)


# --- unmet demand -------------------------------------------------------------------------


def unmet_demand(session: Session, period: Period, as_of: datetime) -> list[UnmetDemand]:
    """As analytics.unmet_demand over the history until `as_of`."""
    until = as_of.timestamp()
    end = min(period.end, until)
    figures: dict = defaultdict(lambda: [0, 0, 0, 0, 0])
    for site_id, category_id, requests, quantity, largest in _read(
        session,
        select(
            FactUnmet.site_id,
            FactUnmet.category_id,
            func.count(),
            func.sum(FactUnmet.quantity),
            func.max(FactUnmet.quantity),
        )
        .where(FactUnmet.at >= period.start, FactUnmet.at < period.end, FactUnmet.at <= until)
        .group_by(FactUnmet.site_id, FactUnmet.category_id),
    ):
        figures[(site_id, category_id)][:3] = [requests, int(quantity), max(0, largest)]
    joined = (FactWaiting.joined_at >= period.start, FactWaiting.joined_at < period.end)
    for site_id, category_id, count in _waiting_counts(
        session, *joined, FactWaiting.joined_at <= until
    ):
        figures[(site_id, category_id)][3] = count
    for site_id, category_id, count in _waiting_counts(
        session,
        FactWaiting.joined_at <= end,
        or_(FactWaiting.left_at.is_(None), FactWaiting.left_at > end),
    ):
        figures[(site_id, category_id)][4] = count
    return [
        UnmetDemand(site_id, category_id, *row)
        for (site_id, category_id), row in sorted(
            figures.items(), key=lambda kv: (kv[0][0] or 0, kv[0][1] or 0)
        )
    ]


def _waiting_counts(session: Session, *conditions):
    return _read(
        session,
        select(FactWaiting.site_id, FactWaiting.category_id, func.count())
        .where(*conditions)
        .group_by(FactWaiting.site_id, FactWaiting.category_id),
    ).all()


# --- suggestions ----------------------------------------------------------------------------


def suggest(
    session: Session,
    period: Period,
    as_of: datetime,
    site_hours: dict[int, SiteHours],
    idle_days: int = 30,
) -> list[suggestions.Suggestion]:
    """As suggestions.suggest over the history until `as_of`; the utilisation of each
    site from the figures (each day with the hours it had, as the utilisation report)."""
    now = as_of.timestamp()
    labels = _labels(session)

    def in_service() -> Counter:
        counts: Counter = Counter()
        for device in devices_at(session, now).values():
            if device.status not in OUT_OF_SERVICE:
                counts[(device.site_id, device.category_id)] += 1
        return counts

    def rates(category_id: int) -> dict:
        by_site = figures_report.utilisation(session, period, "site", "week", category_id)
        return {row.key: row.rate for row in by_site}

    return suggestions.propose(
        _idle_counts(session, now, idle_days),
        unmet_demand(session, period, as_of),
        suggestions.Figures(
            idle_items=lambda: idle_items(session, as_of, idle_days),
            in_service=in_service,
            peaks=lambda: peak_in_use(session, period, as_of),
            rates=rates,
            label=lambda by, key: labels.label(by, key, site_hours),
        ),
    )


def peak_in_use(session: Session, period: Period, as_of: datetime) -> dict[tuple[int, int], int]:
    """As analytics.peak_in_use over the history until `as_of`: each device's uses in
    the period (a loan still out runs to the period's end), joined, at the site it
    stood at when each began."""
    until, start, end = as_of.timestamp(), period.start, period.end
    uses = _uses(until)
    spans: dict[int, list[tuple[float, float]]] = defaultdict(list)
    category: dict[int, int] = {}
    for item_id, category_id, starts, ends in _read(
        session,
        select(uses.c.item_id, FactItem.category_id, uses.c.starts, uses.c.ends)
        .join(FactItem, FactItem.item_id == uses.c.item_id)
        .where(
            FactItem.registered_at <= until,
            uses.c.starts < end,
            or_(uses.c.ends.is_(None), uses.c.ends > start),
        ),
    ):
        finish = max(end, starts) if ends is None else ends
        spans[item_id].append((max(starts, start), min(finish, end)))
        category[item_id] = category_id
    places = _places(session, set(spans), until)
    changes: dict = defaultdict(list)
    for item_id, item_spans in spans.items():
        for use_start, use_end in _merged(item_spans):
            key = (_site_at(places[item_id], use_start), category[item_id])
            changes[key] += [(use_start, 1), (use_end, -1)]
    return peaks_of(changes)


def _labels(session: Session) -> History:
    return figures_report._labels(session, "site")


# --- open data ------------------------------------------------------------------------------


def open_data(session: Session, period: Period, as_of: datetime, threshold: int = 5) -> str:
    """As exports.open_data over the history until `as_of`; hours from the figures."""
    until = as_of.timestamp()
    rows = OpenDataRows()
    rows.add_activity(activity(session, period, as_of, by_site=True, by_category=True))
    for table, at, column in (
        (FactUnmet, FactUnmet.at, "unmet_requests"),
        (FactWaiting, FactWaiting.joined_at, "joined_waiting_list"),
    ):
        for monday, site_id, category_id, count in _read(
            session,
            select(table.week, table.site_id, table.category_id, func.count())
            .where(at >= period.start, at < period.end, at <= until)
            .group_by(table.week, table.site_id, table.category_id),
        ):
            rows.add(_bucket(period, monday), site_id, category_id, **{column: count})
    categories = session.scalars(
        select(FactItem.category_id).where(FactItem.registered_at <= until).distinct()
    )
    for category_id in list(categories):
        rows.add_use(
            category_id, figures_report.utilisation(session, period, "site", "week", category_id)
        )
    labels = _labels(session)
    return rows.csv(labels.label, threshold)


def _read(session: Session, statement):
    """The rows of a query of columns, read through the session's connection: the
    ORM's own execution adds work per row (about 5 µs, 50 ms for a year's 10,000
    devices) to build what would only be the same tuples."""
    return session.connection().execute(statement)

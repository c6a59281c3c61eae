"""The audit's figures per item and day, kept up to date as events are appended.

    python -m services.audit.figures rebuild [--url …]   # from the whole log, anew

`update(session, seqs, zone)` runs in the transaction that appended those entries
(or erased their bodies): every item they name, or whose reservation they name, is
computed again from all the events naming it or its reservations (kept beside its
figures: item_events.py; read from the log for an item without them or whose entry
was erased), and a site's hours changing computes again the items that stood there.
So the rows depend only on which events are logged, never on their order or
repeats: `rebuild` gives the same. The rules are item_days.py's (analytics' day by
day); figures_report.py reads them.
"""

import argparse
import json
import math
import sys
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import and_, bindparam, delete, insert, or_, select, tuple_, union
from sqlalchemy.orm import Session

from partanum import config
from partanum.db import in_chunks, insert_for, make_engine
from services.audit import facts, item_events, log
from services.audit.analytics import DAY
from services.audit.item_days import (
    ITEM_EVENTS,
    SITE_EVENTS,
    HoursHistory,
    ItemFigures,
    changed_since,
    hours_json,
    item_figures,
    site_hours,
)
from services.audit.models import (
    ERASED,
    AuditEntry,
    AuditRef,
    DailyFigures,
    ItemDay,
    ItemEvents,
    ItemRun,
    ItemStint,
    ReservationEntry,
    SiteHoursEntry,
)
from services.audit.settings import Settings

ENTRIES, REFS, ABOUT = (model.__table__ for model in (AuditEntry, AuditRef, ReservationEntry))


def zone_from_environment() -> ZoneInfo:
    return Settings.from_environment().zone


def update(session: Session, seqs: Iterable[int], zone: ZoneInfo) -> None:
    """Bring the figures up to date with these entries, just appended or erased."""
    seqs = sorted(set(seqs))
    if not seqs:
        return
    reservations, sites, erased, indexed = set(), set(), [], []
    new: dict[int, dict] = {}  # seq → its event, trimmed, of those making figures
    named: dict[int, set[int]] = {}  # seq → the items it names, of those
    entries: list[facts.Entry] = []  # for the facts, each body read once
    for chunk in in_chunks(seqs):
        for seq, event_type, site_id, body in session.execute(_NEW_ENTRIES, {"seqs": chunk}):
            reservation_event = event_type.startswith("booking.reservation_")
            envelope = None
            if body != ERASED and (
                event_type in ITEM_EVENTS or event_type in facts.KINDS or reservation_event
            ):
                envelope = json.loads(body)
            entries.append((seq, event_type, envelope))
            if event_type in SITE_EVENTS:
                sites.add(site_id)
            elif body == ERASED:
                erased.append(seq)
                continue
            if envelope is not None and (event_type in ITEM_EVENTS or reservation_event):
                reservation_id = envelope["data"].get("reservation_id")
                if reservation_event and reservation_id is not None:
                    reservations.add(reservation_id)
                    indexed.append({"reservation_id": reservation_id, "seq": seq})
                if event_type in ITEM_EVENTS:
                    new[seq] = item_events.trimmed(envelope)
                    named[seq] = {i for kind, i in log.refs(envelope["data"]) if kind == "item"}
    facts.update(session, entries, zone)  # what the other reports read
    if indexed:
        session.execute(insert(ABOUT), indexed)
    items = {item_id for owners in named.values() for item_id in owners}
    items |= _items_named(session, _reservation_seqs(session, reservations))
    # An erased entry leaves the events its items' rows were made from: read again.
    stale = _items_named(session, erased)
    stale |= _items_named(session, _reservation_seqs(session, _reservations_of(session, erased)))
    whole: set[int] = set()  # their site's hours changed: every day of theirs
    if sites:
        for site_id in sites:
            _store_site_hours(session, site_id, zone)
        whole = _items_at(session, sites)
    items |= stale | whole
    if items:
        _compute(session, items, _hours(session, zone), _New(new, named), whole, stale)


_NEW_ENTRIES = select(ENTRIES.c.seq, ENTRIES.c.type, ENTRIES.c.site_id, ENTRIES.c.body).where(
    ENTRIES.c.seq.in_(bindparam("seqs", expanding=True))
)


def rebuild(session: Session, zone: ZoneInfo, *, item_events_too: bool = True) -> int:
    """Every figure anew from the log; the number of items. Commits. (Migration 0004
    rebuilds before the items' events have their table: `item_events_too=False`.)"""
    log.lock(session)  # appends wait: each would update figures this is rewriting
    tables = [DailyFigures, ItemStint, ItemDay, ItemRun, ReservationEntry, SiteHoursEntry]
    for table in tables + ([ItemEvents] if item_events_too else []):
        session.execute(delete(table))
    for seq, body in session.execute(
        select(AuditEntry.seq, AuditEntry.body).where(
            AuditEntry.type.like("booking.reservation_%"), AuditEntry.body != ERASED
        )
    ):
        reservation_id = json.loads(body)["data"].get("reservation_id")
        if reservation_id is not None:
            _index_reservation(session, reservation_id, seq)
    sites = session.scalars(
        select(AuditEntry.site_id).where(AuditEntry.type.in_(SITE_EVENTS)).distinct()
    )
    for site_id in list(sites):
        _store_site_hours(session, site_id, zone)
    items = set(session.scalars(select(AuditRef.ref_id).where(AuditRef.kind == "item").distinct()))
    hours = _hours(session, zone)
    for chunk in in_chunks(sorted(items)):
        _compute(session, set(chunk), hours, keep_events=item_events_too)
    session.commit()
    return len(items)


# --- what an entry touches ------------------------------------------------------------


def _index_reservation(session: Session, reservation_id: int, seq: int) -> None:
    session.execute(insert(ReservationEntry).values(reservation_id=reservation_id, seq=seq))


def _reservation_seqs(session: Session, reservations: Iterable[int]) -> list[int]:
    seqs: list[int] = []
    for chunk in in_chunks(sorted(reservations)):
        seqs += session.scalars(
            select(ReservationEntry.seq).where(ReservationEntry.reservation_id.in_(chunk))
        )
    return seqs


def _reservations_of(session: Session, seqs: list[int]) -> set[int]:
    """The reservations these entries were indexed under."""
    reservations: set[int] = set()
    for chunk in in_chunks(sorted(set(seqs))):
        reservations.update(
            session.scalars(
                select(ReservationEntry.reservation_id).where(ReservationEntry.seq.in_(chunk))
            )
        )
    return reservations


def _items_named(session: Session, seqs: list[int]) -> set[int]:
    items: set[int] = set()
    for chunk in in_chunks(sorted(set(seqs))):
        items.update(
            session.scalars(
                select(AuditRef.ref_id).where(AuditRef.kind == "item", AuditRef.seq.in_(chunk))
            )
        )
    return items


def _items_at(session: Session, sites: set[int]) -> set[int]:
    """Items that stood at one of these sites at some time."""
    statement = union(
        select(ItemRun.item_id).where(ItemRun.site_id.in_(sites)),
        select(ItemDay.item_id).where(ItemDay.site_id.in_(sites)),
    )
    return set(session.scalars(statement))


# --- site hours -------------------------------------------------------------------------


def _store_site_hours(session: Session, site_id: int, zone: ZoneInfo) -> None:
    bodies = session.scalars(
        select(AuditEntry.body).where(
            AuditEntry.type.in_(SITE_EVENTS),
            AuditEntry.site_id == site_id,
            AuditEntry.body != ERASED,
        )
    )
    history = HoursHistory.from_events((json.loads(body) for body in bodies), zone)
    session.execute(delete(SiteHoursEntry).where(SiteHoursEntry.site_id == site_id))
    for from_day, hours in history.entries.get(site_id, ()):
        opening_hours, closures = hours_json(hours)
        session.execute(
            insert(SiteHoursEntry).values(
                site_id=site_id,
                from_day=from_day,
                name=hours.name or "",
                opening_hours=opening_hours,
                closures=closures,
            )
        )


def load_hours(session: Session, zone: ZoneInfo) -> HoursHistory:
    """Each site's hours as stored, for the reports."""
    return _hours(session, zone)


def _hours(session: Session, zone: ZoneInfo) -> HoursHistory:
    """The sites' hours as stored; the same object as last time while the rows are
    the same (it keeps each day's open times once computed: the next batch needs
    most of them again). A few rows, read each time: another process may change them."""
    table = SiteHoursEntry.__table__
    rows = tuple(
        session.execute(
            select(
                table.c.site_id,
                table.c.from_day,
                table.c.name,
                table.c.opening_hours,
                table.c.closures,
            ).order_by(table.c.site_id, table.c.from_day)
        )
    )
    key = (zone, rows)
    if _last_hours.get("key") != key:
        entries: dict = defaultdict(list)
        for site_id, from_day, name, opening_hours, closures in rows:
            data = {
                "opening_hours": json.loads(opening_hours),
                "closures": json.loads(closures),
                "name": name or None,
            }
            entries[site_id].append((from_day, site_hours(data)))
        _last_hours.update(key=key, hours=HoursHistory(zone, dict(entries)))
    return _last_hours["hours"]


_last_hours: dict = {}


# --- items ------------------------------------------------------------------------------


@dataclass(frozen=True)
class _New:
    """The entries a batch appended that make figures: {seq: event, trimmed} and
    {seq: the items it names}."""

    events: dict[int, dict]
    named: dict[int, set[int]]


def _compute(
    session: Session,
    items: set[int],
    hours: HoursHistory,
    new: _New | None = None,
    whole: set[int] = frozenset(),  # type: ignore[assignment]
    stale: set[int] = frozenset(),  # type: ignore[assignment]
    keep_events: bool = True,
) -> None:
    """The items' rows anew, each from every event naming it or one of its
    reservations: those its row of events holds (item_events.py) with the `new` ones
    added, or, without a row (or `stale`), those the log holds. Every day of those in
    `whole` or `stale` (of all, without `new`: a rebuild), else the days from the
    earliest one that the new events can change; an item none of them changes is
    left as it is."""
    for chunk in in_chunks(sorted(items)):
        rows = (
            item_events.load(session, [i for i in chunk if i not in stale])
            if new is not None
            else item_events.Kept({}, set())
        )
        kept = rows.events
        events_of: dict[int, dict[str, dict]] = {}  # item → {event id: event}
        changes: dict[int, list[dict] | None] = {}  # item → its new events; None: every day
        unread = [item_id for item_id in chunk if item_id not in kept]
        if unread:
            _read_log(session, unread, new, events_of, changes)
        if kept:
            _add_new(session, kept, new, events_of, changes)
        computed: dict[int, ItemFigures | None] = {}
        for item_id in chunk:
            change = None if item_id in whole or item_id in stale else changes.get(item_id)
            if change == []:
                continue  # nothing it is made of is new
            envelopes = list(events_of.get(item_id, {}).values())
            since = -math.inf if change is None else changed_since(change, envelopes)
            computed[item_id] = item_figures(item_id, envelopes, hours, since)
        _replace_rows(session, computed)
        if keep_events:
            rewritten = {i for i in computed if i not in kept or i in rows.crowded}
            item_events.store(session, {i: events_of.get(i, {}).values() for i in rewritten})
            added = {i: changes[i] for i in computed if i not in rewritten and changes[i]}
            if added and new is not None:
                item_events.add(session, added, max(new.events))


def _read_log(session: Session, items: list[int], new: _New | None, events_of, changes) -> None:
    """The items' events from the log: each entry naming the item, and every entry
    about a reservation one of those names; the new ones among them."""
    # Each entry's body is read with the ids that lead to it, and parsed once; Core
    # columns, as the ORM's loading of thousands of rows costs more than the query.
    bodies: dict[int, dict] = {}
    own: dict[int, list[int]] = defaultdict(list)  # item → seqs
    for seq, item_id, body in session.execute(
        select(REFS.c.seq, REFS.c.ref_id, ENTRIES.c.body)
        .join(ENTRIES, ENTRIES.c.seq == REFS.c.seq)
        .where(
            REFS.c.kind == "item",
            REFS.c.ref_id.in_(items),
            ENTRIES.c.type.in_(ITEM_EVENTS),
        )
    ):
        own[item_id].append(seq)
        _parse(bodies, seq, body)
    reservations_of: dict[int, set[int]] = defaultdict(set)
    for item_id, seqs in own.items():
        for seq in seqs:
            if seq in bodies and "reservation_id" in bodies[seq]["data"]:
                reservations_of[item_id].add(bodies[seq]["data"]["reservation_id"])
    wanted = sorted({r for rs in reservations_of.values() for r in rs})
    about = _reservation_entries(session, wanted, bodies)
    for item_id in items:
        entries = set(own.get(item_id, ()))
        for reservation_id in reservations_of.get(item_id, ()):
            entries.update(about.get(reservation_id, ()))
        events_of[item_id] = {bodies[s]["id"]: bodies[s] for s in entries if s in bodies}
        fresh = [] if new is None else [new.events[s] for s in entries if s in new.events]
        changes[item_id] = fresh or None  # none new: every day (the row is new too)


def _reservation_entries(session: Session, reservations: list[int], bodies: dict) -> dict:
    """{reservation: the seqs of the entries about it}, their events (trimmed) put
    in `bodies`; only those that make figures."""
    about: dict[int, list[int]] = defaultdict(list)
    for chunk in in_chunks(reservations):
        for reservation_id, seq, body in session.execute(
            select(ABOUT.c.reservation_id, ABOUT.c.seq, ENTRIES.c.body)
            .join(ENTRIES, ENTRIES.c.seq == ABOUT.c.seq)
            .where(ABOUT.c.reservation_id.in_(chunk), ENTRIES.c.type.in_(ITEM_EVENTS))
        ):
            about[reservation_id].append(seq)
            _parse(bodies, seq, body)
    return about


def _add_new(session: Session, kept: dict[int, list[dict]], new: _New, events_of, changes):
    """The kept events of each item, with the new ones naming it or one of its
    reservations; a reservation it is newly linked to brings its earlier entries."""
    by_item: dict[int, list[dict]] = defaultdict(list)
    by_reservation: dict[int, list[dict]] = defaultdict(list)
    for seq, event in new.events.items():
        for item_id in new.named[seq]:
            by_item[item_id].append(event)
        if "reservation_id" in event["data"]:
            by_reservation[event["data"]["reservation_id"]].append(event)
    linking: dict[int, set[int]] = {}  # item → reservations new to it
    for item_id, events in kept.items():
        linked = {e["data"]["reservation_id"] for e in events if "reservation_id" in e["data"]}
        added = list(by_item.get(item_id, ()))
        for reservation_id in linked:
            added += by_reservation.get(reservation_id, ())
        linking[item_id] = {
            e["data"]["reservation_id"] for e in added if "reservation_id" in e["data"]
        } - linked
        events_of[item_id] = {e["id"]: e for e in events}
        changes[item_id] = _added(events_of[item_id], added)
    wanted = sorted({r for rs in linking.values() for r in rs})
    if not wanted:
        return
    bodies: dict[int, dict] = {}
    about = _reservation_entries(session, wanted, bodies)
    for item_id, reservations in linking.items():
        earlier = [bodies[s] for r in reservations for s in about.get(r, ()) if s in bodies]
        changes[item_id] += _added(events_of[item_id], earlier)  # type: ignore[operator]


def _added(events: dict[str, dict], added: list[dict]) -> list[dict]:
    """Add these events to the item's (by id); those it did not have."""
    fresh = []
    for event in added:
        if event["id"] not in events:
            events[event["id"]] = event
            fresh.append(event)
    return fresh


def _replace_rows(session: Session, computed: dict[int, ItemFigures | None]) -> None:
    """The items' rows, their stints, and what they add to the daily figures: only the
    rows that changed are written (an item's new event changes a few of its days), the
    old ones' part taken away from the daily figures, the new ones' added. Of an item
    computed from a day on (its `from_day`) only the rows from then on are read and
    replaced: its runs after that day, its days from it, its stints that reach the
    day before it (their part before it stays, joined to the new rows)."""
    since = {i: f.from_day for i, f in computed.items() if f is not None and f.from_day}
    every = [i for i in computed if i not in since]
    stored_runs = _stored(session, ItemRun, "first_day", every, since, DAY)
    stored_days = _stored(session, ItemDay, "day", every, since, 0 * DAY)
    stored_stints = _stored(session, ItemStint, "last_day", every, since, -DAY)
    runs, days, kept = [], [], []
    for item_id, figures in computed.items():
        if figures is None:
            continue
        common = {"item_id": item_id, "category_id": figures.category_id}
        runs += [{**common, **vars(run)} for run in figures.runs]
        days += [{**common, **vars(day)} for day in figures.days]
    for stint in stored_stints:
        from_day = since.get(stint["item_id"])
        if from_day is not None and stint["first_day"] < from_day:
            kept.append({**stint, "last_day": from_day - DAY})
    gone_runs, new_runs = _changes(ItemRun, stored_runs, runs)
    gone_days, new_days = _changes(ItemDay, stored_days, days)
    gone_stints, new_stints = _changes(ItemStint, stored_stints, _stints(kept + runs, days))
    for model, gone, new in (
        (ItemRun, gone_runs, new_runs),
        (ItemDay, gone_days, new_days),
        (ItemStint, gone_stints, new_stints),
    ):
        table = model.__table__
        if gone:
            _delete(session, table, gone)
        if new:
            # Core, as in log.append_many: the ORM's bulk path costs more than the rest.
            session.execute(table.insert(), new)
    daily: dict = defaultdict(lambda: [0] * len(DAILY))
    _add_daily(daily, new_runs, new_days, 1)
    _add_daily(daily, gone_runs, gone_days, -1)
    _apply_daily(session, {key: change for key, change in daily.items() if any(change)})


# Items computed from days this close together are read from the earliest of them on
# (a few rows too many, rather than a condition per item).
NEAR = timedelta(days=28)


def _delete(session: Session, table, rows: list[dict]) -> None:
    """Delete these rows by their keys. PostgreSQL: one statement (psycopg2 sends an
    executemany a row at a time); SQLite: an executemany (a row-value IN list scans)."""
    keys = list(table.primary_key.columns)
    if session.get_bind().dialect.name == "postgresql":
        for chunk in in_chunks([tuple(row[key.key] for key in keys) for row in rows]):
            session.execute(table.delete().where(tuple_(*keys).in_(chunk)))
        return
    session.execute(
        table.delete().where(*(key == bindparam(f"old_{key.key}") for key in keys)),
        [{f"old_{key.key}": row[key.key] for key in keys} for row in rows],
    )


def _stored(session: Session, model, name: str, every: list, since: dict, shift) -> list[dict]:
    """The rows of the items in `every` and, of each item in `since` ({item: day}),
    those whose column `name` is null or at least that day + `shift`; one query."""
    table = model.__table__
    column = table.c[name]
    wanted = [table.c.item_id.in_(every)] if every else []
    group: list[int] = []
    for item_id in sorted(since, key=since.get, reverse=True):  # type: ignore[arg-type]
        if group and since[item_id] < since[group[0]] - NEAR:
            wanted.append(_from(table, column, group, since[group[-1]] + shift))
            group = []
        group.append(item_id)
    if group:
        wanted.append(_from(table, column, group, since[group[-1]] + shift))
    if not wanted:
        return []
    keys = [column.key for column in table.columns]
    item_at, day_at = keys.index("item_id"), keys.index(name)
    return [
        dict(zip(keys, row, strict=True))
        for row in session.execute(select(*table.columns).where(or_(*wanted)))
        if row[item_at] not in since
        or row[day_at] is None
        or row[day_at] >= since[row[item_at]] + shift
    ]


def _from(table, column, items: list[int], day):
    return and_(table.c.item_id.in_(items), or_(column.is_(None), column >= day))


def _changes(model, stored: list[dict], rows: list[dict]):
    """(stored rows no longer there, rows not stored yet)."""
    columns = [column.key for column in model.__table__.columns]
    before = {tuple(row[column] for column in columns) for row in stored}
    wanted = {tuple(row[column] for column in columns) for row in rows}
    return (
        [dict(zip(columns, row, strict=True)) for row in before - wanted],
        [dict(zip(columns, row, strict=True)) for row in wanted - before],
    )


MICRO = 1_000_000  # seconds are kept as whole microseconds, as events date things
DAILY = ("free_starts", "free_ends", "busy_starts", "busy_ends", "open_us", "occupied_us")


def _add_daily(daily: dict, runs: list[dict], days: list[dict], sign: int) -> None:
    for run in runs:
        place = (run["site_id"], run["partner_id"], run["category_id"])
        daily[(*place, run["first_day"])][2 if run["busy"] else 0] += sign
        if run["last_day"] is not None:
            daily[(*place, run["last_day"])][3 if run["busy"] else 1] += sign
    for day in days:
        figures = daily[(day["site_id"], day["partner_id"], day["category_id"], day["day"])]
        figures[4] += sign * round(day["open_seconds"] * MICRO)
        figures[5] += sign * round(day["occupied_seconds"] * MICRO)


def _apply_daily(session: Session, changes: dict) -> None:
    """Add the changes to the daily figures; a row back to nothing goes."""
    if not changes:
        return
    table = DailyFigures.__table__
    statement = insert_for(session.get_bind().dialect.name)(table)
    statement = statement.on_conflict_do_update(
        index_elements=["site_id", "partner_id", "category_id", "day"],
        set_={name: table.c[name] + statement.excluded[name] for name in DAILY},
    )
    keys = ("site_id", "partner_id", "category_id", "day")
    session.execute(
        statement,
        [
            {**dict(zip(keys, key, strict=True)), **dict(zip(DAILY, change, strict=True))}
            for key, change in sorted(changes.items())
        ],
    )
    touched = sorted({key[3] for key in changes})
    for chunk in in_chunks(touched):
        session.execute(
            delete(DailyFigures).where(
                DailyFigures.day.in_(chunk), *(table.c[name] == 0 for name in DAILY)
            )
        )


def _stints(runs: list[dict], days: list[dict]) -> list[dict]:
    """Each item's days at one place, joined where no day is missing between them."""
    spans = sorted(
        [
            (
                r["item_id"],
                r["site_id"],
                r["partner_id"],
                r["first_day"],
                r["last_day"],
                r["category_id"],
            )
            for r in runs
        ]
        + [
            (d["item_id"], d["site_id"], d["partner_id"], d["day"], d["day"], d["category_id"])
            for d in days
        ],
        key=lambda span: (span[0], span[1], span[2], span[3]),
    )
    stints: list[dict] = []
    for item_id, site_id, partner_id, first, last, category_id in spans:
        current = stints[-1] if stints else None
        if (
            current is not None
            and (current["item_id"], current["site_id"], current["partner_id"])
            == (item_id, site_id, partner_id)
            and (current["last_day"] is None or first <= current["last_day"] + DAY)
        ):
            if current["last_day"] is not None and (last is None or last > current["last_day"]):
                current["last_day"] = last
            continue
        stints.append(
            {
                "item_id": item_id,
                "site_id": site_id,
                "partner_id": partner_id,
                "first_day": first,
                "last_day": last,
                "category_id": category_id,
            }
        )
    return stints


def _parse(bodies: dict[int, dict], seq: int, body: str) -> None:
    """The entry's event into `bodies`, unless erased (or there already)."""
    if body != ERASED and seq not in bodies:
        bodies[seq] = item_events.trimmed(json.loads(body))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m services.audit.figures",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--url", default=None, help="database URL (default: AUDIT_DATABASE_URL)")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("rebuild", help="every figure and fact anew from the whole log")
    args = parser.parse_args(argv)
    engine = make_engine(args.url or config.database_url("audit"))
    try:
        with Session(engine) as session:
            items = rebuild(session, zone_from_environment())
            facts.rebuild(session, zone_from_environment())
            session.commit()
        print(f"figures rebuilt for {items} items")
    finally:
        engine.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())

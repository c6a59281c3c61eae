"""What the reports other than utilisation read, kept up to date as events are appended.

    python -m services.audit.figures rebuild   # the figures and these facts, anew

One row per device, loan, reservation, waiting-list entry and refused request
(models.py, audit_fact_*), each made again from all the entries about it whenever
one of them is appended or erased: `update(session, seqs, zone)` runs in that
transaction (figures.update calls it). A fact is made by history.py's rules (the
same reference as analytics.py), so the rows depend only on which events are
logged, never on their order or repeats: `rebuild` gives the same.

Each row keeps the times of the events that made it (a cancellation, a return, a
withdrawal, a renewal), so a report can tell how things stood at a past `as_of`;
where one fact was ended twice (a loan checked in twice) it keeps the last end,
as the history of the whole log does: a report at an `as_of` between the two ends
takes it as not ended yet (booking ends each once).
"""

import json
from collections import defaultdict
from collections.abc import Iterable
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from partanum.db import in_chunks
from services.audit import item_uses, log
from services.audit.models import (
    ERASED,
    AuditEntry,
    FactEntry,
    FactItem,
    FactLoan,
    FactPlace,
    FactRenewal,
    FactReservation,
    FactReservedItem,
    FactStatus,
    FactUnmet,
    FactWaiting,
)

Entry = tuple[int, str, dict | None]  # seq, type, its event (None: its body erased)

# The events each kind of fact is made of, and the field naming the fact (a refusal
# is its own fact: keyed by its entry).
KINDS = {
    "inventory.item_registered": ("item", "item_id"),
    "inventory.item_status_changed": ("item", "item_id"),
    "inventory.item_transferred": ("item", "item_id"),
    "booking.loan_checked_out": ("loan", "loan_id"),
    "booking.loan_renewed": ("loan", "loan_id"),
    "booking.loan_checked_in": ("loan", "loan_id"),
    "booking.loan_lost": ("loan", "loan_id"),
    "booking.reservation_created": ("reservation", "reservation_id"),
    "booking.reservation_cancelled": ("reservation", "reservation_id"),
    "booking.reservation_released": ("reservation", "reservation_id"),
    "booking.reservation_item_withdrawn": ("reservation", "reservation_id"),
    "booking.reservation_returned": ("reservation", "reservation_id"),
    "booking.waiting_list_joined": ("waiting", "entry_id"),
    "booking.waiting_list_left": ("waiting", "entry_id"),
    "booking.hold_fulfilled": ("waiting", "entry_id"),
    "booking.hold_expired": ("waiting", "entry_id"),
    "booking.demand_unmet": ("unmet", None),
}
# Each kind's tables, the first keyed by the fact's id.
TABLES = {
    "item": (FactItem, FactStatus, FactPlace),
    "loan": (FactLoan, FactRenewal),
    "reservation": (FactReservation, FactReservedItem),
    "waiting": (FactWaiting,),
    "unmet": (FactUnmet,),
}


def update(session: Session, entries: Iterable[Entry], zone: ZoneInfo) -> None:
    """Make again every fact these entries (just appended or erased) are about; each
    as (seq, type, its event or None once its body is erased), as figures.update
    has read them."""
    facts: dict[str, set[int]] = defaultdict(set)
    index = []
    for seq, event_type, envelope in entries:
        if event_type not in KINDS:
            continue
        if envelope is None:  # the index says what it was about, for the last time
            for kind, key in session.execute(
                select(FactEntry.kind, FactEntry.key).where(FactEntry.seq == seq)
            ):
                facts[kind].add(key)
            session.execute(delete(FactEntry).where(FactEntry.seq == seq))
            continue
        kind, key = _fact_of(seq, event_type, envelope)
        index.append({"kind": kind, "key": key, "seq": seq})
        facts[kind].add(key)
    if index:
        session.execute(insert(FactEntry.__table__), index)
    used: set[int] = set()  # the devices named by a loan or reservation, before and after
    for kind, keys in facts.items():
        used |= item_uses.items_of(session, kind, keys)
        _make(session, kind, keys, zone)
        used |= item_uses.items_of(session, kind, keys)
    item_uses.refresh(session, used)


def rebuild(session: Session, zone: ZoneInfo) -> None:
    """Every fact anew from the log, in the caller's transaction (figures.rebuild's,
    which holds the log's lock)."""
    log.lock(session)
    session.execute(delete(FactEntry))
    for tables in TABLES.values():
        for table in tables:
            session.execute(delete(table))
    facts: dict[str, set[int]] = defaultdict(set)
    index = []
    for seq, event_type, body in session.execute(
        select(AuditEntry.seq, AuditEntry.type, AuditEntry.body).where(
            AuditEntry.type.in_(KINDS), AuditEntry.body != ERASED
        )
    ):
        kind, key = _fact_of(seq, event_type, json.loads(body))
        index.append({"kind": kind, "key": key, "seq": seq})
        facts[kind].add(key)
    if index:
        session.execute(insert(FactEntry.__table__), index)
    for kind, keys in facts.items():
        _make(session, kind, keys, zone)
    item_uses.rebuild(session)


def _fact_of(seq: int, event_type: str, envelope: dict) -> tuple[str, int]:
    kind, field = KINDS[event_type]
    return kind, seq if field is None else envelope["data"][field]


def _make(session: Session, kind: str, keys: set[int], zone: ZoneInfo) -> None:
    """The facts anew, each from every entry about it that is not erased."""
    tables = TABLES[kind]
    for chunk in in_chunks(sorted(keys)):
        events: dict[int, list] = defaultdict(list)
        for key, body in session.execute(
            select(FactEntry.key, AuditEntry.body)
            .join(AuditEntry, AuditEntry.seq == FactEntry.seq)
            .where(FactEntry.kind == kind, FactEntry.key.in_(chunk), AuditEntry.body != ERASED)
        ):
            envelope = json.loads(body)
            events[key].append((_ts(envelope["occurred_at"]), envelope["id"], envelope))
        for table in tables:
            key_column = next(iter(table.__table__.primary_key.columns))
            session.execute(delete(table).where(key_column.in_(chunk)))
        rows: dict = defaultdict(list)
        for key, about in events.items():
            for table, row in _MAKERS[kind](key, sorted(about, key=lambda e: e[:2]), zone):
                rows[table].append(row)
        for table in tables:
            if rows[table]:
                session.execute(insert(table.__table__), rows[table])


# --- each kind of fact, from its events in (time, id) order, as history.py applies them ---


def _item(item_id: int, events: list, zone: ZoneInfo):
    registrations = [e for e in events if e[2]["type"] == "inventory.item_registered"]
    if not registrations:
        return
    at, first_id, registered = registrations[0]  # registered again: one device, since then
    data = registered["data"]
    statuses = [(at, data["status"])]
    places = [(at, data["site_id"], data["owner_partner_id"])]
    for when, event_id, envelope in events:
        if (when, event_id) <= (at, first_id):
            continue  # before the device was known: the history drops it
        if envelope["type"] == "inventory.item_status_changed":
            statuses.append((when, envelope["data"]["to_status"]))
        elif envelope["type"] == "inventory.item_transferred":
            moved = envelope["data"]
            places.append((when, moved["to_site_id"], moved["to_partner_id"]))
    yield (
        FactItem,
        {
            "item_id": item_id,
            "asset_tag": data["asset_tag"],
            "category_id": data["category_id"],
            "registered_at": at,
            "status": statuses[-1][1],
            "status_at": statuses[-1][0],
            "site_id": places[-1][1],
            "partner_id": places[-1][2],
            "placed_at": places[-1][0],
        },
    )
    for n, (when, status) in enumerate(statuses):
        yield FactStatus, {"item_id": item_id, "n": n, "at": when, "status": status}
    for n, (when, site_id, partner_id) in enumerate(places):
        yield (
            FactPlace,
            {"item_id": item_id, "n": n, "at": when, "site_id": site_id, "partner_id": partner_id},
        )


def _loan(loan_id: int, events: list, zone: ZoneInfo):
    checkouts = [e for e in events if e[2]["type"] == "booking.loan_checked_out"]
    if not checkouts:
        return  # a loan's other events change nothing without it (as in the history)
    out_at, _, out = checkouts[-1]
    data = out["data"]
    renewals = [
        (at, _ts(e["data"]["due_at"])) for at, _, e in events if e["type"] == "booking.loan_renewed"
    ]
    back_at = lost_at = None
    for at, _, envelope in events:
        if envelope["type"] == "booking.loan_checked_in":
            back_at = at
        elif envelope["type"] == "booking.loan_lost":
            back_at = lost_at = at
    yield (
        FactLoan,
        {
            "loan_id": loan_id,
            "item_id": data["item_id"],
            "resident_id": data["resident_id"],
            "site_id": data["site_id"],
            "out_at": out_at,
            "week": _week(out_at, zone),
            "due_at": _ts(data["due_at"]),
            "renewed_at": renewals[-1][0] if renewals else None,
            "renewed_due_at": renewals[-1][1] if renewals else None,
            "back_at": back_at,
            "lost_at": lost_at,
        },
    )
    for n, (at, due_at) in enumerate(renewals):
        yield FactRenewal, {"loan_id": loan_id, "n": n, "at": at, "due_at": due_at}


def _reservation(reservation_id: int, events: list, zone: ZoneInfo):
    created = [e for e in events if e[2]["type"] == "booking.reservation_created"]
    if not created:
        return
    created_at, _, envelope = created[-1]
    data = envelope["data"]
    starts_at, ends_at = _ts(data["starts_at"]), _ts(data["ends_at"])
    cancelled_at = returned_at = None
    items: list[list] = [[item_id, None, None] for item_id in data["item_ids"]]
    for at, _, e in events:
        if e["type"] in ("booking.reservation_cancelled", "booking.reservation_released"):
            cancelled_at = at if cancelled_at is None else min(cancelled_at, at)
        elif e["type"] == "booking.reservation_returned":
            returned_at = at if returned_at is None else min(returned_at, at)
        elif e["type"] == "booking.reservation_item_withdrawn":
            current = [row for row in items if row[2] is None and row[0] == e["data"]["item_id"]]
            if current:
                current[0][2] = at
                if e["data"]["replacement_item_id"] is not None:
                    items.append([e["data"]["replacement_item_id"], at, None])
    times = {
        "created_at": created_at,
        "starts_at": starts_at,
        "ends_at": ends_at,
        "cancelled_at": cancelled_at,
        "returned_at": returned_at,
        "returned_ends_at": (
            None if returned_at is None else max(starts_at, min(ends_at, returned_at))
        ),
    }
    yield (
        FactReservation,
        {
            "reservation_id": reservation_id,
            "site_id": data["site_id"],
            "week": _week(starts_at, zone),
            **times,
        },
    )
    for n, (item_id, from_at, to_at) in enumerate(items):
        yield (
            FactReservedItem,
            {
                "reservation_id": reservation_id,
                "n": n,
                "item_id": item_id,
                "from_at": from_at,
                "to_at": to_at,
                **times,
            },
        )


def _waiting(entry_id: int, events: list, zone: ZoneInfo):
    joined = [e for e in events if e[2]["type"] == "booking.waiting_list_joined"]
    if not joined:
        return
    joined_at, _, envelope = joined[-1]
    left = [at for at, _, e in events if e["type"] != "booking.waiting_list_joined"]
    yield (
        FactWaiting,
        {
            "entry_id": entry_id,
            "site_id": envelope["data"]["site_id"],
            "category_id": envelope["data"]["category_id"],
            "joined_at": joined_at,
            "week": _week(joined_at, zone),
            "left_at": left[-1] if left else None,
        },
    )


def _unmet(seq: int, events: list, zone: ZoneInfo):
    for at, _, envelope in events:
        data = envelope["data"]
        yield (
            FactUnmet,
            {
                "seq": seq,
                "at": at,
                "week": _week(at, zone),
                "site_id": data["site_id"],
                "category_id": data["category_id"],
                "quantity": data["quantity"],
            },
        )


_MAKERS = {
    "item": _item,
    "loan": _loan,
    "reservation": _reservation,
    "waiting": _waiting,
    "unmet": _unmet,
}


def _ts(text: str) -> float:
    return datetime.fromisoformat(text).timestamp()


def _week(ts: float, zone: ZoneInfo) -> date:
    day = datetime.fromtimestamp(ts, zone).date()
    return day - timedelta(days=day.weekday())

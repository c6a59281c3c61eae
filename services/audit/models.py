"""The audit log's tables.

`audit_entries` holds each event once (unique event_id), in the order it was
appended (`seq`, gapless: 1, 2, 3…). `body` is the event's canonical JSON,
`body_digest` its sha256 and `hash` = sha256(prev_hash + body_digest), so that
changing or removing an entry breaks the chain from there on (see log.verify),
while a body naming an erased resident can be erased (ERASED), its digest kept.

The id columns and `audit_refs` are read from `body` when the entry is appended,
only to find entries fast; verify checks them against `body` too. `audit_refs`
holds every id an entry names (a reservation names several items, a transfer two
sites), the columns the main one.
"""

from datetime import date, datetime

from sqlalchemy import BigInteger, Boolean, Date, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from partanum.db import UtcDateTime

GENESIS_HASH = "0" * 64
# An erased body: empty, never an event's JSON (kept NOT NULL, see migration 0002).
ERASED = ""


class Base(DeclarativeBase):
    pass


class AuditEntry(Base):
    __tablename__ = "audit_entries"

    # Given by log.append (last + 1), not by a database sequence: a sequence may
    # skip numbers on a rollback, and a gap is how a removal shows.
    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    event_id: Mapped[str] = mapped_column(String(36), unique=True)
    type: Mapped[str] = mapped_column(String(100), index=True)
    producer: Mapped[str] = mapped_column(String(40))
    version: Mapped[int] = mapped_column(Integer)
    occurred_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime)
    actor: Mapped[str] = mapped_column(String(100), index=True)
    item_id: Mapped[int | None] = mapped_column(Integer, index=True)
    partner_id: Mapped[int | None] = mapped_column(Integer, index=True)
    site_id: Mapped[int | None] = mapped_column(Integer, index=True)
    resident_id: Mapped[int | None] = mapped_column(Integer, index=True)
    body: Mapped[str] = mapped_column(Text)  # ERASED once erased (log.erase_payloads)
    body_digest: Mapped[str] = mapped_column(String(64))
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class AuditRef(Base):
    """One id an entry names: kind is "item", "partner", "site" or "resident"."""

    __tablename__ = "audit_refs"

    seq: Mapped[int] = mapped_column(ForeignKey("audit_entries.seq"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(10), primary_key=True)
    ref_id: Mapped[int] = mapped_column(Integer, primary_key=True)

    __table_args__ = (Index("ix_audit_refs_kind_ref_id", "kind", "ref_id"),)


# --- figures kept up to date as events are appended (services/audit/figures.py) ----------


class SiteHoursEntry(Base):
    """A site's hours and closures as its inventory events gave them, in effect from
    the local day of the event (the last event of a day wins) until the next entry;
    JSON text as the events carry them."""

    __tablename__ = "audit_site_hours"

    site_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    from_day: Mapped[date] = mapped_column(Date, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    opening_hours: Mapped[str] = mapped_column(Text)
    closures: Mapped[str] = mapped_column(Text)


class ReservationEntry(Base):
    """The entries about one reservation: a cancellation names the reservation only,
    and its items' figures must find it."""

    __tablename__ = "audit_reservation_entries"

    reservation_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    seq: Mapped[int] = mapped_column(ForeignKey("audit_entries.seq"), primary_key=True)


class ItemRun(Base):
    """Whole local days, `first_day` to `last_day` (null: from then on), when an item
    stood in service at one site and was either free all day or in use all day: its
    open seconds are the site's hours of each of those days."""

    __tablename__ = "audit_item_runs"

    item_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    first_day: Mapped[date] = mapped_column(Date, primary_key=True)
    last_day: Mapped[date | None] = mapped_column(Date)
    site_id: Mapped[int] = mapped_column(Integer, index=True)
    partner_id: Mapped[int] = mapped_column(Integer)
    category_id: Mapped[int] = mapped_column(Integer)
    busy: Mapped[bool] = mapped_column(Boolean)


class ItemDay(Base):
    """One local day of an item on which something changed (a use began or ended, it
    moved, came into or out of service), per place it stood at that day."""

    __tablename__ = "audit_item_days"

    item_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True, index=True)
    site_id: Mapped[int] = mapped_column(Integer, primary_key=True, index=True)
    partner_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    category_id: Mapped[int] = mapped_column(Integer)
    open_seconds: Mapped[float] = mapped_column(Float)
    occupied_seconds: Mapped[float] = mapped_column(Float)


class DailyFigures(Base):
    """The items' figures added up per site, owner, category and day, in the same
    transaction as theirs (the reports by site, partner or category read these):
    how many runs of whole days, free or in use, start and end (their last day)
    that day, and the changing days' seconds in microseconds (integers: added and
    taken away in any order, they come back to what a rebuild gives)."""

    __tablename__ = "audit_daily_figures"

    site_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    partner_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    category_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True, index=True)
    free_starts: Mapped[int] = mapped_column(Integer)
    free_ends: Mapped[int] = mapped_column(Integer)
    busy_starts: Mapped[int] = mapped_column(Integer)
    busy_ends: Mapped[int] = mapped_column(Integer)
    open_us: Mapped[int] = mapped_column(BigInteger)
    occupied_us: Mapped[int] = mapped_column(BigInteger)


class ItemStint(Base):
    """From when to when (null: still) an item stood in service at one site for one
    owner, without a day away: how many items a report counts."""

    __tablename__ = "audit_item_stints"

    item_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    first_day: Mapped[date] = mapped_column(Date, primary_key=True)
    site_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    partner_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    last_day: Mapped[date | None] = mapped_column(Date)
    category_id: Mapped[int] = mapped_column(Integer)


class ItemEvents(Base):
    """The events an item's figures were made from, trimmed to what they read, each
    as JSON after a comma (services/audit/item_events.py): a batch adds a row of its
    own instead of reading the item's history from the log again (n: the batch's
    last seq; 0 for a row holding all of them)."""

    __tablename__ = "audit_item_events"

    item_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    n: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    events: Mapped[str] = mapped_column(Text)


# --- what the other reports read, kept as events are appended (services/audit/facts.py) --
# Times are POSIX seconds as the history has them (history.py), so that a report read
# from these rows gives exactly what the analytics give from the log; each row holds
# the times of the events that made it, so that a report can look back to `as_of`.


class FactEntry(Base):
    """Which entries are about one loan, reservation, waiting-list entry, item or
    refusal (kind, key), while their bodies are there: an erasure makes the facts
    they were about again, without them."""

    __tablename__ = "audit_fact_entries"

    kind: Mapped[str] = mapped_column(String(12), primary_key=True)
    key: Mapped[int] = mapped_column(Integer, primary_key=True)
    seq: Mapped[int] = mapped_column(ForeignKey("audit_entries.seq"), primary_key=True, index=True)


class FactItem(Base):
    """A device as registered, and its status and place since its last change."""

    __tablename__ = "audit_fact_items"

    item_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    asset_tag: Mapped[str] = mapped_column(String(100))
    category_id: Mapped[int] = mapped_column(Integer)
    registered_at: Mapped[float] = mapped_column(Float)
    status: Mapped[str] = mapped_column(String(30))
    status_at: Mapped[float] = mapped_column(Float)
    site_id: Mapped[int] = mapped_column(Integer)
    partner_id: Mapped[int] = mapped_column(Integer)
    placed_at: Mapped[float] = mapped_column(Float)


class FactStatus(Base):
    """Each status a device had, from its registration on (n: their order)."""

    __tablename__ = "audit_fact_statuses"

    item_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    n: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[float] = mapped_column(Float)
    status: Mapped[str] = mapped_column(String(30), index=True)


class FactPlace(Base):
    """Each site and owner a device had, from its registration on (n: their order)."""

    __tablename__ = "audit_fact_places"

    item_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    n: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[float] = mapped_column(Float)
    site_id: Mapped[int] = mapped_column(Integer)
    partner_id: Mapped[int] = mapped_column(Integer)


class FactLoan(Base):
    """A loan: its due date as checked out and after its last renewal (every renewal in
    audit_fact_renewals), its end (back_at, lost_at: the last of its ends). The
    resident's id, as the log holds it, only to count residents served."""

    __tablename__ = "audit_fact_loans"
    # Read from the indexes alone: each device's last use (facts_report.idle_items),
    # and the loans of a period counted by week, site and resident (activity). The
    # loans still out at a moment, and those lost in a period (overdue_and_lost), are
    # found without reading every loan.
    __table_args__ = (
        Index("ix_audit_fact_loans_item_uses", "item_id", "out_at", "back_at"),
        Index("ix_audit_fact_loans_activity", "out_at", "week", "site_id", "resident_id"),
        Index("ix_audit_fact_loans_back_at", "back_at", "out_at"),
    )

    loan_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    item_id: Mapped[int] = mapped_column(Integer, index=True)
    resident_id: Mapped[int | None] = mapped_column(Integer)
    site_id: Mapped[int] = mapped_column(Integer)
    out_at: Mapped[float] = mapped_column(Float)
    week: Mapped[date] = mapped_column(Date)  # the Monday of out_at's local day
    due_at: Mapped[float] = mapped_column(Float)  # as checked out
    renewed_at: Mapped[float | None] = mapped_column(Float)
    renewed_due_at: Mapped[float | None] = mapped_column(Float)
    back_at: Mapped[float | None] = mapped_column(Float)
    lost_at: Mapped[float | None] = mapped_column(Float, index=True)


class FactRenewal(Base):
    __tablename__ = "audit_fact_renewals"

    loan_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    n: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[float] = mapped_column(Float)
    due_at: Mapped[float] = mapped_column(Float)


class FactReservation(Base):
    """A reservation: cancelled (or released) at its first cancellation; brought back
    at its first return, when it ended at `returned_ends_at`."""

    __tablename__ = "audit_fact_reservations"

    reservation_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    site_id: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[float] = mapped_column(Float)
    starts_at: Mapped[float] = mapped_column(Float, index=True)
    week: Mapped[date] = mapped_column(Date)  # the Monday of starts_at's local day
    ends_at: Mapped[float] = mapped_column(Float)
    cancelled_at: Mapped[float | None] = mapped_column(Float)
    returned_at: Mapped[float | None] = mapped_column(Float)
    returned_ends_at: Mapped[float | None] = mapped_column(Float)


class FactReservedItem(Base):
    """A device of a reservation, from when (null: from the start) until when (null:
    still) a withdrawal put it in or took it out (n: one per place in the list).

    With the reservation's own times copied: a device's uses (when it was last used)
    are then read from one index, not looked up in the reservations one by one."""

    __tablename__ = "audit_fact_reserved_items"
    __table_args__ = (
        Index(
            "ix_audit_fact_reserved_items_uses",
            "item_id",
            "starts_at",
            "ends_at",
            "created_at",
            "cancelled_at",
            "returned_at",
            "returned_ends_at",
            "from_at",
            "to_at",
        ),
    )

    reservation_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    n: Mapped[int] = mapped_column(Integer, primary_key=True)
    item_id: Mapped[int] = mapped_column(Integer, index=True)
    from_at: Mapped[float | None] = mapped_column(Float)
    to_at: Mapped[float | None] = mapped_column(Float)
    created_at: Mapped[float] = mapped_column(Float)
    starts_at: Mapped[float] = mapped_column(Float)
    ends_at: Mapped[float] = mapped_column(Float)
    cancelled_at: Mapped[float | None] = mapped_column(Float)
    returned_at: Mapped[float | None] = mapped_column(Float)
    returned_ends_at: Mapped[float | None] = mapped_column(Float)


class FactItemUses(Base):
    """When a device was last used, from its loans and reservations (item_uses.py):
    the end of its last use, since when a loan of it is still out (null: none), and
    the latest moment its loans and reservations name (from then on, these say how
    its uses stand)."""

    __tablename__ = "audit_fact_item_uses"

    item_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    last_end: Mapped[float | None] = mapped_column(Float)
    open_since: Mapped[float | None] = mapped_column(Float)
    settled_at: Mapped[float] = mapped_column(Float, index=True)


class FactWaiting(Base):
    """A place on a waiting list, and when it was left (the last of its ends)."""

    __tablename__ = "audit_fact_waiting"

    entry_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    site_id: Mapped[int] = mapped_column(Integer)
    category_id: Mapped[int] = mapped_column(Integer)
    joined_at: Mapped[float] = mapped_column(Float, index=True)
    week: Mapped[date] = mapped_column(Date)
    left_at: Mapped[float | None] = mapped_column(Float)


class FactUnmet(Base):
    """A request refused (keyed by its entry)."""

    __tablename__ = "audit_fact_unmet"

    seq: Mapped[int] = mapped_column(ForeignKey("audit_entries.seq"), primary_key=True)
    at: Mapped[float] = mapped_column(Float, index=True)
    week: Mapped[date] = mapped_column(Date)
    site_id: Mapped[int | None] = mapped_column(Integer)
    category_id: Mapped[int | None] = mapped_column(Integer)
    quantity: Mapped[int] = mapped_column(Integer)

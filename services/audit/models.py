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

"""The booking service's tables.

`allocations` is where the central promise is kept: an item is never held by
two reservations or loans for overlapping times. The database refuses it (see
migrations/versions/0001_initial.py): an exclusion constraint on PostgreSQL, a
trigger on SQLite, so that concurrent requests cannot both win.

Items and sites are the booking's own copy of what the inventory announced in
its events (ids, category, site, status): this service never reads the
inventory's tables.
"""
from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from partanum.db import UtcDateTime


class Base(DeclarativeBase):
    pass


class Site(Base):
    __tablename__ = "sites"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    partner_id: Mapped[int] = mapped_column(Integer)
    opening_hours: Mapped[dict] = mapped_column(JSON, default=dict)
    # [["2026-12-24", "2027-01-01"], …] whole days, inclusive
    closures: Mapped[list] = mapped_column(JSON, default=list)


class Item(Base):
    __tablename__ = "items"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    asset_tag: Mapped[str] = mapped_column(String(40), unique=True)
    category_id: Mapped[int] = mapped_column(Integer, index=True)
    owner_partner_id: Mapped[int] = mapped_column(Integer)
    site_id: Mapped[int] = mapped_column(Integer, index=True)
    status: Mapped[str] = mapped_column(String(20))


class Reservation(Base):
    """Partner staff hold items for a window, e.g. ten tablets for Tuesday's workshop."""

    __tablename__ = "reservations"

    id: Mapped[int] = mapped_column(primary_key=True)
    partner_id: Mapped[int] = mapped_column(Integer, index=True)
    site_id: Mapped[int] = mapped_column(Integer)
    starts_at: Mapped[datetime] = mapped_column(UtcDateTime)
    ends_at: Mapped[datetime] = mapped_column(UtcDateTime)
    status: Mapped[str] = mapped_column(String(20))
    requested_by: Mapped[str] = mapped_column(String(100))
    note: Mapped[str] = mapped_column(Text, default="")

    allocations: Mapped[list["Allocation"]] = relationship(back_populates="reservation")


class Allocation(Base):
    """One item held for one period; the unit the overlap guard works on.

    `blocked_until` is the end plus the buffer the item needs before its next
    use (charging, wiping). A released allocation no longer blocks anything.
    Times are stored in UTC.
    """

    __tablename__ = "allocations"

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id"))
    reservation_id: Mapped[int | None] = mapped_column(ForeignKey("reservations.id"))
    starts_at: Mapped[datetime] = mapped_column(UtcDateTime)
    ends_at: Mapped[datetime] = mapped_column(UtcDateTime)
    blocked_until: Mapped[datetime] = mapped_column(UtcDateTime)
    released_at: Mapped[datetime | None] = mapped_column(UtcDateTime)

    reservation: Mapped[Reservation | None] = relationship(back_populates="allocations")
    item: Mapped[Item] = relationship()

    __table_args__ = (Index("ix_allocations_item_period", "item_id", "starts_at", "blocked_until"),)

"""The notifications service's tables.

`messages` is the outbox of what is to be told: one row per (event, recipient,
purpose, step), written by the event handler in its inbox transaction and then
sent by the sender. The unique key is what makes a redelivered event harmless;
`step` tells apart the several messages one event may plan (the reminders two
days and one day before a due date, the levels of overdue notices).

No table here holds a name, a phone number or a resident's email: contact details
are asked of the booking service at send time. `context` keeps ids, dates and
levels only. A partner desk's email (`partner_contacts`) is an office address.

Sites are a copy of what the inventory announces (name, address, hours), to say
where to go and to plan reminders on the days the return site is open. Loans and
reservations keep the few facts later events leave out (a renewal does not say
at which site).

All times are aware datetimes, stored in UTC.
"""

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from partanum.db import UtcDateTime
from services.notifications.vocabulary import PENDING


class Base(DeclarativeBase):
    pass


class Message(Base):
    __tablename__ = "messages"
    __table_args__ = (
        UniqueConstraint("event_id", "recipient", "purpose", "step", name="uq_messages_intent"),
        Index("ix_messages_due", "status", "send_after"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[str] = mapped_column(String(36))
    # "resident:42" or "partner:3" (that partner's desk)
    recipient: Mapped[str] = mapped_column(String(40))
    purpose: Mapped[str] = mapped_column(String(40))
    step: Mapped[int] = mapped_column(Integer, default=0)
    resident_id: Mapped[int | None] = mapped_column(Integer, index=True)
    # The partner concerned: the desk addressed, or the one that lent to the resident.
    partner_id: Mapped[int | None] = mapped_column(Integer, index=True)
    loan_id: Mapped[int | None] = mapped_column(Integer, index=True)
    reservation_id: Mapped[int | None] = mapped_column(Integer)
    context: Mapped[dict] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(20), default=PENDING)
    send_after: Mapped[datetime] = mapped_column(UtcDateTime)
    channel: Mapped[str | None] = mapped_column(String(10))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime)

    @property
    def reference(self) -> str:
        """The Message-ID (and SMS reference): the same on every attempt of this row."""
        return f"{self.id}.{self.event_id}.{self.step}@partanum"


class StaffNotice(Base):
    """Something a partner's front desk should know or do: a reservation changed, a
    resident to call, a message that could not be delivered. `done_at` when handled."""

    __tablename__ = "staff_notices"

    id: Mapped[int] = mapped_column(primary_key=True)
    partner_id: Mapped[int | None] = mapped_column(Integer, index=True)
    kind: Mapped[str] = mapped_column(String(40))
    resident_id: Mapped[int | None] = mapped_column(Integer)
    loan_id: Mapped[int | None] = mapped_column(Integer)
    reservation_id: Mapped[int | None] = mapped_column(Integer)
    message_id: Mapped[int | None] = mapped_column(ForeignKey("messages.id"))
    context: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    done_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class PartnerContact(Base):
    """A partner desk's own address (not a person's): staff notices are emailed there."""

    __tablename__ = "partner_contacts"

    partner_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    email: Mapped[str | None] = mapped_column(String(200))
    language: Mapped[str] = mapped_column(String(5), default="fr")


class Site(Base):
    __tablename__ = "sites"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    code: Mapped[str] = mapped_column(String(40))
    partner_id: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(200), default="")
    address: Mapped[str] = mapped_column(Text, default="")
    opening_hours: Mapped[dict] = mapped_column(JSON, default=dict)
    # [["2026-12-24", "2027-01-01"], …] whole days, inclusive
    closures: Mapped[list] = mapped_column(JSON, default=list)
    # When the inventory's event this copy was last taken from happened.
    state_as_of: Mapped[datetime | None] = mapped_column(UtcDateTime)


class Item(Base):
    """How a device is named to people: "Lenovo ThinkPad E14 (JV-LAP-003)"."""

    __tablename__ = "items"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    label: Mapped[str] = mapped_column(String(200))


class Loan(Base):
    __tablename__ = "loans"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    resident_id: Mapped[int | None] = mapped_column(Integer)
    item_id: Mapped[int] = mapped_column(Integer)
    site_id: Mapped[int | None] = mapped_column(Integer)
    due_at: Mapped[datetime] = mapped_column(UtcDateTime)


class Reservation(Base):
    __tablename__ = "reservations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    partner_id: Mapped[int] = mapped_column(Integer)
    site_id: Mapped[int] = mapped_column(Integer)
    starts_at: Mapped[datetime] = mapped_column(UtcDateTime)
    ends_at: Mapped[datetime] = mapped_column(UtcDateTime)

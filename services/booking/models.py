"""The booking service's tables.

`allocations` is where the central promise is kept: an item is never held by
two reservations, loans or holds for overlapping times. The database refuses it
(see migrations/versions/0001_initial.py): an exclusion constraint on
PostgreSQL, a trigger on SQLite, so that concurrent requests cannot both win.

Items, kits and sites are the booking's own copy of what the inventory
announced in its events: this service never reads the inventory's tables.

Residents' personal data lives here and nowhere else: `residents` is the only
table with a name, a phone or an email. Loans point at a resident until they
are anonymised, after which only the statistics remain.

All times are aware datetimes, stored in UTC.
"""

from datetime import date, datetime

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Index, Integer, String, Text, Time, text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship, validates

from partanum import phones
from partanum.db import UtcDateTime
from services.booking import domain


class Base(DeclarativeBase):
    pass


# --- the copy of the inventory -------------------------------------------------


class Site(Base):
    __tablename__ = "sites"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    partner_id: Mapped[int] = mapped_column(Integer)
    opening_hours: Mapped[dict] = mapped_column(JSON, default=dict)
    # [["2026-12-24", "2027-01-01"], …] whole days, inclusive
    closures: Mapped[list] = mapped_column(JSON, default=list)
    # When the inventory's event this copy was last taken from happened.
    state_as_of: Mapped[datetime | None] = mapped_column(UtcDateTime)


class Item(Base):
    __tablename__ = "items"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    asset_tag: Mapped[str] = mapped_column(String(40), unique=True)
    category_id: Mapped[int] = mapped_column(Integer, index=True)
    owner_partner_id: Mapped[int] = mapped_column(Integer)
    site_id: Mapped[int] = mapped_column(Integer, index=True)
    status: Mapped[str] = mapped_column(String(20))
    # When the inventory's latest applied status event happened: an older event
    # handled late (retries and concurrent workers reorder) must not undo it.
    status_changed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # The owner may keep an item for itself whatever its sharing rules say.
    shareable: Mapped[bool] = mapped_column(Boolean, default=True)


class Kit(Base):
    __tablename__ = "kits"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    item_ids: Mapped[list] = mapped_column(JSON, default=list)


# --- rules partners and the city set ---------------------------------------------


class SharingRule(Base):
    """Whether a partner lets others reserve its items (of a category, or all when
    category_id is null), and how many of them one reservation may take."""

    __tablename__ = "sharing_rules"

    id: Mapped[int] = mapped_column(primary_key=True)
    partner_id: Mapped[int] = mapped_column(Integer, index=True)
    category_id: Mapped[int | None] = mapped_column(Integer)
    shared: Mapped[bool] = mapped_column(Boolean, default=True)
    max_per_reservation: Mapped[int | None] = mapped_column(Integer)


class CategoryPolicy(Base):
    """How long a resident keeps a device of a category, and how often it may be renewed."""

    __tablename__ = "category_policies"

    category_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    loan_days: Mapped[int] = mapped_column(Integer, default=14)
    max_renewals: Mapped[int] = mapped_column(Integer, default=2)


# --- reservations (partner staff) -------------------------------------------------


class ReservationSeries(Base):
    """A weekly recurring reservation (the Thursday workshop): one Reservation per week."""

    __tablename__ = "reservation_series"

    id: Mapped[int] = mapped_column(primary_key=True)
    partner_id: Mapped[int] = mapped_column(Integer)
    site_id: Mapped[int] = mapped_column(Integer)
    weekday: Mapped[int] = mapped_column(Integer)  # 0 = Monday
    starts: Mapped[datetime] = mapped_column(Time)  # local time at the site
    ends: Mapped[datetime] = mapped_column(Time)
    first_day: Mapped[date] = mapped_column(Date)
    last_day: Mapped[date] = mapped_column(Date)
    # what each occurrence asks for: {"category_id": 1, "quantity": 10} or {"asset_tags": [...]}
    request: Mapped[dict] = mapped_column(JSON)
    cancelled_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class Reservation(Base):
    """Partner staff hold items for a window, e.g. ten tablets for Tuesday's workshop.

    status: confirmed → picked_up → returned, or cancelled, or released (nobody
    came to pick it up). `attention` says why staff should look at it (an item
    was withdrawn), with the replacement proposed, if any.
    """

    __tablename__ = "reservations"

    id: Mapped[int] = mapped_column(primary_key=True)
    partner_id: Mapped[int] = mapped_column(Integer, index=True)
    site_id: Mapped[int] = mapped_column(Integer)
    series_id: Mapped[int | None] = mapped_column(ForeignKey("reservation_series.id"))
    starts_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    ends_at: Mapped[datetime] = mapped_column(UtcDateTime)
    status: Mapped[str] = mapped_column(String(20))
    requested_by: Mapped[str] = mapped_column(String(100))
    note: Mapped[str] = mapped_column(Text, default="")
    picked_up_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    returned_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    attention: Mapped[str | None] = mapped_column(Text)

    allocations: Mapped[list["Allocation"]] = relationship(back_populates="reservation")
    series: Mapped[ReservationSeries | None] = relationship()

    @property
    def asset_tags(self) -> list[str]:
        """The items it holds now."""
        return sorted(a.item.asset_tag for a in self.allocations if a.released_at is None)


# --- residents and loans -----------------------------------------------------------


class Resident(Base):
    """A borrower: the least personal data that works. Erased on request."""

    __tablename__ = "residents"

    id: Mapped[int] = mapped_column(primary_key=True)
    display_name: Mapped[str | None] = mapped_column(String(200))
    phone: Mapped[str | None] = mapped_column(String(40))  # as typed, as staff and residents see it
    # The same number in E.164 ("+33612345678"), set with `phone` and never on its
    # own: a resident is looked up by phone through this index, however it is written.
    phone_e164: Mapped[str | None] = mapped_column(String(16), index=True)
    email: Mapped[str | None] = mapped_column(String(200))
    language: Mapped[str] = mapped_column(String(10), default="fr")
    channel: Mapped[str] = mapped_column(String(10), default="sms")  # sms, email, none
    consent_at: Mapped[datetime] = mapped_column(UtcDateTime)
    card_number: Mapped[str | None] = mapped_column(String(40), unique=True)
    registered_by_partner_id: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    erased_at: Mapped[datetime | None] = mapped_column(UtcDateTime)

    @validates("phone")
    def _with_e164(self, _key: str, phone: str | None) -> str | None:
        # Every way a phone is set (registered, updated, a proven change, erased)
        # keeps the indexed form in step.
        self.phone_e164 = phones.normalised(phone) if phone else None
        return phone


class ResidentFound(Base):
    """A partner found a resident at its desk by what they presented (their whole
    card number or phone number): from then on its staff may serve them, see them
    with their contact details masked, and lend to them. Registering a resident, or
    lending to them, relates a partner too (see relationships.py); this row lasts
    until it is older than the anonymisation delay, counted from the last time
    they were found, or until the resident is erased."""

    __tablename__ = "residents_found"

    resident_id: Mapped[int] = mapped_column(ForeignKey("residents.id"), primary_key=True)
    partner_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    how: Mapped[str] = mapped_column(String(10))  # card, phone
    found_at: Mapped[datetime] = mapped_column(UtcDateTime)


class Mandate(Base):
    """A resident's consent, recorded at a partner's desk, for its staff to act for
    them: what it covers (`scopes`: loans, data, contact) and until when. Withdrawn
    by the resident or the partner's staff; never deleted, so that the acts done
    under it keep naming it (until the resident is erased)."""

    __tablename__ = "mandates"

    id: Mapped[int] = mapped_column(primary_key=True)
    resident_id: Mapped[int] = mapped_column(ForeignKey("residents.id"), index=True)
    partner_id: Mapped[int] = mapped_column(Integer)
    scopes: Mapped[list] = mapped_column(JSON)
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime)
    recorded_by: Mapped[str] = mapped_column(String(100))
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)
    withdrawn_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class ContactChange(Base):
    """A new phone or email a resident asked for, waiting for the one-time code sent to
    it: it replaces the old one only once the code comes back. Deleted then, when it
    expires or fails too often, and when the resident is erased."""

    __tablename__ = "contact_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    resident_id: Mapped[int] = mapped_column(ForeignKey("residents.id"), index=True)
    field: Mapped[str] = mapped_column(String(10))  # phone, email
    value: Mapped[str] = mapped_column(String(200))
    code_hash: Mapped[str] = mapped_column(String(64))  # SHA-256 of the change and its code
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)
    failed_attempts: Mapped[int] = mapped_column(Integer, default=0)


class ResidentDetailHash(Base):
    """A keyed hash (HMAC) of each phone, email or card number a resident ever had,
    never the value: enough for their erasure to recognise an old number typed
    into free text. Deleted with the resident's details (privacy.py)."""

    __tablename__ = "resident_detail_hashes"

    resident_id: Mapped[int] = mapped_column(ForeignKey("residents.id"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(20), primary_key=True)  # phone, email, card_number
    digest: Mapped[str] = mapped_column(String(64), primary_key=True)


class Loan(Base):
    """A device in a resident's hands. status: active → returned, or lost.

    resident_id is cut (set to null) when the loan is anonymised, some days
    after its return: the statistics stay, the link to the person goes.
    """

    __tablename__ = "loans"

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id"), index=True)
    resident_id: Mapped[int | None] = mapped_column(ForeignKey("residents.id"), index=True)
    reservation_id: Mapped[int | None] = mapped_column(ForeignKey("reservations.id"))
    site_id: Mapped[int] = mapped_column(Integer)
    return_site_id: Mapped[int] = mapped_column(Integer)
    checked_out_at: Mapped[datetime] = mapped_column(UtcDateTime)
    due_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    returned_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    status: Mapped[str] = mapped_column(String(20), index=True)
    renewals: Mapped[int] = mapped_column(Integer, default=0)
    accessories_out: Mapped[list] = mapped_column(JSON, default=list)
    accessories_in: Mapped[list | None] = mapped_column(JSON)
    condition_in: Mapped[str | None] = mapped_column(String(20))
    overdue_since: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # Staff lent despite a limit or an overdue loan, and wrote why.
    override_reason: Mapped[str | None] = mapped_column(Text)
    checked_out_by: Mapped[str] = mapped_column(String(100))
    anonymised_at: Mapped[datetime | None] = mapped_column(UtcDateTime)

    item: Mapped[Item] = relationship()
    resident: Mapped[Resident | None] = relationship()
    # The desk that lent it, in the copy of the inventory: whose partner's loan it is.
    site: Mapped[Site] = relationship(primaryjoin="foreign(Loan.site_id) == Site.id", viewonly=True)

    @property
    def asset_tag(self) -> str:
        return self.item.asset_tag

    @property
    def partner_id(self) -> int | None:
        return self.site.partner_id if self.site else None

    @property
    def missing_accessories(self) -> list[str] | None:
        return domain.missing_on_return(self.accessories_out, self.accessories_in)


class WaitingEntry(Base):
    """A resident waiting for a device of a category at a site.

    status: waiting → held (an item is kept for them until hold_expires_at) →
    fulfilled (they borrowed it), or expired (the hold passed to the next), or
    cancelled.
    """

    __tablename__ = "waiting_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    resident_id: Mapped[int | None] = mapped_column(ForeignKey("residents.id"), index=True)
    category_id: Mapped[int] = mapped_column(Integer)
    site_id: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    status: Mapped[str] = mapped_column(String(20))
    held_item_id: Mapped[int | None] = mapped_column(ForeignKey("items.id"))
    hold_expires_at: Mapped[datetime | None] = mapped_column(UtcDateTime)

    __table_args__ = (Index("ix_waiting_queue", "category_id", "site_id", "status", "created_at"),)


# --- the guard ------------------------------------------------------------------------


class Allocation(Base):
    """One item held for one period, by a reservation, a loan or a waiting-list hold;
    the unit the overlap guard works on.

    `blocked_until` is the end plus the buffer the item needs before its next
    use (charging, wiping). A released allocation no longer blocks anything.
    """

    __tablename__ = "allocations"

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id"))
    reservation_id: Mapped[int | None] = mapped_column(ForeignKey("reservations.id"), index=True)
    loan_id: Mapped[int | None] = mapped_column(ForeignKey("loans.id"), index=True)
    waiting_entry_id: Mapped[int | None] = mapped_column(ForeignKey("waiting_entries.id"))
    starts_at: Mapped[datetime] = mapped_column(UtcDateTime)
    ends_at: Mapped[datetime] = mapped_column(UtcDateTime)
    blocked_until: Mapped[datetime] = mapped_column(UtcDateTime)
    released_at: Mapped[datetime | None] = mapped_column(UtcDateTime)

    reservation: Mapped[Reservation | None] = relationship(back_populates="allocations")
    loan: Mapped[Loan | None] = relationship()
    item: Mapped[Item] = relationship()

    # Partial, like the guard: "is this item free then?" reads only the index
    # (an index-only scan), where a full index would fetch every row to look at
    # released_at. On 1,000,000 allocations (bench/availability_latency.py) an
    # all-sites search went from 93 ms to 4 ms in PostgreSQL.
    __table_args__ = (
        Index(
            "ix_allocations_item_period",
            "item_id",
            "starts_at",
            "blocked_until",
            postgresql_where=text("released_at IS NULL"),
            sqlite_where=text("released_at IS NULL"),
        ),
    )

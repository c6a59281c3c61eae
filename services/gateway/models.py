"""The gateway's tables: staff accounts, sign-in tokens, calendar feed addresses,
residents' one-time codes and the counters that rate-limit sign-in attempts.

No resident's personal data lives here: a resident is only a `resident_id` of the
booking service. Tokens and codes are stored as hashes, never as they were sent.
"""

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Integer, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from partanum.db import UtcDateTime


class Base(DeclarativeBase):
    pass


class Account(Base):
    """A staff member, a manager or a city administrator."""

    __tablename__ = "accounts"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(200), unique=True)  # stored lower-cased
    display_name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20))  # admin, manager, staff
    partner_id: Mapped[int | None] = mapped_column(Integer)  # staff: required
    password_hash: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    disabled_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class Token(Base):
    """A signed-in session: a staff account's, or a resident's after a one-time code."""

    __tablename__ = "tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)  # SHA-256, hex
    account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"), index=True)
    resident_id: Mapped[int | None] = mapped_column(Integer, index=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class SignInCode(Base):
    """A one-time code sent to a resident; good once, for a few minutes, a few tries."""

    __tablename__ = "sign_in_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    resident_id: Mapped[int] = mapped_column(Integer, index=True)
    code_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)
    failed_attempts: Mapped[int] = mapped_column(Integer, default=0)
    used_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class RateCounter(Base):
    """Attempts counted in a fixed window, per key ("sign-in:email:<HMAC>",
    "code:resident:42"): what was typed is never stored, only its keyed hash."""

    __tablename__ = "rate_counters"

    key: Mapped[str] = mapped_column(String(250), primary_key=True)
    window_started_at: Mapped[datetime] = mapped_column(UtcDateTime)
    count: Mapped[int] = mapped_column(Integer, default=0)


class CalendarFeed(Base):
    """A secret address for a calendar application, made by a staff member: the
    token in its URL reads the account's calendar feeds with the account's rights,
    until it is revoked or the account disabled. Only its SHA-256 is stored."""

    __tablename__ = "calendar_feeds"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)  # SHA-256, hex
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class HelpOffer(Base):
    """Help a partner's staff offer at one of its sites (the public guide shows it):
    `what` is a short French text typed by staff, shown to anyone and never sent in
    an event; `hours` are weekly slots as the sites' opening hours
    ({"monday": [["13:30", "18:30"]], …})."""

    __tablename__ = "help_offers"

    id: Mapped[int] = mapped_column(primary_key=True)
    partner_id: Mapped[int] = mapped_column(Integer, index=True)
    site_code: Mapped[str] = mapped_column(String(40))
    what: Mapped[str] = mapped_column(String(200))
    hours: Mapped[dict] = mapped_column(JSON)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


class DismissedSuggestion(Base):
    """A rebalancing suggestion a manager dismissed, and why: the suggestion is known by
    its signature (the audit signs each one), so the same one is not shown again;
    `reason` is a short French text typed by the manager, shown to managers only."""

    __tablename__ = "dismissed_suggestions"

    id: Mapped[int] = mapped_column(primary_key=True)
    signature: Mapped[str] = mapped_column(String(64), unique=True)
    suggestion: Mapped[dict] = mapped_column(JSON)
    reason: Mapped[str] = mapped_column(String(500))
    dismissed_by: Mapped[str] = mapped_column(String(100))
    dismissed_at: Mapped[datetime] = mapped_column(UtcDateTime)

"""The sender: claims the messages that are due, a batch at a time, sends each,
records the outcomes.

Two short transactions per batch (up to BATCH messages), none held while a server
is waited for:

1. claim: due rows go from pending to sending, and what sending them needs (the
   sites, the desks' addresses, the devices' names, what each resident was sent
   today) is read, committed;
2. send, outside any transaction: the contact details of the batch's residents
   are asked of the booking service in one call (never stored), each text is
   rendered in its recipient's language, the channels tried in the resident's
   order of preference, the emails over a few SMTP connections (LANES);
3. mark: sent (or postponed, capped, retried later, failed), committed.

A crash between 2 and 3 leaves the batch's rows in sending; the next process sends
them again (`recover`) with the same Message-ID or SMS reference, which is derived
from the row. So a message is never lost, but the server may receive it twice:
mail clients show one message per Message-ID, and gateways that honour a client
reference drop the copy; a gateway that does not would deliver a second SMS. The
batch bounds how many may come twice.

One sender at a time in a process (`Turn`); run one notifications process per
database, as with the outbox relay.
"""

import logging
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import UTC, datetime

import eventlet
from sqlalchemy import bindparam, func, insert, select, update

from partanum import i18n
from services.notifications import domain, texts
from services.notifications.channels import DeliveryFailed, Email, Sms
from services.notifications.models import Item, Message, PartnerContact, Site, StaffNotice
from services.notifications.settings import Settings
from services.notifications.vocabulary import (
    CALL_TASK,
    CANCELLED,
    CAPPED,
    FAILED,
    PENDING,
    SENDING,
    SENT,
)

log = logging.getLogger(__name__)

BATCH = 50
# Messages of a batch sent side by side, each lane over its own SMTP connection:
# an email waits for four answers from its server, and the process for none.
LANES = 4

messages = Message.__table__


def now_utc() -> datetime:
    return datetime.now(UTC)


class Turn:
    """Whose turn it is to send in this process: one sender at a time. A worker that
    finds another one sending leaves a word that there is more and returns at once;
    the sender looks again before it stops. Green threads switch only on I/O, so
    nothing happens between the check and the change of `busy`."""

    def __init__(self):
        self.busy = False
        self.more = False

    def run(self, send) -> None:
        if self.busy:
            self.more = True
            return
        self.busy = True
        try:
            while True:
                self.more = False
                send()
                if not self.more:
                    return
        finally:
            self.busy = False


@dataclass
class Sender:
    """What sending needs from outside: the UnitOfWork (`db`), the channels by name
    ({"email": …, "sms": …}), `contacts(resident_ids)` → {id: details} of those still
    registered (the booking's contact_details_many RPC), the texts' `render` and a
    clock."""

    db: object
    settings: Settings
    channels: dict
    contacts: object
    render: object = None  # texts.render, looked up when sending
    clock: object = now_utc

    def send_due(self, limit: int = BATCH) -> int:
        """Send what is due, and what sending it planned (a call task, an
        undeliverable notice), a batch at a time; return how many were handled."""
        handled = 0
        while True:
            jobs = claim(self.db, self.clock(), self.settings, limit)
            if not jobs:
                return handled
            outcomes = self.deliver(jobs)
            with self.db.transaction() as tx:
                mark(tx.session, outcomes, self.clock(), self.settings)
                tx.commit()
            handled += len(jobs)

    def deliver(self, jobs: list["_Job"]) -> list[tuple["_Job", "Outcome"]]:
        try:
            contacts = self._contacts(jobs)
        except Exception as error:  # noqa: BLE001 -- the booking away: retry later
            log.exception("contact details for %s messages could not be read", len(jobs))
            return [(job, Outcome(PENDING, error=type(error).__name__, retry=True)) for job in jobs]
        # A recipient's messages all go down one lane, in order: the daily cap counts
        # what the lane sent before. Lanes wait for their servers side by side.
        lanes: dict[int, list] = {}
        for job in jobs:
            lanes.setdefault(hash(job.recipient) % LANES, []).append(job)
        outcomes = {}
        for lane in eventlet.GreenPool(LANES).imap(
            lambda lane: self._deliver_lane(lane, contacts), lanes.values()
        ):
            outcomes.update(lane)
        return [(job, outcomes[job.id]) for job in jobs]

    def _deliver_lane(self, jobs, contacts) -> dict[int, "Outcome"]:
        outcomes = {}
        with ExitStack() as sessions:
            routes = _Routes(self.channels, sessions)
            for job in jobs:
                try:
                    outcome = self._deliver(job, contacts, routes)
                except Exception as error:  # noqa: BLE001 -- a bug or a server away: retry later
                    log.exception("sending message %s failed", job.id)
                    outcome = Outcome(PENDING, error=type(error).__name__, retry=True)
                if outcome.status == SENT and job.to_resident:
                    job.sent_today[job.recipient] = job.sent_today.get(job.recipient, 0) + 1
                outcomes[job.id] = outcome
        return outcomes

    def _contacts(self, jobs) -> dict:
        wanted = {job.resident_id for job in jobs if job.to_resident}
        wanted |= {
            job.context.get("resident_id") for job in jobs if not job.to_resident and job.desk_email
        }
        wanted.discard(None)
        return self.contacts(sorted(wanted)) if wanted else {}

    def _render(self, purpose, language, context):
        return (self.render or texts.render)(purpose, language, context)

    # --- one message -----------------------------------------------------------------------

    def _deliver(self, job: "_Job", contacts: dict, routes: "_Routes") -> "Outcome":
        if job.to_resident:
            return self._to_resident(job, contacts.get(job.resident_id), routes)
        return self._to_desk(job, contacts, routes)

    def _to_resident(self, job, contact, routes) -> "Outcome":
        if contact is None:
            return Outcome(CANCELLED, error="resident erased")
        if job.sent_today.get(job.recipient, 0) >= self.settings.max_per_day:
            return Outcome(CAPPED, error=f"{self.settings.max_per_day} messages already today")
        order = domain.channel_order(
            contact.get("channel"), contact.get("phone"), contact.get("email")
        )
        if not order:
            return Outcome(CALL_TASK, channel="none")
        now = self.clock()
        s = self.settings
        if domain.is_quiet(now, s.zone, s.quiet_from, s.quiet_until):
            if order[0] == "sms":
                return Outcome(PENDING, send_after=domain.quiet_ends(now, s.zone, s.quiet_until))
            order = [channel for channel in order if channel != "sms"]
        language = contact.get("language") or i18n.DEFAULT_LANGUAGE
        rendered = self._render(job.purpose, language, job.render_context(now))
        addresses = {"email": contact.get("email"), "sms": contact.get("phone")}
        return self._try(
            job, rendered, [(channel, addresses[channel]) for channel in order], routes
        )

    def _to_desk(self, job, contacts, routes) -> "Outcome":
        if not job.desk_email:
            return Outcome(SENT, channel="desk")  # listed by staff_notices only
        resident = contacts.get(job.context.get("resident_id")) or {}
        # Erased: the id is shown instead of the name.
        name = resident.get("display_name")
        rendered = self._render(
            job.purpose,
            job.desk_language or i18n.DEFAULT_LANGUAGE,
            job.render_context(self.clock(), resident_display_name=name),
        )
        return self._try(job, rendered, [("email", job.desk_email)], routes)

    def _try(self, job, rendered, addresses, routes) -> "Outcome":
        failures = []
        for channel, address in addresses:
            if channel == "email":
                outgoing = Email(
                    to=address,
                    subject=rendered.subject,
                    text=rendered.text,
                    html=rendered.html,
                    message_id=job.reference,
                )
            else:
                outgoing = Sms(to=address, text=rendered.sms, reference=job.reference)
            try:
                routes[channel].send(outgoing)
            except DeliveryFailed as failure:
                failures.append((channel, failure))
                continue
            return Outcome(SENT, channel=channel)
        error = "; ".join(f"{channel}: {failure.reason}" for channel, failure in failures)
        permanent = all(failure.permanent for _, failure in failures)
        return Outcome(
            PENDING,
            channel=addresses[-1][0] if addresses else None,
            error=error,
            retry=True,
            permanent=permanent,
        )


class _Routes:
    """The channels for one batch: a channel that can keep a session (SMTP's one
    connection) opens it at its first message and closes it with the batch."""

    def __init__(self, channels: dict, sessions: ExitStack):
        self.channels, self.sessions, self.open = channels, sessions, {}

    def __getitem__(self, name: str):
        if name not in self.open:
            channel = self.channels[name]
            session = getattr(channel, "session", None)
            self.open[name] = self.sessions.enter_context(session()) if session else channel
        return self.open[name]


@dataclass
class Outcome:
    status: str
    channel: str | None = None
    error: str | None = None
    send_after: datetime | None = None
    retry: bool = False  # an attempt failed
    permanent: bool = False  # …and retrying cannot help


@dataclass
class _Job:
    """A claimed message (its row, as read when claimed) and what sending it needs."""

    row: dict
    site: dict | None
    desk_email: str | None
    desk_language: str | None
    labels: dict
    # Messages sent today by recipient, shared by the batch: the daily cap counts
    # those sent earlier in the batch too.
    sent_today: dict = field(repr=False)
    zone: object = field(repr=False, default=None)

    @property
    def id(self) -> int:
        return self.row["id"]

    @property
    def recipient(self) -> str:
        return self.row["recipient"]

    @property
    def purpose(self) -> str:
        return self.row["purpose"]

    @property
    def resident_id(self) -> int | None:
        return self.row["resident_id"]

    @property
    def context(self) -> dict:
        return self.row["context"]

    @property
    def to_resident(self) -> bool:
        return self.row["resident_id"] is not None and self.row["recipient"].startswith("resident:")

    @property
    def reference(self) -> str:
        """The Message-ID (and SMS reference): the same on every attempt of this row."""
        return f"{self.row['id']}.{self.row['event_id']}.{self.row['step']}@partanum"

    def render_context(self, now: datetime, **extra) -> dict:
        """What texts.render needs (texts.CONTEXT_KEYS): the message's own context, the
        site's name, address and hours, the device's name, and what the caller adds
        (a resident's name for staff, read at send time and not kept)."""
        context = dict(self.context)
        site = self.site or {}
        due_at = context.get("due_at")
        context.update(
            item_label=self.labels.get(context.get("item_id")) or _unnamed(context.get("item_id")),
            replacement_label=(
                self.labels.get(context.get("replacement_item_id"))
                or _unnamed(context.get("replacement_item_id"))
            ),
            site_name=site.get("name"),
            site_address=site.get("address"),
            site_hours=site.get("opening_hours"),
            time_zone=str(self.zone),
            overdue_level=context.get("level"),
            days_overdue=(now - datetime.fromisoformat(due_at)).days if due_at else None,
            quantity=context.get("item_count"),
            change=context.get("reason"),
            failed_purpose=context.get("purpose"),
            told_purpose=context.get("tell"),
            since_at=context.get("since"),
        )
        context.update(extra)
        return context


def _unnamed(item_id) -> str | None:
    return None if item_id is None else f"n° {item_id}"


def claim(db, now: datetime, settings: Settings, limit: int = BATCH) -> list[_Job]:
    """Mark due messages as being sent and read what sending them needs, committed
    before anything is sent."""
    with db.transaction() as tx:
        due = (
            select(messages.c.id)
            .where(messages.c.status == PENDING, messages.c.send_after <= now)
            .order_by(messages.c.send_after, messages.c.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        # One statement: the due rows, locked (skipping those another sender holds),
        # set to sending and read back.
        claimed = (
            tx.session.execute(
                update(messages)
                .where(messages.c.id.in_(due.scalar_subquery()))
                .values(status=SENDING, updated_at=now)
                .returning(*messages.c)
            )
            .mappings()
            .all()
        )
        if not claimed:
            return []
        rows = sorted(
            (dict(row) for row in claimed), key=lambda row: (row["send_after"], row["id"])
        )
        jobs = _jobs(tx.session, rows, now, settings)
        tx.commit()
        return jobs


def _jobs(session, rows: list[dict], now: datetime, settings: Settings) -> list[_Job]:
    """What the batch's messages need, in one query per table rather than per message."""
    site_ids = {row["context"].get("site_id") for row in rows} - {None}
    # A desk's own address matters only for messages to that desk.
    partner_ids = {row["partner_id"] for row in rows if row["resident_id"] is None} - {None}
    item_ids = {
        row["context"].get(key) for row in rows for key in ("item_id", "replacement_item_id")
    } - {None}
    recipients = {row["recipient"] for row in rows if row["resident_id"] is not None}
    sites = (
        {
            site.id: site
            for site in session.execute(select(Site.__table__).where(Site.id.in_(site_ids)))
        }
        if site_ids
        else {}
    )
    desks = (
        {
            desk.partner_id: desk
            for desk in session.execute(
                select(PartnerContact.__table__).where(PartnerContact.partner_id.in_(partner_ids))
            )
        }
        if partner_ids
        else {}
    )
    labels = (
        dict(session.execute(select(Item.id, Item.label).where(Item.id.in_(item_ids))).all())
        if item_ids
        else {}
    )
    sent_today = (
        dict(
            session.execute(
                select(messages.c.recipient, func.count(messages.c.id))
                .where(
                    messages.c.recipient.in_(recipients),
                    messages.c.status == SENT,
                    messages.c.sent_at >= domain.start_of_day(now, settings.zone),
                )
                .group_by(messages.c.recipient)
            ).all()
        )
        if recipients
        else {}
    )
    jobs = []
    for row in rows:
        site = sites.get(row["context"].get("site_id"))
        desk = desks.get(row["partner_id"])
        jobs.append(
            _Job(
                row=row,
                site={
                    "name": site.name,
                    "address": site.address,
                    "opening_hours": site.opening_hours,
                    "closures": site.closures,
                    "code": site.code,
                }
                if site
                else None,
                desk_email=desk.email if desk else None,
                desk_language=desk.language if desk else None,
                labels=labels,
                sent_today=sent_today,
                zone=settings.zone,
            )
        )
    return jobs


def recover(db, now: datetime) -> int:
    """Put back what a previous process claimed and may not have sent: it is sent
    again, with the same Message-ID or SMS reference."""
    with db.transaction() as tx:
        result = tx.session.execute(
            update(messages)
            .where(messages.c.status == SENDING)
            .values(status=PENDING, updated_at=now)
        )
        tx.commit()
        return result.rowcount


_MARK = (
    update(messages)
    .where(messages.c.id == bindparam("b_id"), messages.c.status == SENDING)
    .values(
        status=bindparam("b_status"),
        channel=bindparam("b_channel"),
        attempts=bindparam("b_attempts"),
        last_error=bindparam("b_last_error"),
        send_after=bindparam("b_send_after"),
        sent_at=bindparam("b_sent_at"),
        updated_at=bindparam("b_updated_at"),
    )
)


def mark(session, outcomes: list[tuple[_Job, Outcome]], now: datetime, settings: Settings) -> None:
    """Record how sending the batch went; plan what it calls for (a call task, an
    undeliverable notice) and list the desks' messages as notices. The messages
    sent, most of a batch, are marked by one statement per channel."""
    if not outcomes:
        return
    sent: dict[str, list[int]] = {}
    changes, after = [], []
    for job, outcome in outcomes:
        row = _outcome(job.row, outcome, now, settings)
        if outcome.status == SENT and not outcome.retry:
            sent.setdefault(row["channel"], []).append(row["id"])
        else:
            changes.append(
                {
                    f"b_{key}": row[key]
                    for key in (
                        "id",
                        "status",
                        "channel",
                        "attempts",
                        "last_error",
                        "send_after",
                        "sent_at",
                    )
                }
                | {"b_updated_at": now}
            )
        after.append((row, outcome))
    for channel, ids in sent.items():
        session.execute(
            update(messages)
            .where(messages.c.id.in_(ids), messages.c.status == SENDING)
            .values(
                status=SENT,
                channel=channel,
                sent_at=now,
                last_error=None,
                attempts=messages.c.attempts + 1,
                updated_at=now,
            )
        )
    if changes:
        session.execute(_MARK, changes)
    for row, outcome in after:
        if outcome.status == CALL_TASK and not outcome.retry:
            _to_desk(
                session,
                row,
                "call_to_tell",
                now,
                {
                    **row["context"],
                    "resident_id": row["resident_id"],
                    "tell": row["purpose"],
                    "since": row["send_after"].isoformat(),
                },
            )
        elif row["status"] == FAILED and row["recipient"].startswith("resident:"):
            _to_desk(
                session,
                row,
                "undeliverable",
                now,
                {
                    **row["context"],
                    "resident_id": row["resident_id"],
                    "purpose": row["purpose"],
                    "message_id": row["id"],
                },
            )
        if row["recipient"].startswith("partner:") and row["status"] in (SENT, FAILED):
            _notice(session, row, now)


def _outcome(row: dict, outcome: Outcome, now: datetime, settings: Settings) -> dict:
    """The message's row once `outcome` is recorded."""
    row = dict(row, channel=outcome.channel or row["channel"])
    if outcome.retry:
        row["attempts"] += 1
        row["last_error"] = outcome.error
        if outcome.permanent or row["attempts"] >= settings.max_attempts:
            row["status"] = FAILED
        else:
            row["status"] = PENDING
            row["send_after"] = now + domain.retry_delay(row["attempts"], settings.retry_base_delay)
    elif outcome.status == SENT:
        row.update(status=SENT, sent_at=now, last_error=None, attempts=row["attempts"] + 1)
    elif outcome.status == PENDING:  # quiet hours
        row.update(status=PENDING, send_after=outcome.send_after)
    elif outcome.status == CALL_TASK:
        row["status"] = CALL_TASK
    else:  # capped, cancelled
        row.update(status=outcome.status, last_error=outcome.error)
    return row


def _to_desk(session, message: dict, purpose: str, now: datetime, context: dict) -> None:
    """A staff message following `message` (a call task, an undeliverable notice)."""
    exists = session.scalar(
        select(messages.c.id).where(
            messages.c.event_id == message["event_id"],
            messages.c.purpose == purpose,
            messages.c.step == message["id"],
        )
    )
    if exists:
        return
    partner_id = message["partner_id"]
    session.execute(
        insert(messages).values(
            event_id=message["event_id"],
            recipient=f"partner:{partner_id}" if partner_id is not None else "partner:unknown",
            purpose=purpose,
            step=message["id"],
            resident_id=None,
            partner_id=partner_id,
            loan_id=message["loan_id"],
            reservation_id=message["reservation_id"],
            context=context,
            status=PENDING,
            send_after=now,
            attempts=0,
            created_at=now,
            updated_at=now,
        )
    )


def _notice(session, message: dict, now: datetime) -> None:
    if session.scalar(select(StaffNotice.id).where(StaffNotice.message_id == message["id"])):
        return
    session.execute(
        insert(StaffNotice.__table__).values(
            partner_id=message["partner_id"],
            kind=message["purpose"],
            resident_id=message["context"].get("resident_id"),
            loan_id=message["loan_id"],
            reservation_id=message["reservation_id"],
            message_id=message["id"],
            context=message["context"],
            created_at=now,
        )
    )

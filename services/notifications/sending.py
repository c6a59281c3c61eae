"""The sender: claims the messages that are due, sends each, records the outcome.

Three short transactions per message, none held while a server is waited for:

1. claim: due rows go from pending to sending, committed;
2. send, outside any transaction: the contact details are asked of the booking
   service now (never stored), the text rendered in the recipient's language, the
   channels tried in the resident's order of preference;
3. mark: sent (or postponed, capped, retried later, failed), committed.

A crash between 2 and 3 leaves the row in sending; the next process sends it again
(`recover`) with the same Message-ID or SMS reference, which is derived from the
row. So a message is never lost, but the server may receive it twice: mail
clients show one message per Message-ID, and gateways that honour a client
reference drop the copy; a gateway that does not would deliver a second SMS.
Run one notifications process per database, as with the outbox relay.
"""
import logging
from dataclasses import dataclass, field
from datetime import datetime, timezone

from sqlalchemy import func, select, update

from partanum.errors import NotFound
from services.notifications import domain, texts
from services.notifications.channels import DeliveryFailed, Email, Sms
from services.notifications.models import (
    CALL_TASK, CANCELLED, CAPPED, FAILED, PENDING, SENDING, SENT, Item, Message, PartnerContact, Site,
    StaffNotice,
)
from services.notifications.settings import Settings

log = logging.getLogger(__name__)

BATCH = 50


def now_utc() -> datetime:
    return datetime.now(timezone.utc)


@dataclass
class Sender:
    """What sending needs from outside: the UnitOfWork (`db`), the channels by name
    ({"email": …, "sms": …}), `contacts(resident_id)` (the booking's
    contact_details RPC), the texts' `render` and a clock."""

    db: object
    settings: Settings
    channels: dict
    contacts: object
    render: object = None  # texts.render, looked up when sending
    clock: object = now_utc

    def send_due(self, ids=None, limit: int = BATCH) -> int:
        """Send what is due (of `ids` only, if given), and what sending it planned
        (a call task, an undeliverable notice); return how many were handled."""
        handled = 0
        while True:
            claimed = claim(self.db, self.clock(), ids, limit)
            if not claimed:
                return handled
            follow_ups = []
            for message_id in claimed:
                follow_ups += self.send_one(message_id)
            handled += len(claimed)
            if ids is not None:
                if not follow_ups:
                    return handled
                ids = follow_ups

    def send_one(self, message_id: int) -> list[int]:
        with self.db.transaction() as tx:
            message = tx.session.get(Message, message_id)
            if message is None or message.status != SENDING:
                return []
            job = _Job.of(tx.session, message, self.clock(), self.settings)
        try:
            outcome = self._deliver(job)
        except Exception as error:  # noqa: BLE001 -- a bug or a service away: retry later
            log.exception("sending message %s failed", message_id)
            outcome = Outcome(PENDING, error=f"{type(error).__name__}", retry=True)
        with self.db.transaction() as tx:
            created = apply(tx.session, message_id, outcome, self.clock(), self.settings)
            tx.commit()
        return created

    def _render(self, purpose, language, context):
        return (self.render or texts.render)(purpose, language, context)

    # --- one message -----------------------------------------------------------------------

    def _deliver(self, job: "_Job") -> "Outcome":
        if job.resident_id is not None and job.recipient.startswith("resident:"):
            return self._to_resident(job)
        return self._to_desk(job)

    def _to_resident(self, job) -> "Outcome":
        try:
            contact = self.contacts(job.resident_id)
        except NotFound:
            return Outcome(CANCELLED, error="resident erased")
        if job.sent_today >= self.settings.max_per_day:
            return Outcome(CAPPED, error=f"{self.settings.max_per_day} messages already today")
        order = domain.channel_order(contact.get("channel"), contact.get("phone"),
                                     contact.get("email"))
        if not order:
            return Outcome(CALL_TASK, channel="none")
        now = self.clock()
        s = self.settings
        if domain.is_quiet(now, s.zone, s.quiet_from, s.quiet_until):
            if order[0] == "sms":
                return Outcome(PENDING, send_after=domain.quiet_ends(now, s.zone, s.quiet_until))
            order = [channel for channel in order if channel != "sms"]
        language = contact.get("language") or texts.DEFAULT_LANGUAGE
        rendered = self._render(job.purpose, language,
                               job.render_context(self.clock()))
        addresses = {"email": contact.get("email"), "sms": contact.get("phone")}
        return self._try(job, rendered, [(channel, addresses[channel]) for channel in order])

    def _to_desk(self, job) -> "Outcome":
        if not job.desk_email:
            return Outcome(SENT, channel="desk")  # listed by staff_notices only
        resident_id = job.context.get("resident_id")
        name = None
        if resident_id is not None:
            try:
                name = self.contacts(resident_id).get("display_name")
            except NotFound:
                pass  # erased: the id is shown instead
        rendered = self._render(job.purpose, job.desk_language or texts.DEFAULT_LANGUAGE,
                               job.render_context(self.clock(), resident_display_name=name))
        return self._try(job, rendered, [("email", job.desk_email)])

    def _try(self, job, rendered, routes) -> "Outcome":
        failures = []
        for channel, address in routes:
            if channel == "email":
                outgoing = Email(to=address, subject=rendered.subject, text=rendered.text,
                                 html=rendered.html, message_id=job.reference)
            else:
                outgoing = Sms(to=address, text=rendered.sms, reference=job.reference)
            try:
                self.channels[channel].send(outgoing)
            except DeliveryFailed as failure:
                failures.append((channel, failure))
                continue
            return Outcome(SENT, channel=channel)
        error = "; ".join(f"{channel}: {failure.reason}" for channel, failure in failures)
        permanent = all(failure.permanent for _, failure in failures)
        return Outcome(PENDING, channel=routes[-1][0] if routes else None, error=error,
                       retry=True, permanent=permanent)


@dataclass
class Outcome:
    status: str
    channel: str | None = None
    error: str | None = None
    send_after: datetime | None = None
    retry: bool = False        # an attempt failed
    permanent: bool = False    # …and retrying cannot help


@dataclass
class _Job:
    """A claimed message and what sending it needs, read in one short transaction."""

    id: int
    recipient: str
    purpose: str
    resident_id: int | None
    reference: str
    context: dict
    site: dict | None
    desk_email: str | None
    desk_language: str | None
    sent_today: int
    labels: dict = field(default_factory=dict)
    zone: object = field(repr=False, default=None)

    @classmethod
    def of(cls, session, message: Message, now: datetime, settings: Settings) -> "_Job":
        site = session.get(Site, message.context.get("site_id")) if message.context.get("site_id") else None
        desk = session.get(PartnerContact, message.partner_id) if message.partner_id else None
        sent_today = 0
        if message.resident_id is not None:
            sent_today = session.scalar(select(func.count(Message.id)).where(
                Message.resident_id == message.resident_id,
                Message.recipient == message.recipient,
                Message.status == SENT,
                Message.sent_at >= domain.start_of_day(now, settings.zone)))
        item_ids = [message.context.get(key) for key in ("item_id", "replacement_item_id")]
        labels = {item.id: item.label for item in session.scalars(
            select(Item).where(Item.id.in_([i for i in item_ids if i is not None])))}
        return cls(
            id=message.id, recipient=message.recipient, purpose=message.purpose,
            resident_id=message.resident_id, reference=message.reference,
            context=dict(message.context),
            site={"name": site.name, "address": site.address, "opening_hours": site.opening_hours,
                  "closures": site.closures, "code": site.code} if site else None,
            desk_email=desk.email if desk else None, desk_language=desk.language if desk else None,
            sent_today=sent_today, labels=labels, zone=settings.zone,
        )

    def render_context(self, now: datetime, **extra) -> dict:
        """What texts.render needs (texts.CONTEXT_KEYS): the message's own context, the
        site's name, address and hours, the device's name, and what the caller adds
        (a resident's name for staff, read at send time and not kept)."""
        context = dict(self.context)
        site = self.site or {}
        due_at = context.get("due_at")
        context.update(
            item_label=self.labels.get(context.get("item_id")) or _unnamed(context.get("item_id")),
            replacement_label=(self.labels.get(context.get("replacement_item_id"))
                               or _unnamed(context.get("replacement_item_id"))),
            site_name=site.get("name"), site_address=site.get("address"),
            site_hours=site.get("opening_hours"), time_zone=str(self.zone),
            overdue_level=context.get("level"),
            days_overdue=(now - datetime.fromisoformat(due_at)).days if due_at else None,
            quantity=context.get("item_count"), change=context.get("reason"),
            failed_purpose=context.get("purpose"),
        )
        context.update(extra)
        return context


def _unnamed(item_id) -> str | None:
    return None if item_id is None else f"n° {item_id}"


def claim(db, now: datetime, ids=None, limit: int = BATCH) -> list[int]:
    """Mark due messages as being sent, committed before anything is sent."""
    with db.transaction() as tx:
        query = (select(Message.id)
                 .where(Message.status == PENDING, Message.send_after <= now)
                 .order_by(Message.send_after, Message.id).limit(limit)
                 .with_for_update(skip_locked=True))
        if ids is not None:
            query = query.where(Message.id.in_(ids))
        claimed = list(tx.session.scalars(query))
        if claimed:
            tx.session.execute(update(Message).where(Message.id.in_(claimed))
                               .values(status=SENDING, updated_at=now))
            tx.commit()
        return claimed


def recover(db, now: datetime) -> int:
    """Put back what a previous process claimed and may not have sent: it is sent
    again, with the same Message-ID or SMS reference."""
    with db.transaction() as tx:
        result = tx.session.execute(update(Message).where(Message.status == SENDING)
                                    .values(status=PENDING, updated_at=now))
        tx.commit()
        return result.rowcount


def apply(session, message_id: int, outcome: Outcome, now: datetime, settings: Settings) -> list[int]:
    """Record how sending went; return the ids of the messages that it planned."""
    message = session.get(Message, message_id)
    if message is None or message.status != SENDING:
        return []
    message.updated_at = now
    message.channel = outcome.channel or message.channel
    created = []
    if outcome.retry:
        message.attempts += 1
        message.last_error = outcome.error
        if outcome.permanent or message.attempts >= settings.max_attempts:
            message.status = FAILED
            created += _undeliverable(session, message, now)
        else:
            message.status = PENDING
            message.send_after = now + domain.retry_delay(message.attempts, settings.retry_base_delay)
    elif outcome.status == SENT:
        message.status, message.sent_at, message.last_error = SENT, now, None
        message.attempts += 1
    elif outcome.status == CALL_TASK:
        message.status = CALL_TASK
        created += _to_desk(session, message, "call_resident", now,
                            {**message.context, "resident_id": message.resident_id,
                             "tell": message.purpose})
    elif outcome.status == PENDING:  # quiet hours
        message.status, message.send_after = PENDING, outcome.send_after
    else:  # capped, cancelled
        message.status, message.last_error = outcome.status, outcome.error
    if message.recipient.startswith("partner:") and message.status in (SENT, FAILED):
        _notice(session, message, now)
    session.flush()
    return created


def _to_desk(session, message: Message, purpose: str, now: datetime, context: dict) -> list[int]:
    """A staff message following `message` (a call task, an undeliverable notice)."""
    exists = session.scalar(select(Message.id).where(
        Message.event_id == message.event_id, Message.purpose == purpose,
        Message.step == message.id))
    if exists:
        return []
    partner_id = message.partner_id
    follow_up = Message(
        event_id=message.event_id,
        recipient=f"partner:{partner_id}" if partner_id is not None else "partner:unknown",
        purpose=purpose, step=message.id, resident_id=None, partner_id=partner_id,
        loan_id=message.loan_id, reservation_id=message.reservation_id,
        context=context, status=PENDING, send_after=now, attempts=0, created_at=now,
        updated_at=now)
    session.add(follow_up)
    session.flush()
    return [follow_up.id]


def _undeliverable(session, message: Message, now: datetime) -> list[int]:
    if not message.recipient.startswith("resident:"):
        return []  # a desk's own email failing: its notice is listed anyway
    return _to_desk(session, message, "undeliverable", now,
                    {**message.context, "resident_id": message.resident_id,
                     "purpose": message.purpose, "message_id": message.id})


def _notice(session, message: Message, now: datetime) -> None:
    if session.scalar(select(StaffNotice.id).where(StaffNotice.message_id == message.id)):
        return
    session.add(StaffNotice(
        partner_id=message.partner_id, kind=message.purpose,
        resident_id=message.context.get("resident_id"), loan_id=message.loan_id,
        reservation_id=message.reservation_id, message_id=message.id,
        context=message.context, created_at=now))

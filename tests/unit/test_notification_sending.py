"""The sender over a real SQLite file, with channels, contacts and texts as small
fakes honouring their interfaces: one message per (event, recipient, purpose), a
crash mid-send resends with the same Message-ID, quiet hours, the daily cap,
fallback, "none" as a call task, retries then failure shown to staff."""

import uuid
from dataclasses import replace
from datetime import datetime, time, timedelta
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from partanum import inbox
from partanum.events import Event, require
from services.booking import events as booking_events
from services.notifications import intents, sending
from services.notifications.channels import DeliveryFailed
from services.notifications.models import Message, Site, StaffNotice
from services.notifications.settings import Settings
from services.notifications.texts import Rendered

require(booking_events)

PARIS = ZoneInfo("Europe/Paris")
NOON = datetime(2026, 12, 1, 12, tzinfo=PARIS)
SETTINGS = Settings(
    zone=PARIS,
    quiet_from=time(21),
    quiet_until=time(8),
    max_per_day=5,
    call_after_days=7,
    max_attempts=3,
    retry_base_delay=timedelta(seconds=60),
)


class FakeChannel:
    def __init__(self, fail=None):
        self.sent, self.fail = [], fail

    def send(self, outgoing):
        if self.fail:
            raise self.fail
        self.sent.append(outgoing)


class Clock:
    def __init__(self, now):
        self.now = now

    def __call__(self):
        return self.now


def render(purpose, language, context):
    return Rendered(subject=f"{purpose}/{language}", text="t", html="<p>t</p>", sms=f"{purpose}")


@pytest.fixture
def db(sqlite_unit_of_work):
    return sqlite_unit_of_work("notifications", actor="test")[0]


@pytest.fixture
def world(db):
    residents = {
        42: {
            "resident_id": 42,
            "display_name": "Amina B.",
            "phone": "0612345678",
            "email": "amina@example.org",
            "language": "ar",
            "channel": "sms",
        }
    }

    def contacts(resident_ids):
        contacts.asked.append(list(resident_ids))
        return {key: residents[key] for key in resident_ids if key in residents}

    contacts.asked = []

    clock = Clock(NOON)
    channels = {"email": FakeChannel(), "sms": FakeChannel()}
    sender = sending.Sender(db, SETTINGS, channels, contacts, render=render, clock=clock)
    return SimpleNamespace(
        sender=sender, residents=residents, channels=channels, clock=clock, contacts=contacts
    )


def event(event_type, **data):
    return Event(
        id=uuid.uuid4(),
        type=event_type,
        version=1,
        occurred_at=NOON,
        producer="booking",
        actor="staff:1",
        data=data,
    )


def checked_out(loan_id=7, resident_id=42, due_in_days=14):
    return event(
        "booking.loan_checked_out",
        loan_id=loan_id,
        item_id=3,
        resident_id=resident_id,
        site_id=1,
        due_at=NOON + timedelta(days=due_in_days),
        overridden=False,
    )


def deliver(db, sender, the_event):
    """As the handler does: intents recorded with the inbox, then what is due sent."""
    with db.transaction() as tx:
        planned = []
        if inbox.first_delivery(tx.session, "notifications.on_event", the_event):
            planned = intents.record(tx, the_event, sender.clock(), SETTINGS)
        tx.commit()
    if any(m["send_after"] <= sender.clock() for m in planned):
        sender.send_due()


def messages(db, **where):
    with db.transaction() as tx:
        query = select(Message).order_by(Message.id)
        for key, value in where.items():
            query = query.where(getattr(Message, key) == value)
        return list(tx.session.scalars(query))


def test_a_loan_delivered_twice_is_confirmed_once_and_reminders_wait(world, db):
    sender, channels = world.sender, world.channels
    loan = checked_out()
    deliver(db, sender, loan)
    deliver(db, sender, loan)
    assert [sms.text for sms in channels["sms"].sent] == ["loan_confirmed"]
    assert [(m.purpose, m.step, m.status) for m in messages(db)] == [
        ("loan_confirmed", 0, "sent"),
        ("due_soon", 2, "pending"),
        ("due_soon", 1, "pending"),
    ]


def test_a_crash_after_the_claim_resends_with_the_same_reference(world, db):
    sender, channels, clock = world.sender, world.channels, world.clock
    with db.transaction() as tx:
        intents.record(tx, checked_out(), clock(), SETTINGS)
        tx.commit()
    [claimed] = sending.claim(db, clock(), SETTINGS)  # then the process dies before sending
    assert sending.recover(db, clock()) == 1
    sender.send_due()
    sender.send_due()
    [sms] = channels["sms"].sent
    [message] = messages(db, id=claimed.id)
    assert (message.status, sms.reference) == ("sent", message.reference)


def test_renewal_moves_the_reminders_and_return_cancels_them(world, db):
    sender, channels = world.sender, world.channels
    deliver(db, sender, checked_out())
    deliver(
        db,
        sender,
        event(
            "booking.loan_renewed",
            loan_id=7,
            item_id=3,
            resident_id=42,
            due_at=NOON + timedelta(days=28),
            renewals=1,
        ),
    )
    pending = messages(db, purpose="due_soon", status="pending")
    assert sorted(m.send_after.date() for m in pending) == [
        (NOON + timedelta(days=26)).date(),
        (NOON + timedelta(days=27)).date(),
    ]
    deliver(
        db,
        sender,
        event(
            "booking.loan_checked_in",
            loan_id=7,
            item_id=3,
            resident_id=42,
            condition="good",
            missing_accessories=[],
        ),
    )
    assert messages(db, purpose="due_soon", status="pending") == []
    assert [sms.text for sms in channels["sms"].sent] == ["loan_confirmed", "return_confirmed"]


def test_no_sms_at_night_it_waits_for_the_morning(world, db):
    sender, channels, clock = world.sender, world.channels, world.clock
    clock.now = datetime(2026, 12, 1, 22, tzinfo=PARIS)
    deliver(db, sender, checked_out())
    assert channels["sms"].sent == []
    [confirmation] = messages(db, purpose="loan_confirmed")
    assert (confirmation.status, confirmation.send_after) == (
        "pending",
        datetime(2026, 12, 2, 8, tzinfo=PARIS),
    )
    clock.now = datetime(2026, 12, 2, 8, 0, 1, tzinfo=PARIS)
    sender.send_due()
    assert [sms.text for sms in channels["sms"].sent] == ["loan_confirmed"]


def test_beyond_the_daily_cap_messages_are_held_for_staff(world, db):
    sender, channels = world.sender, world.channels
    for loan_id in range(1, 8):
        deliver(db, sender, checked_out(loan_id=loan_id))
    assert len(channels["sms"].sent) == 5
    assert [m.loan_id for m in messages(db, status="capped")] == [6, 7]


def test_a_failed_sms_falls_back_to_email(world, db):
    sender, channels = world.sender, world.channels
    channels["sms"].fail = DeliveryFailed("gateway answered 400", permanent=True)
    deliver(db, sender, checked_out())
    [email] = channels["email"].sent
    [message] = messages(db, purpose="loan_confirmed")
    assert (message.status, message.channel, email.message_id) == (
        "sent",
        "email",
        message.reference,
    )


def test_a_resident_who_chose_no_channel_becomes_a_call_task(world, db):
    sender, residents, channels = world.sender, world.residents, world.channels
    residents[42]["channel"] = "none"
    with db.transaction() as tx:
        tx.session.execute(
            Message.__table__.insert().values(
                event_id=str(uuid.uuid4()),
                recipient="resident:42",
                purpose="hold_offered",
                step=0,
                resident_id=42,
                partner_id=2,
                context={},
                status="pending",
                send_after=NOON,
                attempts=0,
                created_at=NOON,
                updated_at=NOON,
            )
        )
        tx.commit()
    sender.send_due()
    assert channels["sms"].sent == channels["email"].sent == []
    [message] = messages(db, purpose="hold_offered")
    assert message.status == "call_task"
    with db.transaction() as tx:
        [notice] = tx.session.scalars(select(StaffNotice)).all()
    assert (notice.partner_id, notice.kind, notice.resident_id, notice.context["tell"]) == (
        2,
        "call_to_tell",
        42,
        "hold_offered",
    )


def test_a_send_failing_every_time_is_retried_then_failed_and_staff_told(world, db):
    sender, channels, clock = world.sender, world.channels, world.clock
    channels["sms"].fail = channels["email"].fail = DeliveryFailed("server down")
    deliver(db, sender, checked_out())
    [message] = messages(db, purpose="loan_confirmed")
    assert (message.status, message.attempts) == ("pending", 1)
    assert message.send_after == clock() + timedelta(seconds=60)
    for _ in range(2):
        clock.now += timedelta(hours=1)
        sender.send_due()
    [message] = messages(db, purpose="loan_confirmed")
    assert (message.status, message.attempts) == ("failed", 3)
    assert [m.status for m in messages(db, purpose="undeliverable")] == ["sent"]  # listed


def test_an_erased_resident_is_not_messaged(world, db):
    sender, residents, channels = world.sender, world.residents, world.channels
    del residents[42]
    deliver(db, sender, checked_out())
    assert channels["sms"].sent == []
    assert messages(db, purpose="loan_confirmed")[0].status == "cancelled"


def test_messages_due_together_ask_the_booking_once_and_the_daily_cap_counts_the_batch(world, db):
    sender, channels = world.sender, world.channels
    world.residents[43] = {
        "resident_id": 43,
        "display_name": "Malik",
        "phone": "0700000000",
        "email": None,
        "language": "fr",
        "channel": "sms",
    }
    with db.transaction() as tx:  # announced while the sender was away: due together
        for loan_id in range(1, 8):
            intents.record(
                tx,
                checked_out(loan_id=loan_id, resident_id=42 if loan_id < 7 else 43),
                world.clock(),
                SETTINGS,
            )
        tx.commit()
    sender.send_due()
    assert world.contacts.asked == [[42, 43]]
    assert len(channels["sms"].sent) == 6  # five for resident 42, the cap; one for 43
    assert [m.loan_id for m in messages(db, status="capped")] == [6]


def test_a_sender_finding_another_one_busy_leaves_it_the_work_and_it_looks_again():
    turn, runs = sending.Turn(), []

    def send():
        runs.append("send")
        if len(runs) == 1:  # a handler records a message meanwhile, and finds the sender busy
            turn.run(lambda: runs.append("a second sender"))

    turn.run(send)
    assert runs == ["send", "send"] and not turn.busy


# --- reminders follow the return site's hours ------------------------------------------------

EVERY_DAY = {
    day: [["09:00", "18:00"]]
    for day in ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
}
FRIDAY_AND_MONDAY = {"friday": [["09:00", "18:00"]], "monday": [["09:00", "18:00"]]}


def record_event(db, the_event, now):
    with db.transaction() as tx:
        if inbox.first_delivery(tx.session, "notifications.on_event", the_event):
            intents.record(tx, the_event, now, SETTINGS)
        tx.commit()


def site_event(event_type, hours, **extra):
    """A site's event, as the inventory sends it: the site's whole state."""
    return event(
        event_type,
        site_id=1,
        code="jean-vilar",
        name="Jean Vilar",
        address="",
        opening_hours=hours,
        closures=[],
        **extra,
    )


def reminder_days(db, status="pending"):
    return sorted(
        (m.step, m.send_after.astimezone(PARIS).date())
        for m in messages(db, purpose="due_soon", status=status)
    )


def test_when_the_return_sites_hours_change_its_pending_reminders_move_to_open_days(world, db):
    record_event(db, site_event("inventory.site_registered", EVERY_DAY, partner_id=2), NOON)
    deliver(db, world.sender, checked_out())  # due Tuesday 15 December
    [monday_reminder] = messages(db, purpose="due_soon", step=1)
    assert reminder_days(db) == [
        (1, NOON.date() + timedelta(days=13)),
        (2, NOON.date() + timedelta(days=12)),
    ]

    hours_changed = site_event("inventory.site_hours_changed", FRIDAY_AND_MONDAY)
    record_event(db, hours_changed, NOON)
    record_event(db, hours_changed, NOON)  # delivered twice: moved once

    friday, monday = NOON.date() + timedelta(days=10), NOON.date() + timedelta(days=13)
    assert reminder_days(db) == [(1, monday), (2, friday)]
    assert [m.id for m in messages(db, purpose="due_soon", step=1, status="pending")] == [
        monday_reminder.id
    ]  # not moved: the same message
    assert reminder_days(db, "cancelled") == [(2, NOON.date() + timedelta(days=12))]


def test_a_sites_older_hours_handled_late_do_not_move_the_reminders_back(world, db):
    record_event(db, site_event("inventory.site_registered", EVERY_DAY, partner_id=2), NOON)
    deliver(db, world.sender, checked_out())
    newer = replace(
        site_event("inventory.site_hours_changed", FRIDAY_AND_MONDAY),
        occurred_at=NOON + timedelta(minutes=20),
    )
    older = replace(
        site_event("inventory.site_hours_changed", EVERY_DAY),
        occurred_at=NOON + timedelta(minutes=10),
    )
    record_event(db, newer, NOON)
    record_event(db, older, NOON)  # retried, so delivered after the newer one

    friday, monday = NOON.date() + timedelta(days=10), NOON.date() + timedelta(days=13)
    assert reminder_days(db) == [(1, monday), (2, friday)]


def test_a_renamed_site_keeps_its_new_name_when_an_older_event_comes_late(world, db):
    record_event(db, site_event("inventory.site_registered", EVERY_DAY, partner_id=2), NOON)
    renamed = site_event("inventory.site_renamed", EVERY_DAY)
    renamed = replace(
        renamed,
        data={**renamed.data, "name": "Centre social Jean Vilar", "address": "3 place Jean XXIII"},
        occurred_at=NOON + timedelta(minutes=20),
    )
    older = replace(
        site_event("inventory.site_hours_changed", FRIDAY_AND_MONDAY),
        occurred_at=NOON + timedelta(minutes=10),
    )
    record_event(db, renamed, NOON)
    record_event(db, older, NOON)  # retried, so delivered after the rename

    with db.transaction() as tx:
        site = tx.session.get(Site, 1)
        assert (site.name, site.address) == ("Centre social Jean Vilar", "3 place Jean XXIII")
        assert site.opening_hours == EVERY_DAY  # the rename's state, the newest


def test_a_reminder_already_sent_is_not_sent_again_when_the_hours_change(world, db):
    record_event(db, site_event("inventory.site_registered", FRIDAY_AND_MONDAY, partner_id=2), NOON)
    deliver(db, world.sender, checked_out())
    friday, monday = NOON.date() + timedelta(days=10), NOON.date() + timedelta(days=13)
    assert reminder_days(db) == [(1, monday), (2, friday)]
    world.clock.now = datetime.combine(friday, time(10, 5), PARIS)
    world.sender.send_due()
    assert reminder_days(db, "sent") == [(2, friday)]

    # Step 2 would now come on Sunday.
    record_event(db, site_event("inventory.site_hours_changed", EVERY_DAY), world.clock())

    assert reminder_days(db, "sent") == [(2, friday)]
    assert reminder_days(db) == [(1, monday)]
    assert [sms.text for sms in world.channels["sms"].sent] == ["loan_confirmed", "due_soon"]

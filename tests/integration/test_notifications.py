"""Notifications through the running services, on both databases, with a real
local SMTP server and the SMS log: a loan confirmed once even if its event comes
twice, reminders on open days moved by a renewal and dropped on return, no SMS at
night, the daily cap, fallback to the other channel, and "none" as a call task."""

import json
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest

from partanum import migrate
from partanum.outbox import EventPublisher
from services.notifications import domain
from tests.integration.helpers import NO_QUIET_HOURS, call, lend, register
from tests.smtp_server import SmtpServer
from tests.waiting import wait_until

PARIS = ZoneInfo("Europe/Paris")


@pytest.fixture
def notify(container_factory, config_for, database_kind, new_database, tmp_path):
    """Start the notifications service (settings overridable) with its own database,
    a local SMTP server and the SMS log."""
    url = new_database(database_kind)
    migrate.upgrade("notifications", url)
    smtp = SmtpServer(tmp_path / "mail", refuse=["refused@example.org"]).start()
    sms_log = tmp_path / "sms.log"

    def start(**settings):
        from services.notifications.service import Service

        config = config_for(notifications=url)
        config.update(
            SMTP_HOST=smtp.host,
            SMTP_PORT=smtp.port,
            SMS_PROVIDER="log",
            SMS_LOG=str(sms_log),
            **{**NO_QUIET_HOURS, **settings},
        )
        container = container_factory(Service, config)
        container.start()
        return SimpleNamespace(container=container, smtp=smtp, sms_log=sms_log)

    yield start
    smtp.stop()


def sms_sent(path):
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def log_of(n, **query):
    return call(n.container, "delivery_log", query)


def wait_for_status(n, purpose, status, **query):
    return wait_until(
        lambda: [
            m for m in log_of(n, **query) if m["purpose"] == purpose and m["status"] == status
        ],
        what=f"{purpose} {status}",
    )


def test_a_loan_is_confirmed_once_even_if_its_event_comes_twice(desk, notify, events_seen):
    n = notify()
    listen = events_seen("booking.loan_checked_out")
    amina = register(desk, phone=None, email="amina@example.org", channel="email")
    loan = lend(desk, amina["id"])
    [checked_out] = listen.wait(1)
    [received] = n.smtp.wait_for(1)
    [confirmation] = wait_for_status(n, "loan_confirmed", "sent", resident_id=amina["id"])
    assert received.rcpt_tos == ["amina@example.org"]
    assert received.message["Message-ID"] == f"<{confirmation['reference']}>"

    EventPublisher(desk.booking.config["AMQP_URI"])(checked_out)  # delivered again
    other = register(
        desk,
        phone=None,
        email="malik@example.org",
        channel="email",
        card_number="RS-0043",
        display_name="Malik",
    )
    lend(desk, other["id"], tag="JV-LAP-002")
    n.smtp.wait_for(2)
    wait_for_status(n, "loan_confirmed", "sent", resident_id=other["id"])
    assert sorted(m.rcpt_tos[0] for m in n.smtp.messages()) == [
        "amina@example.org",
        "malik@example.org",
    ]
    assert "amina@example.org" not in json.dumps(log_of(n))  # ids, never contact details

    # Reminders wait in the log, on days the return site is open.
    site = call(desk.inventory, "get_site", "jean-vilar")
    reminders = [m for m in log_of(n, resident_id=amina["id"]) if m["purpose"] == "due_soon"]
    assert reminders and all(m["status"] == "pending" for m in reminders)
    for reminder in reminders:
        day = datetime.fromisoformat(reminder["send_after"]).astimezone(PARIS).date()
        closures = [[c["starts_on"], c["ends_on"]] for c in site["closures"]]
        assert domain.is_open_day(site["opening_hours"], closures, day)
        assert day < datetime.fromisoformat(loan["due_at"]).astimezone(PARIS).date()


def test_reminders_move_with_a_renewal_and_go_with_the_return(desk, notify):
    n = notify()
    amina = register(desk, phone=None, email="amina@example.org", channel="email")
    loan = lend(desk, amina["id"])
    wait_for_status(n, "loan_confirmed", "sent")
    first = {m["id"] for m in wait_for_status(n, "due_soon", "pending")}

    renewed = call(desk.booking, "renew_loan", loan["id"])
    moved = wait_until(
        lambda: [m for m in wait_for_status(n, "due_soon", "pending") if m["id"] not in first],
        what="reminders for the new due date",
    )
    assert {m["status"] for m in log_of(n) if m["id"] in first} == {"cancelled"}
    new_due = datetime.fromisoformat(renewed["due_at"]).astimezone(PARIS).date()
    assert all(
        datetime.fromisoformat(m["send_after"]).astimezone(PARIS).date() < new_due for m in moved
    )

    call(
        desk.booking,
        "check_in",
        {"asset_tag": "JV-LAP-001", "condition": "good", "accessories": ["chargeur"]},
    )
    wait_for_status(n, "return_confirmed", "sent")
    assert not [m for m in log_of(n) if m["purpose"] == "due_soon" and m["status"] == "pending"]
    assert len(n.smtp.wait_for(2)) == 2


def test_no_sms_at_night_and_no_more_than_the_daily_cap(desk, notify):
    local = datetime.now(PARIS)
    quiet = {
        "QUIET_FROM": (local - timedelta(hours=1)).strftime("%H:%M"),
        "QUIET_UNTIL": (local + timedelta(hours=1)).strftime("%H:%M"),
    }
    n = notify(MAX_MESSAGES_PER_DAY=1, **quiet)
    amina = register(desk)  # SMS, by default for a phone
    lend(desk, amina["id"])
    # Pending until it is tried, then put off until the morning.
    wait_until(
        lambda: [
            m
            for m in wait_for_status(n, "loan_confirmed", "pending")
            if datetime.fromisoformat(m["send_after"]) > datetime.now(UTC)
        ],
        what="the confirmation put off until quiet hours end",
    )
    assert sms_sent(n.sms_log) == []


def test_the_daily_cap_holds_messages_for_staff(desk, notify):
    n = notify(MAX_MESSAGES_PER_DAY=1)
    amina = register(desk)
    lend(desk, amina["id"])
    wait_for_status(n, "loan_confirmed", "sent")
    lend(desk, amina["id"], tag="JV-LAP-002")
    [held] = wait_for_status(n, "loan_confirmed", "capped")
    assert held["channel"] is None
    [sms] = sms_sent(n.sms_log)
    assert sms["to"].endswith("78") and "06" not in sms["to"]  # masked in the log


def test_a_refused_email_falls_back_to_sms_and_none_becomes_a_call_task(desk, notify):
    n = notify()
    amina = register(desk, email="refused@example.org", channel="email")
    lend(desk, amina["id"])
    [sent] = wait_for_status(n, "loan_confirmed", "sent", resident_id=amina["id"])
    assert sent["channel"] == "sms"
    assert [s["reference"] for s in sms_sent(n.sms_log)] == [sent["reference"]]

    malik = register(desk, card_number="RS-0043", display_name="Malik", channel="none")
    lend(desk, malik["id"], tag="JV-LAP-002")
    [told] = wait_for_status(n, "loan_confirmed", "call_task", resident_id=malik["id"])
    partner_id = told["partner_id"]
    notices = wait_until(
        lambda: call(n.container, "staff_notices", partner_id), what="a call task for the desk"
    )
    assert [(x["kind"], x["resident_id"], x["context"]["tell"]) for x in notices] == [
        ("call_to_tell", malik["id"], "loan_confirmed")
    ]


def test_reminders_move_to_open_days_when_the_return_sites_hours_change(desk, notify):
    n = notify()
    amina = register(desk, phone=None, email="amina@example.org", channel="email")
    loan = lend(desk, amina["id"])
    wait_for_status(n, "loan_confirmed", "sent")
    first = wait_for_status(n, "due_soon", "pending")

    def local_day(message):
        return datetime.fromisoformat(message["send_after"]).astimezone(PARIS).date()

    # The centre closes for the day of the last reminder before the due date.
    last = max(first, key=local_day)
    closed = local_day(last).isoformat()
    site = call(
        desk.inventory,
        "add_closure",
        "jean-vilar",
        {"starts_on": closed, "ends_on": closed, "reason": "Inventaire"},
    )

    wait_until(
        lambda: [m for m in log_of(n) if m["id"] == last["id"] and m["status"] == "cancelled"],
        what="the reminder on the closed day withdrawn",
    )
    reminders = [m for m in log_of(n, resident_id=amina["id"]) if m["purpose"] == "due_soon"]
    pending = [m for m in reminders if m["status"] == "pending"]
    assert pending and len({m["step"] for m in pending}) == len(pending)  # each reminder once
    due = datetime.fromisoformat(loan["due_at"]).astimezone(PARIS).date()
    closures = [[c["starts_on"], c["ends_on"]] for c in site["closures"]]
    for reminder in pending:
        assert domain.is_open_day(site["opening_hours"], closures, local_day(reminder))
        assert local_day(reminder) < due
    # What did not have to move stayed as it was.
    assert {m["id"] for m in first if m["id"] != last["id"]} <= {m["id"] for m in pending}

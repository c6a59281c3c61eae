"""The notifications service killed (SIGKILL) while it sends a batch of emails:
after a restart every message has reached the SMTP server, and none under two
Message-IDs. A message the server had accepted just before the kill may arrive a
second time with the same Message-ID, which mail clients show once (sending.py)."""

from datetime import UTC, datetime, timedelta

import pytest
from nameko.exceptions import UnknownService

from partanum import migrate
from partanum.events import make_event, require
from partanum.outbox import EventPublisher
from services.booking import events as booking_events
from tests.smtp_server import SmtpServer
from tests.waiting import wait_until

require(booking_events)

pytestmark = pytest.mark.slow
LOANS = 100


def wait_for_health(rpc, process):
    def answers():
        if process.process.poll() is not None:
            raise AssertionError(f"{process.name} exited:\n{process.log()}")
        try:
            return getattr(rpc, process.name).health()
        except UnknownService:
            return False

    wait_until(answers, timeout=30, what=f"{process.name} to serve")


def test_killed_mid_send_every_message_arrives_under_one_message_id(
    service_process, rpc, rabbit_config, new_database, tmp_path
):
    booking_db, notifications_db = new_database("postgresql"), new_database("postgresql")
    migrate.upgrade("booking", booking_db)
    migrate.upgrade("notifications", notifications_db)
    smtp = SmtpServer(tmp_path / "mail").start()
    try:
        booking = service_process("booking", booking_db).start()
        wait_for_health(rpc, booking)
        residents = [
            rpc.booking.register_resident(
                {
                    "display_name": f"R{n}",
                    "email": f"r{n}@example.org",
                    "channel": "email",
                    "consent": True,
                    "registered_by_partner_id": 1,
                }
            )
            for n in range(LOANS)
        ]
        # Loans announced while the notifications service is away: they wait in its queue.
        publish = EventPublisher(rabbit_config["AMQP_URI"])
        due = datetime.now(UTC) + timedelta(days=14)
        for n, resident in enumerate(residents):
            publish(
                make_event(
                    "booking.loan_checked_out",
                    {
                        "loan_id": n + 1,
                        "item_id": n + 1,
                        "resident_id": resident["id"],
                        "site_id": 1,
                        "due_at": due,
                        "overridden": False,
                    },
                    producer="booking",
                    actor="staff:e2e",
                )
            )

        env = {
            "PARTANUM_SMTP_HOST": smtp.host,
            "PARTANUM_SMTP_PORT": str(smtp.port),
            "PARTANUM_QUIET_FROM": "00:00",
            "PARTANUM_QUIET_UNTIL": "00:00",
            "PARTANUM_MAX_MESSAGES_PER_DAY": "5",
            "PARTANUM_SMS_LOG": str(tmp_path / "sms.log"),
        }
        notifications = service_process("notifications", notifications_db, **env).start()
        wait_until(
            lambda: len(list(smtp.directory.glob("*.json"))) >= 5,
            timeout=30,
            what="the first emails",
        )
        notifications.kill()
        received_before_the_kill = len(list(smtp.directory.glob("*.json")))
        assert received_before_the_kill < LOANS, "killed too late to test anything"

        notifications.start()
        wait_for_health(rpc, notifications)

        def all_sent():
            log = rpc.notifications.delivery_log({"limit": 5000})
            confirmations = [m for m in log if m["purpose"] == "loan_confirmed"]
            return (
                len(confirmations) == LOANS
                and all(m["status"] == "sent" for m in confirmations)
                and confirmations
            )

        confirmations = wait_until(all_sent, timeout=60, what="every confirmation sent")
        received = smtp.messages()
        ids = {message.message["Message-ID"] for message in received}
        assert ids == {f"<{m['reference']}>" for m in confirmations}  # none lost, one id each
        for resident in residents:  # each resident got their own message, not another's
            [mine] = [m for m in confirmations if m["resident_id"] == resident["id"]]
            assert {
                r.rcpt_tos[0]
                for r in received
                if r.message["Message-ID"] == f"<{mine['reference']}>"
            } == {f"r{residents.index(resident)}@example.org"}
    finally:
        smtp.stop()

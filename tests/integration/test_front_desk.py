"""The front desk through the running services, on both databases: residents
registered with the least personal data, devices lent, renewed, returned or
lost, overdue loans detected once, and the inventory following each device."""

from datetime import UTC, datetime, time, timedelta

import eventlet
import pytest
from sqlalchemy import text

from partanum.dependencies import Transaction
from partanum.errors import InvalidInput, NotFound
from services.booking import loans
from services.booking.exceptions import (
    CardNumberTaken,
    LoanNotActive,
    NotAvailable,
    NotLendable,
    OverdueLoanBlocks,
    RenewalRefused,
    TooManyLoans,
)
from tests.integration.helpers import (
    LAPTOPS,
    PARIS,
    call,
    database,
    lend,
    lock_waits,
    make_overdue,
    register,
)
from tests.waiting import wait_until


def outbox_count(desk, event_type):
    with desk.db.connect() as connection:
        return connection.execute(
            text("SELECT count(*) FROM outbox WHERE event_type = :t"), {"t": event_type}
        ).scalar()


# --- residents ------------------------------------------------------------------------------


def test_a_resident_is_found_by_id_or_card_and_announced_by_id_only(desk, events_seen):
    listen = events_seen("booking.resident_registered")

    amina = register(desk)

    assert amina["consent_at"] is not None and amina["channel"] == "sms"
    assert call(desk.booking, "get_resident", amina["id"]) == amina
    assert call(desk.booking, "get_resident", "RS-0042") == amina
    (event,) = listen.wait(1)
    assert event["data"] == {"resident_id": amina["id"], "partner_id": 1}


def test_a_card_number_belongs_to_one_resident(desk):
    register(desk)

    with pytest.raises(CardNumberTaken):
        register(desk, display_name="Someone else", phone="07 00 00 00 00")


def test_contact_details_follow_an_update_and_bad_changes_change_nothing(desk, events_seen):
    amina = register(desk)
    listen = events_seen("booking.resident_updated")

    with pytest.raises(InvalidInput) as refused:
        call(desk.booking, "update_resident", amina["id"], {"phone": None})  # sms needs a phone
    assert set(refused.value.fields) == {"phone", "email"}
    call(
        desk.booking,
        "update_resident",
        amina["id"],
        {"email": "amina@example.org", "channel": "email", "language": "fr"},
    )

    assert call(desk.booking, "contact_details", amina["id"]) == {
        "resident_id": amina["id"],
        "display_name": "Amina B.",
        "phone": "06 12 34 56 78",
        "email": "amina@example.org",
        "language": "fr",
        "channel": "email",
    }
    (event,) = listen.wait(1)
    assert event["data"] == {
        "resident_id": amina["id"],
        "changed": ["channel", "email", "language"],
    }
    with pytest.raises(NotFound):
        call(desk.booking, "contact_details", amina["id"] + 100)


def test_a_language_not_offered_is_refused_and_one_stored_before_reads_french(desk):
    with pytest.raises(InvalidInput) as refused:
        register(desk, language="es")
    assert set(refused.value.fields) == {"language"}

    amina = register(desk)
    with desk.db.begin() as connection:  # registered in Spanish when it was still accepted
        connection.execute(
            text("UPDATE residents SET language = 'es' WHERE id = :id"), {"id": amina["id"]}
        )
    resident = call(desk.booking, "get_resident", amina["id"])
    assert (resident["language"], resident["reads_in"]) == ("es", "fr")
    assert call(desk.booking, "contact_details", amina["id"])["language"] == "es"


def test_contact_details_of_several_residents_leave_out_the_unknown_and_the_erased(desk):
    amina = register(desk)
    malik = register(desk, card_number="RS-0043", display_name="Malik", phone="07 00 00 00 00")
    call(desk.booking, "erase_resident", malik["id"])

    details = call(
        desk.booking, "contact_details_many", [amina["id"], malik["id"], amina["id"] + 100]
    )

    assert details == [call(desk.booking, "contact_details", amina["id"])]
    with pytest.raises(InvalidInput):
        call(desk.booking, "contact_details_many", ["RS-0042"])


# --- check-out ------------------------------------------------------------------------------


def test_a_laptop_is_lent_until_closing_time_on_an_open_day_with_its_accessories(desk, events_seen):
    amina = register(desk)
    call(desk.booking, "set_category_policy", desk.category_id, {"loan_days": 7, "max_renewals": 1})
    listen = events_seen("booking.loan_checked_out")

    loan = lend(desk, amina["id"], accessories=["chargeur", "souris"])

    due = datetime.fromisoformat(loan["due_at"]).astimezone(PARIS)
    assert due.date() >= (datetime.now(PARIS) + timedelta(days=7)).date()
    assert due.strftime("%A %H:%M") in ("Monday 18:30", "Tuesday 18:30")  # Jean Vilar's hours
    assert loan["accessories_out"] == ["chargeur", "souris"] and loan["status"] == "active"
    (event,) = listen.wait(1)
    assert event["type"] == "booking.loan_checked_out"
    assert event["data"] == {
        "loan_id": loan["id"],
        "item_id": loan["item_id"],
        "resident_id": amina["id"],
        "site_id": loan["site_id"],
        "due_at": event["data"]["due_at"],
        "overridden": False,
    }
    assert datetime.fromisoformat(event["data"]["due_at"]) == due


def test_a_lent_laptop_is_not_lent_twice_and_the_refusal_counts_as_demand(desk, events_seen):
    unmet = events_seen("booking.demand_unmet")
    amina = register(desk)
    other = register(desk, card_number=None, display_name="Yusuf K.")
    lend(desk, amina["id"])

    with pytest.raises(NotLendable) as refused:
        lend(desk, other["id"])
    assert refused.value.details == {"asset_tag": "JV-LAP-001", "status": "on_loan"}
    (demand,) = unmet.wait(1)
    assert demand["data"]["quantity"] == 1 and demand["data"]["site_id"] is not None
    assert "resident" not in str(demand["data"])  # what, where, when; not who


def test_a_laptop_reserved_by_staff_before_its_due_date_is_not_lent_and_staff_hear_until_when(desk):
    amina = register(desk)
    call(desk.booking, "reserve", {**desk.tuesday, "partner_id": 1, "asset_tags": ["JV-LAP-002"]})

    with pytest.raises(NotAvailable) as refused:
        lend(desk, amina["id"], "JV-LAP-002")

    until = datetime.fromisoformat(refused.value.details["taken_until"])
    assert until == datetime.fromisoformat(desk.tuesday["ends_at"]) + timedelta(minutes=30)


def test_a_reserved_laptop_handed_over_replaces_the_reservations_hold(desk):
    amina = register(desk)
    reservation = call(
        desk.booking,
        "reserve",
        {**desk.tuesday, "partner_id": 1, "category_id": desk.category_id, "quantity": 1},
    )
    (reserved,) = reservation["asset_tags"]
    handed = next(tag for tag in LAPTOPS if tag != reserved)

    lend(desk, amina["id"], handed, reservation_id=reservation["id"])

    # The laptop held for the reservation is free again; the one handed over is not.
    free = call(desk.booking, "availability", desk.ask)["asset_tags"]
    assert reserved in free and handed not in free


def test_a_resident_borrows_at_most_two_devices_unless_staff_write_why(desk, events_seen):
    listen = events_seen("booking.loan_checked_out")
    amina = register(desk)
    lend(desk, amina["id"], "JV-LAP-001")
    lend(desk, amina["id"], "JV-LAP-002")

    with pytest.raises(TooManyLoans):
        lend(desk, amina["id"], "JV-LAP-003")
    loan = lend(desk, amina["id"], "JV-LAP-003", override_reason="formation de trois semaines")

    assert loan["override_reason"] == "formation de trois semaines"
    overridden = {e["data"]["loan_id"]: e["data"]["overridden"] for e in listen.wait(3)}
    assert overridden[loan["id"]] is True and sum(overridden.values()) == 1


def test_a_resident_with_an_overdue_loan_borrows_again_once_it_is_settled(desk):
    amina = register(desk)
    late = lend(desk, amina["id"], "JV-LAP-001")
    make_overdue(desk, late["id"])

    with pytest.raises(OverdueLoanBlocks):
        lend(desk, amina["id"], "JV-LAP-002")
    call(desk.booking, "declare_lost", late["id"])

    assert lend(desk, amina["id"], "JV-LAP-002")["status"] == "active"


def test_an_unknown_resident_or_device_is_refused_by_field(desk):
    with pytest.raises(InvalidInput) as refused:
        lend(desk, 999, "JV-LAP-999", accessories="chargeur")
    assert set(refused.value.fields) == {"accessories"}
    with pytest.raises(InvalidInput) as refused:
        lend(desk, 999)
    assert set(refused.value.fields) == {"resident_id"}


# --- renewal ---------------------------------------------------------------------------------


def test_a_renewal_moves_the_due_date_by_the_loan_days_onto_an_open_day(desk, events_seen):
    amina = register(desk)
    call(desk.booking, "set_category_policy", desk.category_id, {"loan_days": 7, "max_renewals": 1})
    loan = lend(desk, amina["id"])
    listen = events_seen("booking.loan_renewed")

    renewed = call(desk.booking, "renew_loan", loan["id"])

    before = datetime.fromisoformat(loan["due_at"])
    after = datetime.fromisoformat(renewed["due_at"])
    assert (
        after - before >= timedelta(days=7) and after.astimezone(PARIS).strftime("%H:%M") == "18:30"
    )
    assert renewed["renewals"] == 1
    (event,) = listen.wait(1)
    assert event["data"]["renewals"] == 1
    with pytest.raises(RenewalRefused, match="at most 1"):
        call(desk.booking, "renew_loan", loan["id"])


def test_a_loan_is_not_renewed_while_a_resident_waits_for_that_kind_of_device(desk):
    amina = register(desk)
    loan = lend(desk, amina["id"])
    with desk.db.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO waiting_entries (category_id, site_id, created_at, status) "
                "VALUES (:category, :site, :now, 'waiting')"
            ),
            {"category": desk.category_id, "site": loan["site_id"], "now": datetime.now(UTC)},
        )

    with pytest.raises(RenewalRefused, match="waiting"):
        call(desk.booking, "renew_loan", loan["id"])


def test_a_loan_is_not_renewed_over_a_later_reservation_of_the_same_laptop(desk):
    amina = register(desk)
    loan = lend(desk, amina["id"], "JV-LAP-001")
    due = datetime.fromisoformat(loan["due_at"]).astimezone(PARIS)
    days = (1 - due.weekday()) % 7 or 7  # the Tuesday after the due date
    starts = datetime.combine(due.date() + timedelta(days=days), time(14), tzinfo=PARIS)
    call(
        desk.booking,
        "reserve",
        {
            "partner_id": 1,
            "site": "jean-vilar",
            "asset_tags": ["JV-LAP-001"],
            "starts_at": starts.isoformat(),
            "ends_at": (starts + timedelta(hours=3)).isoformat(),
        },
    )

    with pytest.raises(RenewalRefused):
        call(desk.booking, "renew_loan", loan["id"])
    assert call(desk.booking, "get_loan", loan["id"])["due_at"] == loan["due_at"]


# --- check-in, loss, overdue -------------------------------------------------------------------


def test_a_returned_laptop_is_checked_for_condition_and_missing_accessories(desk, events_seen):
    amina = register(desk)
    loan = lend(desk, amina["id"], accessories=["chargeur", "souris"])
    listen = events_seen("booking.loan_checked_in")

    returned = call(
        desk.booking,
        "check_in",
        {"asset_tag": "JV-LAP-001", "condition": "fair", "accessories": ["chargeur"]},
    )

    assert returned["status"] == "returned" and returned["missing_accessories"] == ["souris"]
    (event,) = listen.wait(1)
    assert event["data"] == {
        "loan_id": loan["id"],
        "item_id": loan["item_id"],
        "resident_id": amina["id"],
        "condition": "fair",
        "missing_accessory_count": 1,
        "site_id": loan["return_site_id"],  # where it was taken back: it stands there now
    }  # named in staff's words on the loan only
    with pytest.raises(LoanNotActive):
        call(desk.booking, "check_in", {"asset_tag": "JV-LAP-001", "condition": "good"})


def test_an_overdue_loan_is_announced_once(desk, events_seen):
    amina = register(desk)
    loan = lend(desk, amina["id"])
    on_time = lend(desk, amina["id"], "JV-LAP-002")
    make_overdue(desk, loan["id"])
    listen = events_seen("booking.loan_overdue")

    call(desk.booking, "detect_overdue")
    call(desk.booking, "detect_overdue")

    (event,) = listen.wait(1)
    assert event["data"]["loan_id"] == loan["id"] and event["data"]["days_overdue"] == 3
    assert outbox_count(desk, "booking.loan_overdue") == 1
    assert call(desk.booking, "get_loan", loan["id"])["overdue_since"] is not None
    assert call(desk.booking, "get_loan", on_time["id"])["overdue_since"] is None


@pytest.mark.parametrize("database_kind", ["postgresql"])
def test_two_replicas_ticking_at_once_announce_an_overdue_loan_once(desk):
    """Every replica of the booking runs the overdue timer: the second tick, waiting
    for the first's lock on the loan, finds it marked and announces nothing. On
    PostgreSQL only: SQLite's writers never overlap (BEGIN IMMEDIATE), and its lock
    wait would block this process's hub."""
    amina = register(desk)
    loan = lend(desk, amina["id"])
    make_overdue(desk, loan["id"])
    provider = database(desk.booking)

    def tick() -> Transaction:
        return Transaction(provider.sessions(), "booking", "system", provider.relay_loop.wake)

    def other_replica():
        with tick() as tx:
            late = loans.detect_overdue(tx, datetime.now(UTC))
            tx.commit()
            return [each.id for each in late]

    with tick() as first:
        late = loans.detect_overdue(first, datetime.now(UTC))
        assert [each.id for each in late] == [loan["id"]]
        second = eventlet.spawn(other_replica)
        wait_until(lambda: lock_waits(desk.db) == 1, what="the second tick waiting for the lock")
        first.commit()

    assert second.wait() == []
    assert outbox_count(desk, "booking.loan_overdue") == 1


# --- the inventory follows the device -------------------------------------------------------------


def test_a_returned_laptop_cannot_be_lent_again_until_staff_record_its_wipe(desk):
    amina = register(desk)
    yusuf = register(desk, display_name="Yusuf K.", card_number="RS-0043")
    lend(desk, amina["id"], "JV-LAP-001")

    def inventory_status():
        return call(desk.inventory, "get_item", "JV-LAP-001")["status"]

    wait_until(lambda: inventory_status() == "on_loan", what="the inventory to see the loan")
    call(
        desk.booking,
        "check_in",
        {"asset_tag": "JV-LAP-001", "condition": "good", "accessories": []},
    )
    wait_until(
        lambda: inventory_status() == "awaiting_wipe", what="the inventory to see the return"
    )

    def refused_as_awaiting_wipe():
        try:
            lend(desk, yusuf["id"], "JV-LAP-001")
        except NotLendable as refused:
            return refused.details["status"] == "awaiting_wipe"
        raise AssertionError("lent before its wipe")

    wait_until(refused_as_awaiting_wipe, what="booking to see the laptop awaiting its wipe")
    call(desk.inventory, "record_wipe", "JV-LAP-001")

    def lent_again():
        try:
            return lend(desk, yusuf["id"], "JV-LAP-001")
        except NotLendable:
            return None

    assert (
        wait_until(lent_again, what="the wiped laptop to be lendable")["resident_id"] == yusuf["id"]
    )
    wait_until(lambda: inventory_status() == "on_loan", what="the inventory to see the second loan")
    history = call(desk.inventory, "item_history", "JV-LAP-001")
    assert [h["after"] for h in history] == ["on_loan", "awaiting_wipe", "available", "on_loan"]


def test_a_laptop_declared_lost_is_lost_in_the_inventory(desk, events_seen):
    amina = register(desk)
    loan = lend(desk, amina["id"])
    listen = events_seen("booking.loan_lost")

    call(desk.booking, "declare_lost", loan["id"])

    assert listen.wait(1)[0]["data"] == {
        "loan_id": loan["id"],
        "item_id": loan["item_id"],
        "resident_id": amina["id"],
    }
    wait_until(
        lambda: call(desk.inventory, "get_item", "JV-LAP-001")["status"] == "lost",
        what="the inventory to see the loss",
    )


def test_a_laptop_returned_at_once_waits_for_its_wipe_whatever_the_inventory_has_said_yet(desk):
    amina = register(desk)
    yusuf = register(desk, display_name="Yusuf K.", card_number="RS-0043")
    lend(desk, amina["id"], "JV-LAP-001")
    call(desk.booking, "check_in", {"asset_tag": "JV-LAP-001", "condition": "good"})

    with pytest.raises(NotLendable) as refused:
        lend(desk, yusuf["id"], "JV-LAP-001")
    assert refused.value.details["status"] == "awaiting_wipe"

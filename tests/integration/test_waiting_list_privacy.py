"""Waiting lists and residents' privacy through the running services, on both
databases: a device back on the shelf is held for the first in line and passes
to the next when nobody comes; an erased resident leaves no trace of their
name, phone or email anywhere in the booking's database."""

import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import MetaData, func, select, update

from partanum.config import secret_key
from partanum.errors import InvalidInput
from services.booking import privacy, settings, waiting_list
from services.booking.exceptions import AlreadyWaiting, NotAvailable, StillHoldsDevice
from services.booking.models import Item, Loan
from tests.integration.helpers import call, database, register_network, run_job, tablet
from tests.waiting import wait_until

AMINA = {
    "display_name": "Amina Benali",
    "phone": "06 12 34 56 78",
    "email": "amina.benali@example.org",
    "language": "ar",
    "channel": "sms",
    "consent": True,
    "card_number": "RS-0042",
    "registered_by_partner_id": 1,
}


@pytest.fixture
def network(inventory, booking):
    """Two tablets at Jean Vilar, both in booking's copy; yields (booking container,
    its engine, the tablets' category id)."""
    register_network(inventory)
    for tag in ("JV-TAB-001", "JV-TAB-002"):
        call(inventory, "register_item", tablet(tag))
    container, _url = booking
    # The service's own engine: on SQLite a second one in this process would wait for
    # the write lock in sqlite's busy handler, blocking the green threads that hold it.
    engine = database(container).engine

    def copied():
        with engine.connect() as connection:
            return connection.scalar(select(func.count()).select_from(Item)) == 2

    wait_until(copied, what="booking's copy of the inventory")
    category_id = call(inventory, "list_categories")[0]["id"]
    wait_until(lambda: _site_known(container, category_id), what="booking's copy of the site")
    return container, engine, category_id


def _site_known(container, category_id):
    try:
        return call(container, "waiting_list", {"category_id": category_id, "site": "jean-vilar"})
    except InvalidInput:
        return False


def resident(container, n):
    return call(
        container,
        "register_resident",
        {
            "display_name": f"Resident {n}",
            "phone": f"06 00 00 00 {n:02}",
            "consent": True,
            "registered_by_partner_id": 1,
        },
    )["id"]


def test_a_device_back_on_the_shelf_is_held_for_the_first_in_line_then_passes_on(
    inventory, network, events_seen
):
    container, engine, category_id = network
    line = {"category_id": category_id, "site": "jean-vilar"}
    for tag in ("JV-TAB-001", "JV-TAB-002"):
        call(inventory, "change_status", tag, {"status": "in_maintenance", "reason": "écran"})
    wait_until(lambda: not _holdable_left(engine), what="the tablets to leave the shelf")
    first, second = resident(container, 1), resident(container, 2)
    offered = events_seen("booking.hold_offered", "booking.hold_expired")

    joined = call(container, "join_waiting_list", {**line, "resident_id": first})
    call(container, "join_waiting_list", {**line, "resident_id": second})
    with pytest.raises(AlreadyWaiting):
        call(container, "join_waiting_list", {**line, "resident_id": first})
    queue = call(container, "waiting_list", line)
    assert (queue["waiting"], queue["held"]) == (2, 0)
    assert [(e["resident_id"], e["position"]) for e in queue["entries"]] == [
        (first, 1),
        (second, 2),
    ]
    assert set(queue["entries"][0]) == {
        "id",
        "resident_id",
        "category_id",
        "site_id",
        "created_at",
        "status",
        "held_item_id",
        "hold_expires_at",
        "position",
    }

    call(inventory, "change_status", "JV-TAB-001", {"status": "available", "reason": "réparé"})

    (hold,) = offered.wait(1)
    assert hold["type"] == "booking.hold_offered"
    assert hold["data"]["entry_id"] == joined["id"] and hold["data"]["resident_id"] == first
    queue = call(container, "waiting_list", line)
    assert (queue["waiting"], queue["held"]) == (1, 1)
    with pytest.raises(NotAvailable):  # kept for the first in line, not lent to the next
        call(
            container,
            "check_out",
            {"asset_tag": "JV-TAB-001", "resident_id": second, "site": "jean-vilar"},
        )

    expires_at = datetime.fromisoformat(hold["data"]["expires_at"])
    run_job(
        container,
        waiting_list.expire_holds,
        expires_at + timedelta(seconds=1),
        waiting_list.HoldTerms.of(settings.Settings.from_config(container.config)),
    )

    expired, passed_on = offered.wait(3)[1:]
    assert expired["type"] == "booking.hold_expired" and expired["data"]["resident_id"] == first
    assert (
        passed_on["type"] == "booking.hold_offered" and passed_on["data"]["resident_id"] == second
    )
    loan = call(
        container,
        "check_out",
        {"asset_tag": "JV-TAB-001", "resident_id": second, "site": "jean-vilar"},
    )
    assert loan["status"] == "active"
    assert call(container, "waiting_list", line)["entries"] == []  # the wait is over


def _holdable_left(engine):
    with engine.connect() as connection:
        return connection.scalar(
            select(func.count()).select_from(Item).where(Item.status == "available")
        )


def test_a_returned_device_is_held_for_the_first_in_line_once_it_is_wiped(
    inventory, network, events_seen
):
    container, engine, category_id = network
    call(inventory, "change_status", "JV-TAB-002", {"status": "in_maintenance", "reason": "écran"})
    borrower, waiting = resident(container, 1), resident(container, 2)
    call(
        container,
        "check_out",
        {"asset_tag": "JV-TAB-001", "resident_id": borrower, "site": "jean-vilar"},
    )
    entry = call(
        container,
        "join_waiting_list",
        {"resident_id": waiting, "category_id": category_id, "site": "jean-vilar"},
    )
    assert entry["status"] == "waiting"
    offered = events_seen("booking.hold_offered")

    call(container, "check_in", {"asset_tag": "JV-TAB-001", "condition": "good"})
    wait_until(
        lambda: call(inventory, "get_item", "JV-TAB-001")["status"] == "awaiting_wipe",
        what="the inventory to take the tablet back",
    )
    call(inventory, "record_wipe", "JV-TAB-001")

    (hold,) = offered.wait(1)
    assert (hold["data"]["entry_id"], hold["data"]["item_id"]) == (
        entry["id"],
        call(inventory, "get_item", "JV-TAB-001")["id"],
    )


def test_leaving_the_line_hands_a_held_device_to_the_next(network):
    container, _engine, category_id = network
    line = {"category_id": category_id, "site": "jean-vilar"}
    entries = [
        call(container, "join_waiting_list", {**line, "resident_id": resident(container, n)})
        for n in range(1, 4)
    ]
    assert [e["status"] for e in entries] == ["held", "held", "waiting"]  # two tablets on the shelf

    left = call(container, "leave_waiting_list", entries[0]["id"])

    assert left["status"] == "cancelled"
    queue = call(container, "waiting_list", line)
    assert sorted(e["id"] for e in queue["entries"] if e["status"] == "held") == [
        entries[1]["id"],
        entries[2]["id"],
    ]
    with pytest.raises(InvalidInput) as refused:
        call(container, "leave_waiting_list", "17")
    assert list(refused.value.fields) == ["entry_id"]


def test_an_erased_resident_leaves_no_trace_and_the_statistics_stay(network, events_seen):
    container, engine, category_id = network
    amina = call(container, "register_resident", AMINA)["id"]
    erased = events_seen("booking.resident_erased")
    call(
        container,
        "check_out",
        {"asset_tag": "JV-TAB-001", "resident_id": amina, "site": "jean-vilar"},
    )
    call(
        container,
        "join_waiting_list",
        {"resident_id": amina, "category_id": category_id, "site": "jean-vilar"},
    )

    export = call(container, "export_resident_data", amina)
    assert export["resident"]["email"] == AMINA["email"]
    assert [loan["asset_tag"] for loan in export["loans"]] == ["JV-TAB-001"]
    assert len(export["waiting_entries"]) == 1
    json.dumps(export)

    with pytest.raises(StillHoldsDevice):
        call(container, "erase_resident", amina)
    call(
        container,
        "check_in",
        {"asset_tag": "JV-TAB-001", "condition": "good", "accessories": ["chargeur"]},
    )
    loans_per_item = _loans_per_item(engine)

    after = call(container, "erase_resident", amina)

    assert after["erased_at"] and after["display_name"] is None and after["email"] is None
    assert erased.wait(1)[0]["data"] == {"resident_id": amina}
    assert _traces(engine, AMINA["display_name"], AMINA["phone"], AMINA["email"]) == []
    assert _loans_per_item(engine) == loans_per_item
    export = call(container, "export_resident_data", amina)
    assert (export["loans"], export["waiting_entries"]) == ([], [])


def test_erasure_takes_out_a_number_and_an_email_the_resident_had_before_changing_them(network):
    container, engine, _category_id = network
    amina = call(container, "register_resident", AMINA)["id"]
    first = call(
        container,
        "check_out",
        {"asset_tag": "JV-TAB-001", "resident_id": amina, "site": "jean-vilar"},
    )
    with engine.begin() as connection:  # she is late bringing it back
        connection.execute(
            update(Loan)
            .where(Loan.id == first["id"])
            .values(due_at=datetime.now(UTC) - timedelta(days=3))
        )
    # Staff write down how to reach her, in their own words and formats.
    call(
        container,
        "check_out",
        {
            "asset_tag": "JV-TAB-002",
            "resident_id": amina,
            "site": "jean-vilar",
            "override_reason": "démarche urgente, rappeler au +33 6 12 34 56 78 ou 06.12.34.56.78 "
            "ou Amina.Benali@Example.org le 12 mai",
        },
    )
    call(
        container,
        "update_resident",
        amina,
        {"phone": "07 98 76 54 32", "email": "amina.b@example.net"},
    )
    for tag in ("JV-TAB-001", "JV-TAB-002"):
        call(container, "check_in", {"asset_tag": tag, "condition": "good"})

    call(container, "erase_resident", amina)

    assert (
        _traces(
            engine,
            "12 34 56 78",
            "12.34.56.78",
            "612345678",
            "amina.benali",
            "98 76 54 32",
            "amina.b@",
        )
        == []
    )
    with engine.connect() as connection:
        reasons = (
            connection.execute(
                select(Loan.override_reason).where(Loan.override_reason.is_not(None))
            )
            .scalars()
            .all()
        )
    assert reasons == ["démarche urgente, rappeler au [erased] ou [erased] ou [erased] le 12 mai"]


def _loans_per_item(engine):
    with engine.connect() as connection:
        return dict(
            connection.execute(select(Loan.item_id, func.count()).group_by(Loan.item_id)).all()
        )


def _traces(engine, *secrets):
    """Every (table, column) of the database whose stored value contains a secret."""
    metadata = MetaData()
    metadata.reflect(bind=engine)
    found = []
    with engine.connect() as connection:
        for table in metadata.sorted_tables:
            for row in connection.execute(table.select()).mappings():
                for column, value in row.items():
                    text = (
                        json.dumps(value, ensure_ascii=False)
                        if isinstance(value, (dict, list))
                        else str(value)
                    )
                    found += [
                        (table.name, column) for secret in secrets if secret.lower() in text.lower()
                    ]
    return found


def test_loans_returned_long_ago_are_cut_from_their_resident_by_the_scheduled_job(network):
    container, engine, _category_id = network
    someone = resident(container, 1)
    loan = call(
        container,
        "check_out",
        {"asset_tag": "JV-TAB-002", "resident_id": someone, "site": "jean-vilar"},
    )
    call(container, "check_in", {"asset_tag": "JV-TAB-002", "condition": "fair"})
    after = settings.Settings.from_config(container.config).anonymise_after
    now = datetime.now(UTC)

    key = secret_key(container.config)
    assert run_job(container, privacy.anonymise_returned_loans, now, after, key=key) == 0
    assert (
        run_job(
            container,
            privacy.anonymise_returned_loans,
            now + after + timedelta(minutes=1),
            after,
            key=key,
        )
        == 1
    )
    assert (
        run_job(
            container,
            privacy.anonymise_returned_loans,
            now + after + timedelta(minutes=2),
            after,
            key=key,
        )
        == 0
    )

    with engine.connect() as connection:
        stored = connection.execute(select(Loan).where(Loan.id == loan["id"])).one()
    assert stored.resident_id is None and stored.anonymised_at is not None
    assert (stored.item_id, stored.condition_in, stored.site_id) == (
        loan["item_id"],
        "fair",
        loan["site_id"],
    )

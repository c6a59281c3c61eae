"""Waiting lists and privacy: the rules (when a hold lapses, what erasure
scrubs), then the waiting-list and privacy functions on a real SQLite database,
since a fake would lie about the overlap guard they rely on."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import sessionmaker

from partanum import migrate
from partanum.db import make_engine
from partanum.dependencies import Transaction
from partanum.errors import InvalidInput
from services.booking import domain, privacy, waiting_list
from services.booking.allocations import claim
from services.booking.exceptions import AlreadyWaiting, NotWaiting, StillHoldsDevice
from services.booking.models import Allocation, Item, Loan, Resident, Site, WaitingEntry

PARIS = ZoneInfo("Europe/Paris")
# Open Tuesday (morning and afternoon) and Saturday morning; closed the rest of the week.
HOURS = {"tuesday": [["09:00", "12:00"], ["13:30", "18:30"]], "saturday": [["10:00", "12:00"]]}
A_TUESDAY = datetime(2026, 12, 1, 10, 0, tzinfo=PARIS)  # 1 December 2026 is a Tuesday


def local(moment):
    return moment.astimezone(PARIS)


# --- when a hold lapses ------------------------------------------------------------------


def test_a_hold_lasts_its_hours_then_until_closing_time_that_day_if_the_site_is_open():
    expires = domain.hold_expiry(A_TUESDAY, 7 * 24, HOURS, [], PARIS)  # next Tuesday 10:00

    assert local(expires) == datetime(2026, 12, 8, 18, 30, tzinfo=PARIS)
    assert expires.tzinfo == UTC


def test_a_hold_ending_on_a_closed_day_runs_to_the_closing_time_of_the_next_open_day():
    expires = domain.hold_expiry(A_TUESDAY, 48, HOURS, [], PARIS)  # Thursday: closed

    assert local(expires) == datetime(2026, 12, 5, 12, 0, tzinfo=PARIS)  # Saturday noon


def test_a_hold_ending_after_closing_time_runs_to_the_next_open_day():
    evening = datetime(2026, 11, 28, 19, 0, tzinfo=PARIS)  # a Saturday, after closing

    expires = domain.hold_expiry(evening, 72, HOURS, [], PARIS)  # Tuesday 19:00: closed by then

    assert local(expires) == datetime(2026, 12, 5, 12, 0, tzinfo=PARIS)


def test_a_hold_never_lapses_during_a_closure():
    expires = domain.hold_expiry(A_TUESDAY, 48, HOURS, [["2026-12-05", "2026-12-08"]], PARIS)

    assert local(expires) == datetime(2026, 12, 12, 12, 0, tzinfo=PARIS)


def test_a_site_without_opening_hours_keeps_the_bare_hold_duration():
    assert domain.hold_expiry(A_TUESDAY, 48, {}, [], PARIS) == A_TUESDAY + timedelta(hours=48)


# --- what erasure scrubs -----------------------------------------------------------------


def test_a_resident_holding_a_device_cannot_be_erased_and_one_who_holds_none_can():
    assert "1 device" in domain.erasure_refusal(1)
    assert domain.erasure_refusal(0) is None


def test_redaction_replaces_every_personal_detail_whatever_its_case():
    reason = "Lent to AMINA B. again, she calls from 06 12 34 56 78"

    assert domain.redact(reason, ["Amina B.", "06 12 34 56 78", None]) == (
        "Lent to [erased] again, she calls from [erased]"
    )
    assert domain.redact(None, ["Amina B."]) is None


# --- the functions, on a real database ----------------------------------------------------

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)  # a Tuesday, 10:00 in Paris
TERMS = waiting_list.HoldTerms(hours=48, zone=PARIS, buffer=timedelta(minutes=30))
KEY = b"test key"  # of the hashes of residents' past details
TABLET, LAPTOP = 1, 2


@pytest.fixture
def db(tmp_path):
    url = f"sqlite:///{tmp_path / 'booking.sqlite3'}"
    migrate.upgrade("booking", url)
    engine = make_engine(url)
    sessions = sessionmaker(engine, expire_on_commit=False)
    with sessions() as session:
        session.add(Site(id=1, code="jean-vilar", partner_id=1, opening_hours=HOURS, closures=[]))
        session.add(Site(id=2, code="mistral", partner_id=2, opening_hours={}, closures=[]))
        session.add_all(
            [
                Resident(
                    id=n,
                    display_name=f"Resident {n}",
                    phone=f"06 00 00 00 0{n}",
                    consent_at=NOW,
                    card_number=f"RS-{n}",
                    registered_by_partner_id=1,
                    created_at=NOW,
                )
                for n in range(1, 5)
            ]
        )
        session.commit()

    def transaction():
        return Transaction(sessions(), "booking", "staff:1", on_commit=lambda: None)

    yield transaction
    engine.dispose()


def add_item(tx, item_id, status="available", category_id=TABLET, site_id=1):
    item = Item(
        id=item_id,
        asset_tag=f"JV-TAB-{item_id:03}",
        category_id=category_id,
        owner_partner_id=1,
        site_id=site_id,
        status=status,
    )
    tx.session.add(item)
    tx.session.flush()
    return item


def join(tx, resident_id, at=NOW, category_id=TABLET, site="jean-vilar"):
    return waiting_list.join(
        tx, {"resident_id": resident_id, "category_id": category_id, "site": site}, at, TERMS
    )


def emitted(tx, event_type):
    return [event["data"] for event in tx.events if event["type"] == event_type]


def test_the_first_in_line_is_offered_a_freed_device_and_it_is_kept_for_them(db):
    with db() as tx:
        add_item(tx, 1, status="awaiting_wipe")
        first = join(tx, 1)
        second = join(tx, 2, at=NOW + timedelta(minutes=1))
        assert (first.position, second.position, first.status) == (1, 2, "waiting")

        tx.session.get(Item, 1).status = "available"  # wiped
        offered = waiting_list.offer_holds(tx, NOW, TERMS)

        assert offered == [first] and first.status == "held" and first.held_item_id == 1
        assert local(first.hold_expires_at) == datetime(2026, 12, 5, 12, 0, tzinfo=PARIS)
        (hold,) = tx.session.scalars(
            select(Allocation).where(Allocation.waiting_entry_id == first.id)
        )
        assert hold.item_id == 1 and hold.released_at is None
        assert emitted(tx, "booking.hold_offered") == [
            {
                "entry_id": first.id,
                "resident_id": 1,
                "item_id": 1,
                "site_id": 1,
                "expires_at": first.hold_expires_at.isoformat(),
            }
        ]
        assert waiting_list.offer_holds(tx, NOW, TERMS) == []  # nothing new: nothing offered twice


def test_joining_when_a_device_is_on_the_shelf_gets_it_held_at_once(db):
    with db() as tx:
        add_item(tx, 1)

        entry = join(tx, 1)

        assert (entry.status, entry.held_item_id, entry.position) == ("held", 1, None)


def test_a_resident_is_in_line_once_per_category_and_site(db):
    with db() as tx:
        add_item(tx, 1, status="on_loan")
        add_item(tx, 2, status="on_loan", category_id=LAPTOP)
        add_item(tx, 3, status="on_loan", site_id=2)
        entry = join(tx, 1)

        with pytest.raises(AlreadyWaiting) as refused:
            join(tx, 1)
        assert refused.value.details == {"entry_id": entry.id, "status": "waiting"}
        join(tx, 1, category_id=LAPTOP)
        join(tx, 1, site="mistral")


def test_joining_names_everything_that_is_unknown_and_changes_nothing(db):
    with db() as tx:
        add_item(tx, 1)
        with pytest.raises(InvalidInput) as refused:
            join(tx, 99, category_id=42, site="nowhere")
        assert set(refused.value.fields) == {"resident_id", "category_id", "site"}
        assert (
            tx.events == []
            and tx.session.scalar(select(func.count()).select_from(WaitingEntry)) == 0
        )
        with pytest.raises(InvalidInput) as refused:
            join(tx, 99)
        assert list(refused.value.fields) == ["resident_id"]
        with pytest.raises(InvalidInput) as refused:
            join(tx, 1, category_id=42)
        assert list(refused.value.fields) == ["category_id"]
        with pytest.raises(InvalidInput) as refused:
            join(tx, 1, site="nowhere")
        assert list(refused.value.fields) == ["site"]


def test_an_expired_hold_passes_to_the_next_in_line_once(db):
    with db() as tx:
        add_item(tx, 1)
        first = join(tx, 1)
        second = join(tx, 2, at=NOW + timedelta(minutes=1))
        later = first.hold_expires_at + timedelta(seconds=1)

        assert (
            waiting_list.expire_holds(tx, first.hold_expires_at - timedelta(seconds=1), TERMS) == []
        )
        assert waiting_list.expire_holds(tx, later, TERMS) == [first]

        assert first.status == "expired" and second.status == "held" and second.held_item_id == 1
        assert emitted(tx, "booking.hold_expired") == [
            {"entry_id": first.id, "resident_id": 1, "item_id": 1}
        ]
        assert waiting_list.expire_holds(tx, later, TERMS) == []  # idempotent
        assert live_holds_on(tx, 1) == 1


def live_holds_on(tx, item_id):
    return tx.session.scalar(
        select(func.count())
        .select_from(Allocation)
        .where(Allocation.item_id == item_id, Allocation.released_at.is_(None))
    )


def test_leaving_the_line_with_a_hold_hands_the_device_to_the_next(db):
    with db() as tx:
        add_item(tx, 1)
        first = join(tx, 1)
        second = join(tx, 2, at=NOW + timedelta(minutes=1))

        waiting_list.leave(tx, first.id, NOW, TERMS)

        assert first.status == "cancelled" and second.status == "held"
        assert waiting_list.leave(tx, first.id, NOW, TERMS).status == "cancelled"  # twice: harmless
        waiting_list.fulfil_hold(tx, 2, 1, NOW)
        with pytest.raises(NotWaiting):
            waiting_list.leave(tx, second.id, NOW, TERMS)


def test_the_line_lists_holders_then_the_waiting_by_position_with_ids_only(db):
    with db() as tx:
        add_item(tx, 1)
        holder = join(tx, 3)
        first = join(tx, 1, at=NOW + timedelta(minutes=1))
        second = join(tx, 2, at=NOW + timedelta(minutes=2))

        site, entries = waiting_list.queue(tx, {"category_id": TABLET, "site": "jean-vilar"})

        assert site.id == 1
        assert [(e.id, e.status, e.position) for e in entries] == [
            (holder.id, "held", None),
            (first.id, "waiting", 1),
            (second.id, "waiting", 2),
        ]


def test_fulfilling_a_hold_releases_it_so_the_loan_can_take_the_device(db):
    with db() as tx:
        add_item(tx, 1)
        entry = join(tx, 1)

        assert waiting_list.fulfil_hold(tx, 1, 1, NOW) is entry

        assert entry.status == "fulfilled" and live_holds_on(tx, 1) == 0
        assert emitted(tx, "booking.hold_fulfilled") == [
            {"entry_id": entry.id, "resident_id": 1, "item_id": 1}
        ]
        assert waiting_list.fulfil_hold(tx, 2, 1, NOW) is None  # not in line: nothing to do


def test_borrowing_another_device_of_the_kind_ends_the_wait_too(db):
    with db() as tx:
        add_item(tx, 1, status="on_loan")
        add_item(tx, 2, status="in_maintenance")
        entry = join(tx, 1)

        assert waiting_list.fulfil_hold(tx, 1, 2, NOW) is entry and entry.status == "fulfilled"


def test_a_device_promised_to_someone_soon_is_not_held_for_the_line(db):
    with db() as tx:
        item = add_item(tx, 1, status="on_loan")
        join(tx, 1)
        # Reserved from next week: a 14-day loan after the hold would run into it.
        next_week = domain.Window(NOW + timedelta(days=7), NOW + timedelta(days=7, hours=3))
        claim(tx, [item.id], next_week, TERMS.buffer)
        item.status = "available"

        assert waiting_list.offer_holds(tx, NOW, TERMS) == []


def test_a_held_device_sent_to_maintenance_gives_the_resident_their_place_back(db):
    from partanum.events import Event

    with db() as tx:
        add_item(tx, 1)
        entry = join(tx, 1)
        join(tx, 2, at=NOW + timedelta(minutes=1))
        tx.session.get(Item, 1).status = "in_maintenance"
        add_item(tx, 2)
        event = Event(
            None, "inventory.item_status_changed", 1, NOW, "inventory", "staff:1", {"item_id": 1}
        )

        waiting_list.after_inventory_event(tx, event, NOW, TERMS)

        assert (entry.status, entry.held_item_id) == ("held", 2)  # first again, another device
        assert emitted(tx, "booking.hold_withdrawn") == [
            {"entry_id": entry.id, "resident_id": 1, "item_id": 1}
        ]
        assert live_holds_on(tx, 1) == 0


# --- privacy --------------------------------------------------------------------------------


def add_loan(tx, resident_id, item_id, returned_days_ago=None, status="returned", reason=None):
    returned = NOW - timedelta(days=returned_days_ago) if returned_days_ago is not None else None
    loan = Loan(
        item_id=item_id,
        resident_id=resident_id,
        site_id=1,
        return_site_id=1,
        checked_out_at=NOW - timedelta(days=60),
        due_at=NOW - timedelta(days=46),
        returned_at=returned,
        status=status,
        accessories_out=["chargeur"],
        checked_out_by="staff:1",
        override_reason=reason,
    )
    tx.session.add(loan)
    tx.session.flush()
    return loan


def test_loans_returned_long_enough_ago_are_cut_from_their_resident_once(db):
    with db() as tx:
        add_item(tx, 1)
        old = add_loan(tx, 1, 1, returned_days_ago=31, reason="Resident 1 asked nicely")
        recent = add_loan(tx, 1, 1, returned_days_ago=29)
        lost = add_loan(tx, 2, 1, status="lost")  # due 46 days ago
        active = add_loan(tx, 3, 1, status="active")
        tx.commit()

    with db() as tx:
        assert privacy.anonymise_returned_loans(tx, NOW, timedelta(days=30), key=KEY) == 2
        tx.commit()
    with db() as tx:
        assert privacy.anonymise_returned_loans(tx, NOW, timedelta(days=30), key=KEY) == 0
        loans = {loan.id: loan for loan in tx.session.scalars(select(Loan))}

    assert loans[old.id].resident_id is None and loans[old.id].anonymised_at == NOW
    assert loans[old.id].override_reason == "[erased] asked nicely"
    assert (
        loans[old.id].item_id == 1 and loans[old.id].returned_at is not None
    )  # the statistics stay
    assert loans[lost.id].resident_id is None
    assert loans[recent.id].resident_id == 1 and loans[active.id].resident_id == 3


def test_an_export_holds_the_residents_details_loans_and_places_in_line(db):
    with db() as tx:
        add_item(tx, 1, status="on_loan")
        loan = add_loan(tx, 1, 1, returned_days_ago=2)
        entry = join(tx, 1)

        export = privacy.export_resident_data(tx, 1, NOW)

    assert export["resident"]["display_name"] == "Resident 1"
    assert export["resident"]["phone"] == "06 00 00 00 01"
    assert [(row["id"], row["asset_tag"]) for row in export["loans"]] == [(loan.id, "JV-TAB-001")]
    assert [e["id"] for e in export["waiting_entries"]] == [entry.id]
    import json

    json.dumps(export)  # plain JSON all the way down


def test_a_resident_with_a_device_on_loan_cannot_be_erased(db):
    with db() as tx:
        add_item(tx, 1)
        add_loan(tx, 1, 1, status="active")

        with pytest.raises(StillHoldsDevice) as refused:
            privacy.erase_resident(tx, 1, NOW, TERMS, key=KEY)

        assert refused.value.details == {"resident_id": 1, "active_loans": 1}


def test_erasure_empties_the_record_cuts_the_loans_and_gives_up_the_hold(db):
    with db() as tx:
        add_item(tx, 1)
        loan = add_loan(tx, 1, 1, returned_days_ago=2, reason="Resident 1 lost her card")
        held = join(tx, 1)
        next_in_line = join(tx, 2, at=NOW + timedelta(minutes=1))

        resident = privacy.erase_resident(tx, 1, NOW, TERMS, key=KEY)

        assert (resident.display_name, resident.phone, resident.email, resident.card_number) == (
            None,
            None,
            None,
            None,
        )
        assert resident.erased_at == NOW
        assert loan.resident_id is None and loan.override_reason == "[erased] lost her card"
        assert held.status == "cancelled" and held.resident_id is None
        assert next_in_line.status == "held"
        assert emitted(tx, "booking.resident_erased") == [{"resident_id": 1}]
        privacy.erase_resident(tx, 1, NOW, TERMS, key=KEY)  # again: nothing more to do
        assert len(emitted(tx, "booking.resident_erased")) == 1

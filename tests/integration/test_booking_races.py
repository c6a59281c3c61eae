"""No item is ever promised twice, even to 30 clients racing for it over RPC,
on both databases: the database refuses the overlap, the losers get a clear
refusal, and every request is answered."""

from datetime import datetime, time
from types import SimpleNamespace

import eventlet
import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from partanum.errors import InvalidInput
from partanum.standalone import ServiceRpcProxy
from services.booking.allocations import Overlap, flush_claims
from services.booking.exceptions import NotAvailable
from services.booking.models import Allocation
from tests.integration.helpers import call, next_tuesday, register_network, tablet
from tests.waiting import wait_until

CLIENTS = 30


@pytest.fixture
def five_tablets(inventory, booking):
    register_network(inventory)
    for n in range(1, 6):
        call(inventory, "register_item", tablet(f"JV-TAB-00{n}"))
    container, _url = booking
    window = {
        "starts_at": next_tuesday(time(14)).isoformat(),
        "ends_at": next_tuesday(time(17)).isoformat(),
    }
    category_id = call(inventory, "list_categories")[0]["id"]
    ask = {"category_id": category_id, "site": "jean-vilar", **window}

    def booking_sees_five():
        try:
            return call(container, "availability", ask)["free"] == 5
        except InvalidInput:  # the site is not in booking's copy yet
            return False

    wait_until(booking_sees_five, what="booking's copy of the inventory")
    return ask


def race(container, payloads):
    """Send every payload at once, each from its own client; return (won, refused)."""

    def one(payload):
        with ServiceRpcProxy("booking", container.config) as proxy:
            try:
                return proxy.reserve(payload)
            except NotAvailable as refused:
                return refused

    results = list(eventlet.GreenPool(len(payloads)).imap(one, payloads))
    won = [r for r in results if isinstance(r, dict)]
    refused = [r for r in results if isinstance(r, NotAvailable)]
    assert len(won) + len(refused) == len(payloads)  # every request answered
    return won, refused


def overlaps(engine) -> int:
    with engine.connect() as connection:
        return connection.execute(
            text(
                "SELECT count(*) FROM allocations a JOIN allocations b ON a.item_id = b.item_id "
                "AND a.id < b.id AND a.released_at IS NULL AND b.released_at IS NULL "
                "AND a.starts_at < b.blocked_until AND b.starts_at < a.blocked_until"
            )
        ).scalar()


def test_thirty_clients_racing_for_five_tablets_get_five(booking, five_tablets, engine_for):
    container, url = booking
    ask = {key: five_tablets[key] for key in ("category_id", "site", "starts_at", "ends_at")}

    won, refused = race(
        container, [{**ask, "partner_id": n, "quantity": 1} for n in range(CLIENTS)]
    )

    assert len(won) == 5 and len(refused) == CLIENTS - 5
    assert sorted(tag for r in won for tag in r["asset_tags"]) == [
        f"JV-TAB-00{n}" for n in range(1, 6)
    ]
    assert overlaps(engine_for(url)) == 0


def test_thirty_clients_racing_for_one_tablet_get_it_once(booking, five_tablets, engine_for):
    container, url = booking
    ask = {
        "site": "jean-vilar",
        "starts_at": five_tablets["starts_at"],
        "ends_at": five_tablets["ends_at"],
        "asset_tags": ["JV-TAB-003"],
    }

    won, refused = race(container, [{**ask, "partner_id": n} for n in range(CLIENTS)])

    assert len(won) == 1 and len(refused) == CLIENTS - 1
    assert overlaps(engine_for(url)) == 0


def test_thirty_clients_each_asking_for_every_tablet_are_answered_one_yes(
    booking, five_tablets, engine_for
):
    # Each claims several items in one insert: on PostgreSQL two such claims can wait on
    # each other's overlap check, and the database fails one of them as a deadlock.
    container, url = booking
    ask = {key: five_tablets[key] for key in ("category_id", "site", "starts_at", "ends_at")}

    won, refused = race(
        container, [{**ask, "partner_id": n, "quantity": 5} for n in range(CLIENTS)]
    )

    assert len(won) == 1 and len(refused) == CLIENTS - 1
    assert overlaps(engine_for(url)) == 0


@pytest.mark.parametrize("database_kind", ["postgresql"])  # SQLite: one writer at a time
def test_two_claims_waiting_on_each_other_are_a_race_lost_not_a_fault(
    booking, five_tablets, engine_for
):
    # Two requests for the same two tablets, each holding one and checking the other:
    # PostgreSQL breaks the deadlock by failing one, which lost the race (seen with two
    # booking processes, tests/e2e/test_replicas.py) and is asked again.
    engine = engine_for(booking[1])
    with engine.connect() as connection:
        tablets = connection.execute(text("SELECT id FROM items ORDER BY id LIMIT 2")).scalars()
        first, second = tablets.all()
    starts, ends = (datetime.fromisoformat(five_tablets[k]) for k in ("starts_at", "ends_at"))
    holding = {"a": eventlet.event.Event(), "b": eventlet.event.Event()}

    def claim(name: str, other: str, items: tuple[int, int]) -> str:
        with Session(engine) as session:
            tx = SimpleNamespace(session=session)
            for n, item_id in enumerate(items):
                session.add(
                    Allocation(item_id=item_id, starts_at=starts, ends_at=ends, blocked_until=ends)
                )
                try:
                    flush_claims(tx)
                except Overlap:
                    return "lost"
                if n == 0:
                    holding[name].send()
                    holding[other].wait()
            session.commit()
            return "claimed"

    pool = eventlet.GreenPool(2)
    outcomes = [
        pool.spawn(claim, "a", "b", (first, second)),
        pool.spawn(claim, "b", "a", (second, first)),
    ]

    assert sorted(outcome.wait() for outcome in outcomes) == ["claimed", "lost"]
    assert overlaps(engine) == 0


def test_the_database_itself_refuses_an_overlap(booking, five_tablets, engine_for):
    """Even a request that skipped the service's own checks cannot double-book."""
    container, url = booking
    call(container, "reserve", {**five_tablets, "partner_id": 1, "quantity": 5})
    engine = engine_for(url)
    with pytest.raises(Exception, match="allocations_no_overlap"):
        with engine.begin() as connection:
            connection.execute(
                text(
                    "INSERT INTO allocations (item_id, starts_at, ends_at, blocked_until) "
                    "SELECT item_id, starts_at, ends_at, blocked_until FROM allocations LIMIT 1"
                )
            )

"""A request delivered again is carried out once, on the real broker and both
databases: as a broker node dying hands a request out again, the same request (the
same request id) is sent twice, one after the other or both at once; the service
changes things once and gives the same answer, result or error, each time
(partanum.rpc_requests)."""

import uuid
from datetime import UTC, datetime, timedelta

import eventlet
import pytest
from nameko.standalone.rpc import ServiceRpcProxy as PlainServiceRpcProxy
from sqlalchemy import text

from partanum import rpc_requests, tables
from partanum.dependencies import Database
from partanum.errors import Conflict
from partanum.rpc import rpc
from partanum.standalone import ServiceRpcProxy
from services.booking.exceptions import NotAvailable
from tests.integration.helpers import call, register_network, tablet


def deliver(container, service, method, *args, request_id):
    """One delivery of the request `request_id`, as nameko's own proxy sends it: the id
    in its context data, a header of the message, whatever it was before. Returns the
    result, or the error raised."""
    context = {"actor": "staff:1", "request_id": request_id}
    with PlainServiceRpcProxy(service, container.config, context_data=context, timeout=30) as to:
        try:
            return getattr(to, method)(*args)
        except Exception as error:  # noqa: BLE001 -- the answer under test may be an error
            return error


def count(engine, sql: str, **params) -> int:
    with engine.connect() as connection:
        return connection.execute(text(sql), params).scalar()


def registered_events(engine) -> int:
    return count(
        engine, "SELECT count(*) FROM outbox WHERE event_type = 'inventory.item_registered'"
    )


def test_a_device_registration_delivered_twice_registers_it_once_and_answers_it_twice(
    inventory, inventory_db, engine_for
):
    register_network(inventory)
    engine = engine_for(inventory_db)
    request_id = str(uuid.uuid4())

    first = deliver(inventory, "inventory", "register_item", tablet(), request_id=request_id)
    again = deliver(inventory, "inventory", "register_item", tablet(), request_id=request_id)

    assert isinstance(first, dict) and first["asset_tag"] == "JV-TAB-001", first
    assert again == first  # not "asset tag taken": the first answer, sent again
    assert [item["id"] for item in call(inventory, "list_items")] == [first["id"]]
    assert registered_events(engine) == 1
    recorded = "SELECT count(*) FROM rpc_requests WHERE request_id = :id"
    assert count(engine, recorded, id=request_id) == 1


def test_two_deliveries_at_once_register_the_device_once_and_answer_the_same(
    inventory, inventory_db, engine_for
):
    register_network(inventory)
    request_id = str(uuid.uuid4())

    def one(_):
        return deliver(inventory, "inventory", "register_item", tablet(), request_id=request_id)

    first, second = eventlet.GreenPool(2).imap(one, range(2))

    assert isinstance(first, dict), first
    assert second == first
    assert len(call(inventory, "list_items")) == 1
    assert registered_events(engine_for(inventory_db)) == 1


def test_a_refusal_that_recorded_unmet_demand_is_answered_again_and_recorded_once(desk):
    too_many = {"partner_id": 1, "quantity": 4, **desk.ask}
    request_id = str(uuid.uuid4())

    first = deliver(desk.booking, "booking", "reserve", too_many, request_id=request_id)
    again = deliver(desk.booking, "booking", "reserve", too_many, request_id=request_id)

    assert isinstance(first, NotAvailable) and isinstance(again, NotAvailable), (first, again)
    assert again.details == first.details and str(again) == str(first)
    unmet = "SELECT count(*) FROM outbox WHERE event_type = 'booking.demand_unmet'"
    assert count(desk.db, unmet) == 1


def test_a_reservation_delivered_twice_is_made_once(desk):
    one_laptop = {"partner_id": 1, "quantity": 1, **desk.ask}
    request_id = str(uuid.uuid4())

    first = deliver(desk.booking, "booking", "reserve", one_laptop, request_id=request_id)
    again = deliver(desk.booking, "booking", "reserve", one_laptop, request_id=request_id)

    assert isinstance(first, dict) and again == first, (first, again)
    assert count(desk.db, "SELECT count(*) FROM reservations") == 1
    assert call(desk.booking, "availability", desk.ask)["free"] == 2


class TwoTransactions:
    """A service whose one RPC commits twice, on the inventory's tables: a partner,
    then a category; its answer differs each time it runs."""

    name = "two_transactions"
    db = Database()

    @rpc
    def register_both(self, code):
        for table in "partners", "categories":
            with self.db.transaction() as tx:
                insert = f"INSERT INTO {table} (code, name) VALUES (:code, :code)"
                tx.session.execute(text(insert), {"code": code})
                tx.commit()
        return {"run": str(uuid.uuid4())}


def test_a_call_of_two_transactions_delivered_twice_does_neither_again(
    container_factory, config_for, inventory_db, engine_for
):
    container = container_factory(TwoTransactions, config_for(two_transactions=inventory_db))
    container.start()
    engine = engine_for(inventory_db)
    request_id = str(uuid.uuid4())

    first = deliver(container, "two_transactions", "register_both", "ab", request_id=request_id)
    again = deliver(container, "two_transactions", "register_both", "ab", request_id=request_id)

    assert again == first and "run" in first, (first, again)
    assert count(engine, "SELECT count(*) FROM partners WHERE code = 'ab'") == 1
    assert count(engine, "SELECT count(*) FROM categories WHERE code = 'ab'") == 1


def test_each_call_of_a_proxy_is_a_request_of_its_own(inventory):
    """A person who registers the same device twice is told it exists: only a request
    delivered again is answered from its record, never a new call alike."""
    register_network(inventory)
    with ServiceRpcProxy("inventory", inventory.config, context_data={"actor": "staff:1"}) as to:
        to.register_item(tablet())
        with pytest.raises(Conflict):
            to.register_item(tablet())


def test_a_read_leaves_no_record_and_old_records_go_on_the_next_write(
    inventory, inventory_db, engine_for
):
    register_network(inventory)
    engine = engine_for(inventory_db)
    with engine.begin() as connection:
        connection.execute(
            tables.rpc_requests.insert(),
            {
                "request_id": "old",
                "method": "inventory.register_item",
                "answer": "{}",
                "carried_out_at": datetime.now(UTC) - rpc_requests.KEEP - timedelta(minutes=1),
            },
        )

    deliver(inventory, "inventory", "list_items", request_id=str(uuid.uuid4()))
    assert count(engine, "SELECT count(*) FROM rpc_requests") == 1  # only the old one

    written = str(uuid.uuid4())
    deliver(inventory, "inventory", "register_item", tablet(), request_id=written)
    ids = "SELECT request_id FROM rpc_requests"
    with engine.connect() as connection:
        assert connection.execute(text(ids)).scalars().all() == [written]

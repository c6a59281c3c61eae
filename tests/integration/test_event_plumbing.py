"""The event plumbing every service stands on: outbox, relay, inbox, retries,
dead letters, on the real broker and both databases."""

import json

import pytest
from kombu import Connection, Queue
from nameko.amqp.publish import Publisher

from partanum import deadletters, events, outbox, topology
from partanum.dependencies import Transaction
from partanum.events import require
from services.inventory import events as inventory_events
from tests import probe
from tests.integration.helpers import call, register_network, tablet
from tests.waiting import wait_until

require(inventory_events)


@pytest.fixture
def probe_db(engine_for, sqlite_url):
    engine = engine_for(sqlite_url)
    probe.create_tables(engine)
    return sqlite_url, engine


@pytest.fixture
def running_probe(container_factory, config_for, probe_db):
    url, engine = probe_db
    container = container_factory(probe.Probe, config_for(probe=url))
    container.start()
    yield engine
    probe.FAILURES.clear()


def test_every_committed_event_has_its_effect_once(inventory, running_probe):
    register_network(inventory)
    for n in range(1, 6):
        call(inventory, "register_item", tablet(f"JV-TAB-00{n}"))

    # 2 partners, 2 sites, 1 category, 5 items
    assert wait_until(lambda: probe.effect_counts(running_probe) == (10, 10), what="10 effects")


def test_a_rolled_back_change_publishes_nothing(inventory, engine_for, inventory_db, events_seen):
    listen = events_seen("inventory.#")
    engine = engine_for(inventory_db)
    relay = outbox.OutboxRelay(engine, outbox.EventPublisher(inventory.config["AMQP_URI"]))

    from sqlalchemy.orm import Session

    with Transaction(Session(engine), "inventory", "staff:1", on_commit=lambda: None) as tx:
        tx.emit("inventory.category_registered", {"category_id": 1, "code": "tablet"})
        # leaving without commit() rolls back the change and its event

    assert relay.relay_pending() == 0
    call(inventory, "register_category", {"code": "laptop", "name": "Portable"})
    (only,) = listen.wait(1)
    assert only["data"]["code"] == "laptop"


def test_an_event_delivered_twice_has_its_effect_once(inventory, running_probe, config_for):
    register_network(inventory)
    assert wait_until(lambda: probe.effect_counts(running_probe) == (5, 5))
    body = events.make_event(
        "inventory.item_wiped", {"item_id": 1, "asset_tag": "X-1"}, "inventory", "t"
    )

    publish = outbox.EventPublisher(inventory.config["AMQP_URI"], [probe.SUBSCRIPTION])
    publish(body)
    publish(body)
    publish(
        events.make_event(
            "inventory.item_wiped", {"item_id": 2, "asset_tag": "X-2"}, "inventory", "t"
        )
    )

    # the last event is handled after both copies of the first: the queue is FIFO
    # and the probe handles one message per worker
    assert wait_until(lambda: probe.effect_counts(running_probe) == (7, 7))


def test_a_failing_handler_is_retried_then_parked_and_can_be_replayed(inventory, running_probe):
    amqp_uri = inventory.config["AMQP_URI"]
    register_network(inventory)
    probe.FAILURES["JV-TAB-001"] = probe.ALWAYS
    call(inventory, "register_item", tablet("JV-TAB-001"))

    def parked():
        return deadletters.parked(amqp_uri, probe.SUBSCRIPTION.queue)

    (message,) = wait_until(parked, what="the event to be parked")
    assert message["type"] == "inventory.item_registered"
    assert message["attempts"] == 3  # RETRY_MAX_ATTEMPTS in the test config
    assert "refusing JV-TAB-001" in message["error"]
    assert probe.effect_counts(running_probe) == (5, 5)

    probe.FAILURES.clear()
    assert deadletters.replay(amqp_uri, probe.SUBSCRIPTION.queue) == 1

    assert wait_until(lambda: probe.effect_counts(running_probe) == (6, 6))
    assert deadletters.parked_counts(amqp_uri, [probe.SUBSCRIPTION.queue]) == {"probe.inventory": 0}


def test_a_batch_with_a_bad_event_records_the_others_and_parks_that_one(
    inventory, container_factory, config_for, probe_db
):
    url, engine = probe_db
    amqp_uri = inventory.config["AMQP_URI"]
    with Connection(amqp_uri) as connection:  # the queue keeps what is published from now
        topology.declare(connection.default_channel, [probe.BATCH_SUBSCRIPTION])
    register_network(inventory)  # 5 events
    probe.FAILURES["JV-TAB-002"] = probe.ALWAYS
    for n in range(1, 5):  # waiting in the queue, to arrive together
        call(inventory, "register_item", tablet(f"JV-TAB-{n:03d}"))
    wait_until(
        lambda: _waiting(amqp_uri, probe.BATCH_SUBSCRIPTION.queue) == 9,
        what="the events to wait for the batch consumer",
    )
    container = container_factory(probe.BatchProbe, config_for(batch_probe=url))
    container.start()
    try:
        (message,) = wait_until(
            lambda: deadletters.parked(amqp_uri, probe.BATCH_SUBSCRIPTION.queue),
            what="the bad event to be parked",
        )
        assert "refusing JV-TAB-002" in message["error"]
        assert wait_until(lambda: probe.effect_counts(engine) == (8, 8))
    finally:
        probe.FAILURES.clear()


def test_a_handler_that_fails_twice_succeeds_on_its_third_attempt(inventory, running_probe):
    amqp_uri = inventory.config["AMQP_URI"]
    register_network(inventory)
    probe.FAILURES["JV-TAB-001"] = 2
    call(inventory, "register_item", tablet("JV-TAB-001"))

    assert wait_until(lambda: probe.effect_counts(running_probe) == (6, 6))
    assert probe.FAILURES["JV-TAB-001"] == 0
    assert deadletters.parked_counts(amqp_uri, ["probe.inventory"]) == {"probe.inventory": 0}


def test_replay_can_pick_one_parked_event(inventory, running_probe):
    amqp_uri = inventory.config["AMQP_URI"]
    register_network(inventory)
    probe.FAILURES.update({"JV-TAB-001": probe.ALWAYS, "JV-TAB-002": probe.ALWAYS})
    call(inventory, "register_item", tablet("JV-TAB-001"))
    call(inventory, "register_item", tablet("JV-TAB-002"))
    parked = wait_until(
        lambda: len(found := deadletters.parked(amqp_uri, "probe.inventory")) == 2 and found
    )
    probe.FAILURES.clear()

    assert deadletters.replay(amqp_uri, "probe.inventory", event_id=parked[1]["event_id"]) == 1

    assert wait_until(lambda: probe.effect_counts(running_probe) == (6, 6))
    (left,) = deadletters.parked(amqp_uri, "probe.inventory")
    assert left["event_id"] == parked[0]["event_id"]


def test_a_malformed_event_is_parked_without_retries(inventory, running_probe):
    amqp_uri = inventory.config["AMQP_URI"]
    Publisher(amqp_uri, serializer="json").publish(
        {"id": "not-a-uuid", "type": "inventory.item_wiped"},
        exchange=topology.events_exchange,
        routing_key="inventory.item_wiped",
    )
    (message,) = wait_until(lambda: deadletters.parked(amqp_uri, "probe.inventory"))
    assert message["attempts"] == 1
    assert "InvalidEvent" in message["error"]


def test_an_event_no_queue_is_bound_to_is_kept_not_dropped(inventory):
    amqp_uri = inventory.config["AMQP_URI"]
    call(inventory, "register_partner", {"code": "mairie", "name": "Mairie de quartier"})
    # The audit's queue takes every event: without it (not deployed, or deleted by
    # hand) nothing is bound to category_registered.
    wait_until(
        lambda: _try(lambda: _waiting(amqp_uri, topology.AUDIT.queue)),
        what="the partner's event in the audit's queue",
    )
    with Connection(amqp_uri) as connection:
        connection.default_channel.queue_delete(topology.AUDIT.queue)
    call(inventory, "register_category", {"code": "tablet", "name": "Tablette"})

    def unrouted():
        with Connection(amqp_uri) as connection:
            message = connection.SimpleQueue(topology.unrouted_queue()).get(block=True, timeout=1)
            message.ack()
            return message.payload

    body = wait_until(lambda: _try(unrouted), what="the unrouted event")
    assert body["type"] == "inventory.category_registered"


def _waiting(amqp_uri, queue):
    with Connection(amqp_uri) as connection:
        return connection.default_channel.queue_declare(queue, passive=True).message_count


def _try(get):
    try:
        return get()
    except Exception:  # noqa: BLE001 -- whatever the broker says, the queue is empty for now
        return None


def test_the_cli_lists_and_replays_dead_letters(inventory, running_probe, capsys):
    amqp_uri = inventory.config["AMQP_URI"]
    register_network(inventory)
    probe.FAILURES["JV-TAB-001"] = probe.ALWAYS
    call(inventory, "register_item", tablet("JV-TAB-001"))
    wait_until(lambda: deadletters.parked(amqp_uri, "probe.inventory"))

    deadletters.main(["--amqp-uri", amqp_uri, "list", "probe.inventory"])
    deadletters.main(["--amqp-uri", amqp_uri, "show", "probe.inventory"])
    probe.FAILURES.clear()
    deadletters.main(["--amqp-uri", amqp_uri, "replay", "probe.inventory"])

    out = capsys.readouterr().out.splitlines()
    assert out[0] == "probe.inventory: 1 parked"
    assert json.loads(out[1])["type"] == "inventory.item_registered"
    assert out[2] == "replayed 1 event(s) to probe.inventory"
    assert wait_until(lambda: probe.effect_counts(running_probe) == (6, 6))


def test_events_the_broker_refuses_stay_pending_until_it_takes_them(
    rabbit_config, engine_for, inventory_db
):
    amqp_uri = rabbit_config["AMQP_URI"]
    # A queue that holds one message and makes the broker refuse (nack) the rest.
    full = Queue(
        "test.full",
        exchange=topology.events_exchange,
        routing_key="inventory.item_wiped",
        queue_arguments={"x-max-length": 1, "x-overflow": "reject-publish"},
    )
    with Connection(amqp_uri) as connection:
        topology.declare(connection.default_channel)
        full.declare(channel=connection.default_channel)
    engine = engine_for(inventory_db)

    from sqlalchemy.orm import Session

    with Transaction(Session(engine), "inventory", "staff:1", on_commit=lambda: None) as tx:
        for n in (1, 2, 3):
            tx.emit("inventory.item_wiped", {"item_id": n, "asset_tag": f"X-{n}"})
        tx.commit()
    relay = outbox.OutboxRelay(engine, outbox.EventPublisher(amqp_uri))

    with pytest.raises(outbox.UnconfirmedEvents):
        relay.relay_pending()
    assert relay.pending_count() == 2  # the first was confirmed, the other two refused

    with Connection(amqp_uri) as connection:
        taken = full.bind(connection.default_channel).get(no_ack=True)
        assert json.loads(taken.body)["data"]["item_id"] == 1
    with pytest.raises(outbox.UnconfirmedEvents):
        relay.relay_pending()  # room for one more: the second, in order
    assert relay.pending_count() == 1
    with Connection(amqp_uri) as connection:
        full.bind(connection.default_channel).purge()
    assert relay.relay_pending() == 1
    assert relay.pending_count() == 0
    relay.publisher.close()


def test_two_deliveries_racing_each_other_record_the_event_once(postgresql_url, engine_for):
    import eventlet
    from sqlalchemy import text
    from sqlalchemy.orm import Session

    from partanum import inbox
    from partanum.tables import metadata

    engine = engine_for(postgresql_url)
    metadata.create_all(engine)
    event = events.read_event(
        events.make_event(
            "inventory.item_wiped", {"item_id": 1, "asset_tag": "X-1"}, "inventory", "t"
        )
    )
    first, second = Session(engine), Session(engine)
    assert inbox.first_delivery(first, "probe", event)  # not committed yet
    racing = eventlet.spawn(inbox.first_delivery, second, "probe", event)

    def second_waits_on_the_first():
        with engine.connect() as connection:
            return connection.scalar(
                text("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'")
            )

    assert wait_until(second_waits_on_the_first, what="the second insert to wait")
    first.commit()
    assert racing.wait() is False
    second.commit()
    first.close()
    second.close()

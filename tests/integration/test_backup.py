"""Backups that restore: `python -m partanum.backup` copies the services' SQLite
databases while they write, and a restore brings back a system that catches up by
itself from the outboxes, each effect once. Copies are of SQLite files (PostgreSQL
has pg_dump and CloudNativePG); marking events to publish again after a restore
runs on both databases."""

import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta

import eventlet
import pytest
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from kombu import Connection
from sqlalchemy import func, insert, select

from partanum import backup, migrate
from partanum.tables import outbox
from tests import probe
from tests.integration.helpers import call, register_network, tablet
from tests.waiting import wait_until


def run_backup(*args, env):
    result = subprocess.run(
        [sys.executable, "-m", "partanum.backup", *args],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def outbox_rows(engine):
    with engine.connect() as connection:
        return connection.execute(select(outbox.c.event_id, outbox.c.published_at)).all()


def test_a_backup_taken_while_the_inventory_writes_restores_a_system_that_catches_up_once(
    tmp_path,
    container_factory,
    config_for,
    engine_for,
    rabbit_config,
):
    urls = {
        "inventory": f"sqlite:///{tmp_path / 'var' / 'inventory.sqlite3'}",
        "probe": f"sqlite:///{tmp_path / 'var' / 'probe.sqlite3'}",
    }
    env = {"INVENTORY_DATABASE_URL": urls["inventory"], "PROBE_DATABASE_URL": urls["probe"]}
    migrate.upgrade("inventory", urls["inventory"])
    probe_engine = engine_for(urls["probe"])
    probe.create_tables(probe_engine)

    from services.inventory.service import Service

    def start():
        # The consumer first: its queue must exist before the relay publishes.
        consumer = container_factory(probe.Probe, config_for(probe=urls["probe"]))
        consumer.start()
        inventory = container_factory(Service, config_for(inventory=urls["inventory"]))
        inventory.start()
        return consumer, inventory

    consumer, inventory = start()
    register_network(inventory)
    handled_before = 5  # 2 partners, 2 sites, 1 category
    wait_until(
        lambda: probe.effect_counts(probe_engine) == (5, 5), what="the network's events handled"
    )
    # The consumer stops: what the inventory writes from now on reaches its copy
    # only if the restored outbox publishes it again.
    consumer.stop()

    registered = []
    backup_done = eventlet.event.Event()

    def register():
        registered.append(call(inventory, "register_item", tablet(f"JV-TAB-{len(registered):03d}")))

    def keep_registering():
        while not backup_done.ready():
            register()
        register()  # at least one change the backup cannot hold

    writer = eventlet.spawn(keep_registering)
    wait_until(lambda: len(registered) >= 3, what="the inventory writing")
    run_backup("create", str(tmp_path / "backup"), "inventory", "probe", env=env)
    backup_done.send()
    writer.wait()
    inventory.stop()

    # The broker was lost with the machine: the consumer's waiting events with it.
    with Connection(rabbit_config["AMQP_URI"]) as connection:
        connection.default_channel.queue_delete(probe.SUBSCRIPTION.queue)

    probe_engine.dispose()  # nothing may hold the files a restore replaces
    output = run_backup("restore", str(tmp_path / "backup"), "inventory", "probe", env=env)
    assert "inventory: restored" in output

    inventory_engine = engine_for(urls["inventory"])
    with inventory_engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"
        head = ScriptDirectory.from_config(migrate.alembic_config("inventory", urls["inventory"]))
        assert (
            MigrationContext.configure(connection).get_current_revision() == head.get_current_head()
        )
        items = connection.exec_driver_sql("SELECT count(*) FROM items").scalar()
        items_announced = connection.execute(
            select(func.count())
            .select_from(outbox)
            .where(outbox.c.event_type == "inventory.item_registered")
        ).scalar()
    # One snapshot, taken while the writer went on: each item with its event, the later ones absent.
    assert 3 <= items == items_announced < len(registered)
    restored_events = outbox_rows(inventory_engine)
    assert all(published_at is None for _event_id, published_at in restored_events)

    consumer, inventory = start()
    wait_until(
        lambda: probe.effect_counts(probe_engine)[0] == len(restored_events),
        timeout=20,
        what="every restored event handled",
    )
    wait_until(
        lambda: all(published_at for _id, published_at in outbox_rows(inventory_engine)),
        what="the restored outbox published",
    )

    effects, distinct = probe.effect_counts(probe_engine)
    # The 5 events the consumer had handled were delivered again and absorbed;
    # the items the consumer never saw were handled once.
    assert effects == distinct == len(restored_events) == handled_before + items


def test_republish_marks_as_pending_only_what_was_published_since_shortly_before_the_backup(
    database_url,
    engine_for,
):
    migrate.upgrade("inventory", database_url)
    began = datetime(2026, 12, 4, 3, 0, tzinfo=UTC)
    rows = {
        "long-before": began - timedelta(hours=1),
        "just-before": began - timedelta(minutes=1),
        "after": began + timedelta(minutes=10),
        "pending": None,
    }
    engine = engine_for(database_url)
    with engine.begin() as connection:
        for event_id, published_at in rows.items():
            connection.execute(
                insert(outbox).values(
                    event_id=event_id,
                    event_type="inventory.item_wiped",
                    body="{}",
                    created_at=began - timedelta(hours=2),
                    published_at=published_at,
                )
            )

    assert backup.republish(database_url, began) == 2

    pending = {event_id for event_id, published_at in outbox_rows(engine) if published_at is None}
    assert pending == {"just-before", "after", "pending"}


def test_a_postgresql_database_is_left_to_pg_dump(postgresql_url, tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "partanum.backup", "create", str(tmp_path), "inventory"],
        env={**os.environ, "INVENTORY_DATABASE_URL": postgresql_url},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    assert "pg_dump" in result.stderr


def test_a_database_that_is_not_there_is_named_and_nothing_is_backed_up(tmp_path):
    missing = tmp_path / "var" / "booking.sqlite3"

    with pytest.raises(SystemExit, match=f"booking has no database at {missing}"):
        backup.create(tmp_path / "backup", {"booking": f"sqlite:///{missing}"})

    assert not (tmp_path / "backup" / backup.MANIFEST).exists()

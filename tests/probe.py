"""A consumer service used by the plumbing tests: it records the effect of each
event it receives in its own database, through the inbox, and can be told to
fail so that retries and dead-lettering can be watched."""

from sqlalchemy import Column, Integer, MetaData, String, Table, func, insert, select

from partanum import inbox, topology
from partanum.consumer import handle_event_batches, handle_events
from partanum.dependencies import Database
from partanum.events import require
from partanum.tables import metadata as messaging_metadata
from services.inventory import events as inventory_contracts

require(inventory_contracts)

SUBSCRIPTION = topology.Subscription("probe.inventory", ("inventory.#",))
BATCH_SUBSCRIPTION = topology.Subscription("probe.batches", ("inventory.#",))

metadata = MetaData()
effects = Table(
    "effects",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("event_id", String(36), nullable=False),
    Column("event_type", String(100), nullable=False),
)

# Asset tag -> how many more times the probe refuses its events, to exercise retries.
FAILURES: dict[str, int] = {}
ALWAYS = 10**9


def create_tables(engine):
    metadata.create_all(engine)
    messaging_metadata.create_all(engine)


class Probe:
    name = "probe"
    db = Database()

    @handle_events(SUBSCRIPTION)
    def on_event(self, event):
        tag = event.data.get("asset_tag")
        if FAILURES.get(tag, 0) > 0:
            FAILURES[tag] -= 1
            raise RuntimeError(f"refusing {tag}")
        with self.db.transaction() as tx:
            if inbox.first_delivery(tx.session, "probe.on_event", event):
                tx.session.execute(
                    insert(effects).values(event_id=str(event.id), event_type=event.type)
                )
            tx.commit()


def effect_counts(engine) -> tuple[int, int]:
    """(effects recorded, distinct events among them)."""
    with engine.connect() as connection:
        return connection.execute(
            select(func.count(), func.count(effects.c.event_id.distinct()))
        ).one()


class BatchProbe:
    """The same effects, recorded a batch per transaction (as the audit log does); the
    whole batch fails when one of its events is refused."""

    name = "batch_probe"
    db = Database()

    @handle_event_batches(BATCH_SUBSCRIPTION)
    def on_events(self, events):
        for event in events:
            tag = event.data.get("asset_tag")
            if FAILURES.get(tag, 0) > 0:
                FAILURES[tag] -= 1
                raise RuntimeError(f"refusing {tag}")
        with self.db.transaction() as tx:
            for event in events:
                if inbox.first_delivery(tx.session, "batch_probe.on_events", event):
                    tx.session.execute(
                        insert(effects).values(event_id=str(event.id), event_type=event.type)
                    )
            tx.commit()

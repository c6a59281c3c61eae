"""The database provider: one unit of work per entrypoint call, and the outbox relay.

    class InventoryService:
        name = "inventory"
        db = Database()

        @rpc
        def retire_item(self, payload):
            with self.db.transaction() as tx:
                ...change tx.session...
                tx.emit("inventory.item_status_changed", {...})
                tx.commit()

The change and its events commit together, once; leaving the block without
`commit()` rolls everything back. The actor (who caused the change) comes from
the call's context data, so it follows every RPC into the events. So does the call's
deadline (partanum.deadline): past it, `commit()` raises DeadlinePassed and rolls
back, the events with the change, because the caller has given up.

Serving an RPC request that carries an id, `commit()` waits for the method's answer,
committed with it (partanum.rpc_requests): a request delivered again gets that answer
and changes nothing.
"""

from nameko.extensions import DependencyProvider
from sqlalchemy.orm import Session, sessionmaker

from partanum import events, outbox, rpc_requests
from partanum.config import SharedSettings
from partanum.deadline import Deadline, of_worker
from partanum.errors import DeadlinePassed

SYSTEM_ACTOR = "system"


class Transaction:
    def __init__(
        self,
        session: Session,
        producer: str,
        actor: str,
        on_commit,
        deadline: Deadline | None = None,
        request: rpc_requests.Request | None = None,
    ):
        self.session = session
        self.producer = producer
        self.actor = actor
        self._on_commit = on_commit
        self.deadline = deadline
        self.request = request
        self.events: list[dict] = []

    def emit(self, event_type: str, data: dict) -> dict:
        body = events.make_event(event_type, data, producer=self.producer, actor=self.actor)
        outbox.add(self.session, body)
        self.events.append(body)
        return body

    def commit(self) -> None:
        self.session.flush()  # the statements' time counts: check once they are done
        if self.deadline is not None and self.deadline.passed():
            raise DeadlinePassed(f"{self.producer}'s transaction")
        if self.request is not None:
            self.request.look_up(self.session)  # carried out before: AlreadyCarriedOut
            self.request.hold(self)  # committed with the answer, once the method returns
            return
        self.commit_now()

    def commit_now(self) -> None:
        self.session.commit()
        if self.events:
            self._on_commit()

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        if self.request is None or self.request.held is not self:
            self.session.close()  # rolls back whatever was not committed


class UnitOfWork:
    """What an entrypoint gets: opens transactions bound to its service and actor."""

    def __init__(
        self,
        sessions: sessionmaker,
        producer: str,
        actor: str,
        on_commit,
        deadline: Deadline | None = None,
        request: rpc_requests.Request | None = None,
    ):
        self._sessions = sessions
        self.producer = producer
        self.actor = actor
        self._on_commit = on_commit
        self.deadline = deadline
        self.request = request

    def transaction(self) -> Transaction:
        request = self.request
        if request is not None and request.held is not None:
            request.commit_held(None)  # one transaction at a time: its answer comes later
        session = self._sessions()
        return Transaction(
            session, self.producer, self.actor, self._on_commit, self.deadline, request
        )


class ServiceSettings(DependencyProvider):
    """The service's settings (its `services/<name>/settings.py`), read from the
    nameko config once, when the service starts: a bad value stops it there."""

    def __init__(self, settings_class: type[SharedSettings]):
        self.settings_class = settings_class

    def setup(self):
        self.settings = self.settings_class.from_config(self.container.config)

    def get_dependency(self, worker_ctx):
        return self.settings


class Database(DependencyProvider):
    def setup(self):
        from partanum.db import make_engine

        config = self.container.config
        settings = SharedSettings.from_config(config)
        service = self.container.service_name
        self.engine = make_engine(config["DATABASE_URLS"][service], pool_size=settings.max_workers)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)
        self.records = rpc_requests.Records(self.sessions, service)
        relay = outbox.OutboxRelay(self.engine, outbox.EventPublisher(settings.amqp_uri))
        self.relay_loop = outbox.RelayLoop(relay, settings.relay_poll_interval)
        self.relay_enabled = settings.relay_enabled

    def start(self):
        if self.relay_enabled:
            self.container.spawn_managed_thread(self.relay_loop.run)
            self.relay_loop.wake()  # publish what a previous process left pending

    def stop(self):
        self.relay_loop.stop()
        self.engine.dispose()

    def kill(self):
        self.relay_loop.stop()

    def get_dependency(self, worker_ctx):
        actor = worker_ctx.context_data.get("actor") or SYSTEM_ACTOR
        return UnitOfWork(
            self.sessions,
            self.container.service_name,
            actor,
            self.relay_loop.wake,
            of_worker(worker_ctx),
            self.records.request_of(worker_ctx),
        )

    def worker_result(self, worker_ctx, result=None, exc_info=None):
        # partanum.rpc.Rpc settles before it answers; this is for a worker started
        # otherwise (nameko's entrypoint_hook), which nobody answers.
        rpc_requests.settle(worker_ctx, result, exc_info)

    def worker_teardown(self, worker_ctx):
        rpc_requests.forget(worker_ctx)

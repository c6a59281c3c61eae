"""The caller's time left travels with every call, on both databases: a check-out its
caller gave up on is not committed when the booking gets to it late, and a service's
own calls pass on what is left of its deadline. The caller is a service that calls the
booking as the gateway does, through its TimedRpcProxy."""

from contextlib import contextmanager

import pytest
from nameko.extensions import DependencyProvider
from nameko.rpc import rpc
from nameko.testing.services import entrypoint_hook, entrypoint_waiter
from nameko.testing.utils import get_extension
from sqlalchemy import func, select, text

from partanum.dependencies import Database
from partanum.errors import DeadlinePassed
from partanum.rpc import RpcProxy
from services.booking.models import Loan
from services.gateway.rpc import TimedRpcProxy
from tests.integration.helpers import lend, register

RPC_TIMEOUT = 2.0


class Counter:
    """Stands for the gateway: calls the booking with the gateway's own proxy."""

    name = "counter"
    booking = TimedRpcProxy("booking")

    @rpc
    def check_out(self, payload):
        return self.booking.check_out(payload)

    @rpc
    def check_out_sent_ahead(self, payload):
        """As a page that asks several questions at once and waits for the answers."""
        return self.booking.check_out.call_async(payload).result()


@pytest.fixture
def counter(container_factory, config_for):
    container = container_factory(Counter, {**config_for(), "RPC_TIMEOUT": RPC_TIMEOUT})
    container.start()
    return container


@contextmanager
def check_outs_held_up(booking_container, engine):
    """Makes the booking's check-outs wait while the block lasts, as a busy database would:
    on SQLite its one connection is taken (the booking's green threads queue for it), on
    PostgreSQL the loans table is locked."""
    if engine.dialect.name == "sqlite":
        with get_extension(booking_container, Database).engine.connect():
            yield
        return
    with engine.begin() as connection:
        connection.execute(text("LOCK TABLE loans IN EXCLUSIVE MODE"))
        yield


def loans(engine) -> int:
    with engine.connect() as connection:
        return connection.execute(select(func.count()).select_from(Loan)).scalar()


@pytest.mark.parametrize(
    "waiting",
    [
        "check_out",
        # As a page that asks several questions at once and waits for the answers.
        "check_out_sent_ahead",
    ],
)
def test_a_check_out_its_caller_gave_up_on_is_not_committed_when_the_booking_gets_to_it(
    desk, counter, waiting
):
    resident = register(desk)
    lend_a_laptop = {"asset_tag": "JV-LAP-001", "resident_id": resident["id"], "site": "jean-vilar"}

    with entrypoint_waiter(desk.booking, "check_out", timeout=30) as booking_outcome:
        with check_outs_held_up(desk.booking, desk.db):
            with (
                entrypoint_hook(counter, waiting) as check_out,
                pytest.raises(DeadlinePassed),
            ):  # what the gateway answers 503 for
                check_out(lend_a_laptop)

    with pytest.raises(DeadlinePassed):  # the booking got to it, too late: refused
        booking_outcome.get()
    assert loans(desk.db) == 0
    assert lend(desk, resident["id"])["asset_tag"] == "JV-LAP-001"  # asked again: lent


class ContextData(DependencyProvider):
    def get_dependency(self, worker_ctx):
        return worker_ctx.context_data


class Inner:
    name = "inner"
    context_data = ContextData()

    @rpc
    def budget(self):
        return self.context_data.get("budget")


class Outer:
    name = "outer"
    inner = RpcProxy("inner")

    @rpc
    def budget_of_inner(self):
        return self.inner.budget()


@pytest.fixture
def outer(container_factory, config_for):
    container_factory(Inner, config_for()).start()
    container = container_factory(Outer, config_for())
    container.start()
    return container


def test_a_service_passes_on_to_its_own_calls_what_is_left_of_its_deadline(outer):
    with entrypoint_hook(outer, "budget_of_inner", context_data={"budget": 10.0}) as call:
        passed_on = call()
    with entrypoint_hook(outer, "budget_of_inner") as call:
        without_deadline = call()

    assert 6.0 < passed_on <= 6.5  # 65 % of what was left, as partanum.deadline splits it
    assert without_deadline is None  # a timer or an event handler: no limit, as before

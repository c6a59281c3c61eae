"""An RPC request carried out once, however often it is delivered.

A request comes again when the broker node that handed it out dies before the service
acknowledged it (its quorum queue hands it out again), or when its caller sends it
again. Every call carries a request id in its context data (CONTEXT_KEY, a message
header; partanum.rpc and partanum.standalone give each call its own). A service that
commits something while serving a request records the id with the answer it sends
(`rpc_requests`, partanum/tables.py) in the transaction of that change. Delivered again,
the request finds its record as its worker first commits (or is refused: a device
registered already), its change rolled back, and gets the recorded answer, result or
error. A request that commits nothing (a read) is neither looked up nor recorded: it
changes nothing however often it comes, and costs nothing more.

The answer is known only once the RPC method has returned, after its `tx.commit()`. So
a worker serving a request with an id holds its commit (partanum.dependencies): commit()
flushes and checks the deadline as ever, then leaves the transaction open until the
method has returned; the entrypoint (partanum.rpc.Rpc) then writes the answer into it,
commits, and only then sends the answer. Hence:

- A method that opens another transaction after committing one commits the held one
  first, without its answer (NULL), written once known; a delivery arriving meanwhile
  waits a moment for it.
- The service's database connection stays with the worker until its method returns: an
  RPC method never waits, after committing, for a call back into its own service.
- Two deliveries at once (the first worker still running when the second commits): each
  look-up inserts the request's record (its answer NULL), the id being the table's key,
  and the second's insert waits for the first's transaction (PostgreSQL waits on a key
  another transaction is inserting; SQLite runs one transaction at a time anyway): the
  first's committed, the second inserts nothing and sends the recorded answer; the
  first's rolled back, the second carries the request out. (Two statements a request,
  the record and then its answer, where a lock, a read and the record's insert made
  three of a reservation's ten round trips to PostgreSQL.)

Records are kept a day (KEEP), purged every few minutes by a write.
"""

import itertools
import logging
import sys
import time
import uuid
import weakref
from datetime import UTC, datetime, timedelta
from typing import Protocol, cast

import eventlet
import kombu.serialization
from kombu.utils import json
from nameko.exceptions import UnserializableValueError, serialize
from sqlalchemy import CursorResult, bindparam, delete, select, update
from sqlalchemy.orm import Session, sessionmaker

from partanum.db import insert_once
from partanum.errors import Conflict
from partanum.tables import rpc_requests

log = logging.getLogger(__name__)

# The id in a call's context data (the message header `nameko.request_id`).
CONTEXT_KEY = "request_id"
MAX_ID_LENGTH = 64  # the column's; a longer id is ignored, and the call served as ever
# Long past any redelivery, which comes as soon as a service takes the request up
# again (with a deadline, it expires in its queue after a quarter of it: partanum.deadline).
KEEP = timedelta(days=1)
PURGE_EVERY = timedelta(minutes=10)
# How long a delivery waits for the answer of the same request's first run, which has
# committed a first transaction and not yet answered.
ANSWER_WAIT_SECONDS = 5.0

# In the log line of each request answered from its record.
ANSWERED_FROM_RECORD = "answered from its record"

# Calls made while serving a request get ids derived from its own (uuid5 in this space).
_CALLS_NAMESPACE = uuid.UUID("5f0c1a0e-6b7e-4f53-9a43-2d5c3c2b8e71")

# The same statements every time, their values as parameters.
_LOOK_UP = select(rpc_requests.c.answer).where(rpc_requests.c.request_id == bindparam("id"))
_ANSWER = (
    update(rpc_requests)
    .where(rpc_requests.c.request_id == bindparam("id"))
    .values(answer=bindparam("recorded"))
)


class Held(Protocol):
    """What a held transaction offers (partanum.dependencies.Transaction)."""

    session: Session

    def commit_now(self) -> None: ...


class AlreadyCarriedOut(Exception):
    """Raised in a worker whose request was carried out before: the entrypoint sends the
    recorded answer instead of running the method."""

    def __init__(self, request_id: str):
        super().__init__(request_id)
        self.request_id = request_id

    def __str__(self):
        return f"request {self.request_id} was carried out before: its answer is sent again"


def request_id_of(worker_ctx) -> str | None:
    """The id of the request a worker serves, None when its caller gave none."""
    value = worker_ctx.context_data.get(CONTEXT_KEY)
    return value if isinstance(value, str) and 0 < len(value) <= MAX_ID_LENGTH else None


# --- the caller's side ----------------------------------------------------------------

_calls: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # worker context -> count


def id_for_call(worker_ctx, target: str) -> str:
    """The request id of a new call to `target` ("service.method") by this worker.

    A worker serving a request derives its calls' ids from that request's, in the order
    it makes them: run again (its first run committed nothing and gave no answer), it
    makes the same calls under the same ids, and their services answer from their
    records instead of doing them twice."""
    served = request_id_of(worker_ctx)
    if served is None:
        return str(uuid.uuid4())
    count = _calls.setdefault(worker_ctx, itertools.count())
    return str(uuid.uuid5(_CALLS_NAMESPACE, f"{served}/{next(count)}/{target}"))


# --- the service's side ---------------------------------------------------------------


class Records:
    """One service database's records of the requests it carried out."""

    def __init__(self, sessions: sessionmaker, service: str):
        self.sessions = sessions
        self.service = service
        self._last_purge: float | None = None

    def request_of(self, worker_ctx) -> "Request | None":
        """The request `worker_ctx` serves, if it is an RPC call that carries an id."""
        request = _requests.get(worker_ctx)
        if request is None:
            request_id = request_id_of(worker_ctx)
            # Only partanum.rpc.Rpc answers with settle(): others keep nameko's ways.
            if request_id is None or not getattr(worker_ctx.entrypoint, "records_answers", False):
                return None
            method = f"{self.service}.{worker_ctx.entrypoint.method_name}"
            request = _requests[worker_ctx] = Request(self, request_id, method)
        return request

    def purge_now_and_then(self) -> None:
        now = time.monotonic()
        if self._last_purge is not None and now - self._last_purge < PURGE_EVERY.total_seconds():
            return
        self._last_purge = now
        try:
            with self.sessions() as session:
                old = rpc_requests.c.carried_out_at < datetime.now(UTC) - KEEP
                session.execute(delete(rpc_requests).where(old))
                session.commit()
        except Exception:  # noqa: BLE001 -- old records wait for the next purge
            log.exception("purging the old records of %s's requests failed", self.service)


class Request:
    """A request as the worker serving it goes: looked up as it first commits, its
    commit held until its answer is known."""

    def __init__(self, records: Records, request_id: str, method: str):
        self.records = records
        self.id = request_id
        self.method = method
        self.looked_up = False
        self.recorded = False  # its record committed, with or without its answer
        self.settled = False
        self.held: Held | None = None  # the transaction whose commit waits for the answer

    def look_up(self, session: Session) -> None:
        """As the worker's first commit begins, record the request (its answer to come):
        AlreadyCarriedOut if another delivery recorded it. A request that commits nothing
        (a read) is never looked up: it changes nothing however often it comes."""
        if self.looked_up:
            return
        self.looked_up = True
        recorded = session.execute(
            insert_once(rpc_requests, session.get_bind().dialect.name),
            {
                "request_id": self.id,
                "method": self.method,
                "answer": None,
                "carried_out_at": datetime.now(UTC),
            },
        )
        if cast(CursorResult, recorded).rowcount != 1:
            raise AlreadyCarriedOut(self.id)

    def hold(self, tx: Held) -> None:
        self.held = tx

    def commit_held(self, answer: str | None) -> None:
        """Commit the held transaction, with `answer` in this request's record."""
        tx, self.held = self.held, None
        assert tx is not None
        try:
            if answer is not None:
                tx.session.execute(_ANSWER, {"id": self.id, "recorded": answer})
            tx.commit_now()
        finally:
            tx.session.close()
        self.recorded = True
        self.records.purge_now_and_then()

    def write_answer(self, answer: str) -> None:
        """The answer of a request whose last transaction committed without it."""
        with self.records.sessions() as session:
            session.execute(_ANSWER, {"id": self.id, "recorded": answer})
            session.commit()

    def recorded_answer(self) -> dict | None:
        """The answer recorded for this request by a run of it; None if none recorded it.
        That run may still be writing its answer (a call of several transactions): it is
        given a moment."""
        waited_until = time.monotonic() + ANSWER_WAIT_SECONDS
        while True:
            with self.records.sessions() as session:
                row = session.execute(_LOOK_UP, {"id": self.id}).first()
            if row is None:
                return None
            if row.answer is not None:
                return json.loads(row.answer)
            if time.monotonic() >= waited_until:
                lost = Conflict(
                    "this request was carried out, but its answer was lost",
                    {"request_id": self.id},
                )
                return {"result": None, "error": serialize(lost)}
            eventlet.sleep(0.1)

    def close(self) -> None:
        """Roll back whatever is still held (the worker ends without settling)."""
        tx, self.held = self.held, None
        if tx is not None:
            tx.session.close()


_requests: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # worker context -> Request


def settle(worker_ctx, result, exc_info) -> dict | None:
    """Once the method of `worker_ctx` has returned (`result`) or raised (`exc_info`):
    commit its held transaction with that answer, and return the answer to send in its
    stead, if the request was carried out by another delivery ({"result", "error"} as
    first sent); None: send this one. Never raises: nameko would stop the service."""
    request = _requests.get(worker_ctx)
    if request is None or request.settled:
        return None
    request.settled = True
    try:
        return _settle(request, result, exc_info)
    except Exception:  # noqa: BLE001 -- the database away: the caller is told it failed
        log.exception("answering request %s (%s) failed", request.id, request.method)
        return answer_of(None, sys.exc_info())


def _settle(request: Request, result, exc_info) -> dict | None:
    if exc_info is not None and isinstance(exc_info[1], AlreadyCarriedOut):
        return _from_record(request, "carried out before")
    if request.held is not None:
        request.commit_held(json.dumps(answer_of(result, exc_info)))
    elif request.recorded:
        try:
            request.write_answer(json.dumps(answer_of(result, exc_info)))
        except Exception:  # noqa: BLE001 -- its change is committed: its caller gets the answer
            log.exception("the answer to request %s could not be recorded", request.id)
    elif exc_info is not None:
        # Refused, perhaps, for what another delivery of it did (a device registered
        # already): answered as that one was, if one was.
        return _from_record(request, "refused, and carried out by another delivery")
    return None  # nothing changed: nothing to record, the answer goes as it is


def _from_record(request: Request, how: str) -> dict | None:
    answer = request.recorded_answer()
    if answer is not None:
        log.info("request %s (%s) %s: %s", request.id, request.method, how, ANSWERED_FROM_RECORD)
    return answer


def forget(worker_ctx) -> None:
    """The worker is over: whatever it still held is rolled back."""
    request = _requests.pop(worker_ctx, None)
    if request is not None:
        request.close()


def answer_of(result, exc_info) -> dict:
    """The answer nameko's Responder sends for this outcome ({"result", "error"})."""
    error = serialize(exc_info[1]) if exc_info is not None else None
    try:
        kombu.serialization.dumps(result, "json")
    except Exception:  # noqa: BLE001 -- as nameko's Responder, which sends this error
        error, result = serialize(UnserializableValueError(result)), None
    return {"result": result, "error": error}

"""How long a call may still take: the caller's patience travels with every RPC.

The gateway waits RPC_TIMEOUT seconds for a service, then answers 503: the person at
the desk is told it failed, so the service must not carry the request out afterwards.
Every call therefore carries the time its caller will still wait, as a budget in
seconds (never a clock time: machines' clocks differ), which the service turns into a
deadline on its own monotonic clock as the worker starts. Its unit of work refuses to
commit past it (partanum.dependencies), and the calls it makes in turn pass on what
is left of it (partanum.rpc).

A budget counts from when the service takes the request up, so the time the request
may wait in the queue is bounded too. With T seconds left, the call expires in the
queue after a quarter of T (RabbitMQ drops it unseen) and the budget is 65 % of T:
taken up at the last moment, the work still commits before 90 % of T has passed; the
last tenth is for the answer's way back and the gaps between the hops. Work gets the
larger share: a request waits in the queue only when the service is down or swamped,
and then it is better refused early than carried out late.
"""

import time
import weakref

# The name of the budget in a call's context data (a header of the message).
CONTEXT_KEY = "budget"
QUEUE_SHARE = 0.25
WORK_SHARE = 0.65


class Deadline:
    """A moment on this process's monotonic clock."""

    def __init__(self, at: float):
        self.at = at

    @classmethod
    def after(cls, seconds: float) -> "Deadline":
        return cls(time.monotonic() + seconds)

    def left(self) -> float:
        return self.at - time.monotonic()

    def passed(self) -> bool:
        return self.left() <= 0


def split(time_left: float) -> tuple[float, float]:
    """(seconds the call may wait in the queue, its budget once taken up)."""
    return time_left * QUEUE_SHARE, time_left * WORK_SHARE


_deadlines: weakref.WeakKeyDictionary = (
    weakref.WeakKeyDictionary()
)  # worker context -> its Deadline or None


def of_worker(worker_ctx) -> Deadline | None:
    """The deadline of the call a worker serves, None when its caller set none (a timer,
    an event, a script). Fixed the first time it is asked for, which is when the worker
    starts: nameko gives a worker its dependencies first."""
    if worker_ctx not in _deadlines:
        budget = worker_ctx.context_data.get(CONTEXT_KEY)
        _deadlines[worker_ctx] = None if budget is None else Deadline.after(float(budget))
    return _deadlines[worker_ctx]

"""Run one or more Partanum services in this process.

    python -m partanum.run inventory [booking notifications] [--no-migrate]

Migrates each service's database, declares the broker topology, then serves
until SIGTERM or Ctrl-C (any number of them: the first stops the services, which
are killed if still busy after GRACE_SECONDS). Exits 2 when RabbitMQ does not
answer (or still has classic queues) or a setting has a bad value, 3 when the gateway's address
is taken. Configuration comes from the environment
(partanum.config). One service per process is the deployed shape; several in
one process is handy on a laptop.
"""

import eventlet

eventlet.monkey_patch()  # must precede every other import (pyproject.toml: per-file-ignores)

import argparse
import gc
import importlib
import logging
import signal
import sys

from amqp.exceptions import PreconditionFailed
from kombu import Connection, Queue
from nameko.runners import ServiceRunner

from partanum import config, migrate, topology
from partanum.settings import SettingError

log = logging.getLogger("partanum.run")
GC_THRESHOLD = 50_000  # allocations between young collections (Python's default: 700)
# How long stopping may take before what still runs is killed: under the 10 s that
# docker compose waits after SIGTERM before it sends SIGKILL.
GRACE_SECONDS = 8
CANNOT_START = 3  # exit status: the gateway's address is taken
BAD_SETTING = 2  # exit status: a setting's value cannot be used, as argparse's bad arguments


def service_class(name: str):
    module = importlib.import_module(f"services.{name}.service")
    return module.Service


def broker_problem(amqp_uri: str, services=()) -> str | None:
    """Why the services cannot use the broker at `amqp_uri`; None when they can."""
    try:
        with Connection(amqp_uri, connect_timeout=5) as connection:
            connection.ensure_connection(max_retries=1)
            topology.declare(connection.default_channel)
            for name in services:  # nameko's RPC queues, as partanum.rpc declares them
                Queue(
                    f"rpc-{name}", durable=True, queue_arguments=topology.rpc_queue_arguments()
                ).declare(channel=connection.default_channel)
        return None
    except PreconditionFailed as error:
        log.error("RabbitMQ at %s refused the topology: %s", _safe(amqp_uri), error)
        return (
            f"RabbitMQ at {_safe(amqp_uri)} still has the classic queues of an earlier "
            f"Partanum version ({error.reply_text}).\n"
            "Stop every Partanum service using it, then move them to quorum queues, "
            "messages kept:\n    python -m partanum.topology migrate\n"
            'and start again (README.md, "Moving to quorum queues").'
        )
    except Exception as error:  # noqa: BLE001 -- any other failure means "not reachable"
        log.error("cannot reach RabbitMQ at %s: %s", _safe(amqp_uri), error)
        return (
            f"RabbitMQ does not answer at {_safe(amqp_uri)}.\n"
            "Start one (`rabbitmq-server -detached`, or `docker run -d -p 5672:5672 "
            "rabbitmq:3-management`) or point AMQP_URI at yours."
        )


def _safe(uri: str) -> str:
    from kombu.utils.url import maybe_sanitize_url

    return maybe_sanitize_url(uri)


def http_address_taken(address: str) -> str | None:
    """Why the gateway cannot listen on its address (another Partanum holds it, say),
    found before any service starts: a second instance must not serve at all."""
    from partanum.web_server import listen

    try:
        listen(address).close()
    except OSError as error:
        return str(error)
    return None


class OneLineForExpectedErrors(logging.Filter):
    """nameko logs an entrypoint's expected exception (not found, conflict, invalid
    input: answers, not failures) at WARNING with its whole traceback
    (ServiceContainer._run_worker). One line at INFO says it: the call and the class,
    not the message, which may hold what was looked for (a card or phone number)."""

    def filter(self, record):
        if record.exc_info and str(record.msg).startswith("(expected)"):
            worker_ctx, error = record.args
            record.msg, record.args = "%s refused: %s", (worker_ctx.call_id, type(error).__name__)
            record.exc_info = record.exc_text = None
            record.levelno, record.levelname = logging.INFO, "INFO"
        return True


def configure_logging() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    logging.getLogger("nameko.containers").addFilter(OneLineForExpectedErrors())


class Shutdown:
    """Stops the services once, whatever number of SIGTERM and SIGINT arrive (`make
    run`'s Ctrl-C trap and a group kill both send them): a second stop of nameko's
    runner hangs it for good (its timers may be told to stop only once)."""

    def __init__(self, runner: ServiceRunner):
        self.runner = runner
        self.begun = False

    def __call__(self, signum, _frame):
        if self.begun:
            log.info("already stopping (signal %s)", signum)
            return
        self.begun = True
        # A signal handler runs outside any green thread: stop in one.
        eventlet.spawn_n(self._stop)

    def _stop(self):
        try:
            with eventlet.Timeout(GRACE_SECONDS):
                self.runner.stop()
            return
        except eventlet.Timeout:
            log.warning("still busy after %s s: killing the services", GRACE_SECONDS)
        except Exception:  # noqa: BLE001 -- whatever failed, the process must end
            log.exception("stopping failed: killing the services")
        self.runner.kill()


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m partanum.run",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("services", nargs="+", choices=config.SERVICES)
    parser.add_argument("--no-migrate", action="store_true")
    args = parser.parse_args(argv)
    configure_logging()

    try:
        nameko_config = config.nameko_config(args.services)
    except SettingError as error:
        print(f"Cannot start {', '.join(args.services)}: {error}", file=sys.stderr)
        return BAD_SETTING
    amqp_uri = nameko_config["AMQP_URI"]
    problem = broker_problem(amqp_uri, args.services)
    if problem:
        print(problem, file=sys.stderr)
        return 2
    taken = "gateway" in args.services and http_address_taken(nameko_config["WEB_SERVER_ADDRESS"])
    if taken:
        print(f"Cannot start {', '.join(args.services)}: {taken}", file=sys.stderr)
        return CANNOT_START
    if not args.no_migrate:
        for name in args.services:
            migrate.upgrade(name)

    runner = ServiceRunner(nameko_config)
    for name in args.services:
        runner.add_service(service_class(name))

    shutdown = Shutdown(runner)
    signal.signal(signal.SIGTERM, shutdown)
    signal.signal(signal.SIGINT, shutdown)
    runner.start()
    # Everything loaded so far lives as long as the process: keep the cyclic
    # garbage collector off it, and let it run less often. Requests allocate
    # many short-lived objects (ORM rows, messages); measured in bench/
    # (availability_latency), collections were most of the p99.
    gc.collect()
    gc.freeze()
    gc.set_threshold(GC_THRESHOLD, 20, 20)
    log.info("serving %s", ", ".join(args.services))
    runner.wait()
    return 0


if __name__ == "__main__":
    sys.exit(main())

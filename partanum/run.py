"""Run one or more Partanum services in this process.

    python -m partanum.run inventory [booking notifications] [--no-migrate]

Migrates each service's database, declares the broker topology, then serves
until SIGTERM or Ctrl-C. Configuration comes from the environment
(partanum.config). One service per process is the deployed shape; several in
one process is handy on a laptop.
"""
import eventlet

eventlet.monkey_patch()  # noqa: E402 -- must precede every other import

import argparse  # noqa: E402
import gc  # noqa: E402
import importlib  # noqa: E402
import logging  # noqa: E402
import signal  # noqa: E402
import sys  # noqa: E402

from kombu import Connection  # noqa: E402
from nameko.runners import ServiceRunner  # noqa: E402

from partanum import config, migrate, topology  # noqa: E402

log = logging.getLogger("partanum.run")
GC_THRESHOLD = 50_000  # allocations between young collections (Python's default: 700)


def service_class(name: str):
    module = importlib.import_module(f"services.{name}.service")
    return module.Service


def broker_reachable(amqp_uri: str) -> bool:
    try:
        with Connection(amqp_uri, connect_timeout=5) as connection:
            connection.ensure_connection(max_retries=1)
            topology.declare(connection.default_channel)
        return True
    except Exception as error:  # noqa: BLE001 -- any failure means "not reachable"
        log.error("cannot reach RabbitMQ at %s: %s", _safe(amqp_uri), error)
        return False


def _safe(uri: str) -> str:
    from kombu.utils.url import maybe_sanitize_url

    return maybe_sanitize_url(uri)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m partanum.run", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("services", nargs="+", choices=config.SERVICES)
    parser.add_argument("--no-migrate", action="store_true")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")

    amqp_uri = config.amqp_uri()
    if not broker_reachable(amqp_uri):
        print(
            f"RabbitMQ does not answer at {_safe(amqp_uri)}.\n"
            "Start one (`rabbitmq-server -detached`, or `docker run -d -p 5672:5672 "
            "rabbitmq:3-management`) or point AMQP_URI at yours.",
            file=sys.stderr,
        )
        return 2
    if not args.no_migrate:
        for name in args.services:
            migrate.upgrade(name)

    runner = ServiceRunner(config.nameko_config())
    for name in args.services:
        runner.add_service(service_class(name))

    def shutdown(_signum, _frame):
        eventlet.spawn(runner.stop)

    signal.signal(signal.SIGTERM, shutdown)
    runner.start()
    # Everything loaded so far lives as long as the process: keep the cyclic
    # garbage collector off it, and let it run less often. Requests allocate
    # many short-lived objects (ORM rows, messages); measured in bench/
    # (availability_latency), collections were most of the p99.
    gc.collect()
    gc.freeze()
    gc.set_threshold(GC_THRESHOLD, 20, 20)
    log.info("serving %s", ", ".join(args.services))
    try:
        runner.wait()
    except KeyboardInterrupt:
        runner.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())

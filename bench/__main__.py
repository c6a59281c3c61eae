"""Run the benchmarks and print one `name: value unit` line per figure.

    python -m bench [--database sqlite|postgresql|both] [--items N] [--only NAME …]

Needs RabbitMQ (with its management plugin) and, for PostgreSQL, a server on
127.0.0.1 that user postgres may create databases on (see bench.support for the
environment variables that point elsewhere). The lines are also written to
bench/results/latest.txt.
"""

import warnings

# nameko 2 runs on eventlet, deprecated upstream: a known choice, not news for each run.
warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")

import eventlet

eventlet.monkey_patch()  # first: nameko's standalone proxy needs green sockets

import argparse
import sys
import tempfile
import time
import traceback
from pathlib import Path

from bench import (
    audit_intake,
    availability_latency,
    booking_throughput,
    dashboard,
    desk_pages,
    http_booking_throughput,
    inventory_register,
    notification_latency,
    raw_tx_publish,
    request_cpu,
    scale_out,
    support,
    utilisation_year,
)

# Run in this order, on each database; a later benchmark may use an earlier
# one's figures (inventory_register and booking_throughput report their ratio
# to raw_tx_publish, http_booking_throughput to both booking_throughput and
# raw_tx_publish). availability_latency runs on PostgreSQL only; utilisation_year,
# which uses no database, runs once.
BENCHMARKS = [
    raw_tx_publish,
    inventory_register,
    booking_throughput,
    scale_out,
    request_cpu,
    http_booking_throughput,
    availability_latency,
    notification_latency,
    audit_intake,
    desk_pages,
    utilisation_year,
    dashboard,
]

RESULTS = Path(__file__).resolve().parent / "results" / "latest.txt"


def name_of(module) -> str:
    return module.__name__.rsplit(".", 1)[-1]


def positive(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError("a whole number of at least 1")
    return int(text)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--database", choices=[*support.DATABASES, "both"], default="both")
    parser.add_argument(
        "--items", type=positive, default=500, help="operations per benchmark (default 500)"
    )
    parser.add_argument(
        "--only",
        action="append",
        choices=[name_of(m) for m in BENCHMARKS],
        help="run only this benchmark (repeatable)",
    )
    args = parser.parse_args(argv)
    databases = support.DATABASES if args.database == "both" else (args.database,)
    benchmarks = [m for m in BENCHMARKS if not args.only or name_of(m) in args.only]

    support.note(support.machine())
    support.note(support.broker_version())
    if "postgresql" in databases:
        support.note(support.postgres_version())
    support.note(
        f"N = {args.items} per benchmark; databases: {', '.join(databases)}; "
        f"{support.load_average()} (other work on the machine skews the figures)"
    )

    failed = []
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="partanum-bench-") as workdir:
        bench = support.Run(items=args.items, workdir=Path(workdir))
        for database in databases:
            for module in benchmarks:
                try:
                    results = module.run(bench, database)
                except Exception:  # noqa: BLE001 -- report it, run the others
                    failed.append(f"{name_of(module)} ({database})")
                    support.note(
                        f"{name_of(module)} on {database} failed:\n{traceback.format_exc()}"
                    )
                    continue
                bench.results.extend(results)
                for result in results:
                    print(result.line(), flush=True)

    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text("".join(result.line() + "\n" for result in bench.results))
    support.note(
        f"total {time.monotonic() - started:.0f} s, {support.load_average()}; "
        f"figures written to {RESULTS}"
    )
    if failed:
        support.note("failed: " + ", ".join(failed))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

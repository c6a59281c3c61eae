"""Rebuild the audit log by replaying events.

    python -m services.audit.replay export [--url …] > audit.jsonl   # every logged event, in log order
    python -m services.audit.replay load audit.jsonl [--url …]       # append those not logged yet

A file holds one event envelope per line (JSON). Loading checks each against its
contract and appends those the log does not have yet, so a file may repeat events
or mix their order; loading an export into an empty log in its order gives back
the same chain, hash for hash (compare the head that `python -m
services.audit.verify` prints). Events a service published in the last week are
also in its outbox: `psql -At -c "SELECT body FROM outbox ORDER BY id" inventory`
makes such a file.
"""

import argparse
import json
import sys
from itertools import islice

from sqlalchemy import select
from sqlalchemy.orm import Session

from partanum import config, migrate
from partanum.db import make_engine
from partanum.events import require
from services.audit import events as audit_events
from services.audit import facts, figures, log
from services.audit.models import ERASED, AuditEntry
from services.booking import events as booking_events
from services.inventory import events as inventory_events

# Every contract, to check what is loaded.
require(audit_events, booking_events, inventory_events)

BATCH = 1000  # events per transaction while loading


def export(session: Session, out) -> int:
    exported = 0
    # An erased body cannot be exported: a log rebuilt from an export lacks those entries.
    for body in session.scalars(
        select(AuditEntry.body)
        .where(AuditEntry.body != ERASED)
        .order_by(AuditEntry.seq)
        .execution_options(yield_per=BATCH)
    ):
        out.write(body + "\n")
        exported += 1
    return exported


def load(session: Session, lines) -> tuple[int, int]:
    """(events appended, events read) from lines of JSON envelopes."""
    envelopes = (json.loads(line) for line in lines if line.strip())
    appended = read = 0
    while batch := list(islice(envelopes, BATCH)):
        appended += log.replay(session, batch)
        read += len(batch)
        session.commit()
    return appended, read


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m services.audit.replay",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--url", default=None, help="database URL (default: AUDIT_DATABASE_URL)")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("export", help="every logged event, one JSON line each, in log order")
    load_cmd = commands.add_parser(
        "load", help="append the events of a file that are not logged yet"
    )
    load_cmd.add_argument("file", type=argparse.FileType("r", encoding="utf-8"))
    args = parser.parse_args(argv)
    url = args.url or config.database_url("audit")
    if args.command == "load":
        migrate.upgrade("audit", url)  # a new, empty log to rebuild, or an existing one
    engine = make_engine(url)
    try:
        with Session(engine) as session:
            if args.command == "export":
                export(session, sys.stdout)
            else:
                appended, read = load(session, args.file)
                print(f"appended {appended} of {read} events (the others were logged already)")
                # Loading appends without the figures (faster so): they follow at once.
                items = figures.rebuild(session, figures.zone_from_environment())
                facts.rebuild(session, figures.zone_from_environment())
                session.commit()
                print(f"figures rebuilt for {items} items")
    finally:
        engine.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())

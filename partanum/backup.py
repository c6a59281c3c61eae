"""Back up every service's SQLite database while the services run, and restore them.

    python -m partanum.backup create <dir> [service ...]     # while the services run
    python -m partanum.backup restore <dir> [service ...]    # with the services stopped
    python -m partanum.backup republish --since <time> [service ...]   # after a PostgreSQL restore

`create` copies each database with SQLite's online backup API: each copy is one
consistent snapshot, taken while the service keeps writing. The copies of
different services are taken one after another, so one service's copy may miss
events that another's copy had already published or handled. `restore` puts
the copies back and then marks every event published since shortly before the
backup began as pending again: the outbox relays publish them once more, the
consumers handle those their copy missed, and their inboxes absorb the others.

PostgreSQL is backed up with its own tools (pg_dump, or CloudNativePG's
scheduled backups on Kubernetes); after restoring it, run `republish` with the
time the backup began.
"""

import argparse
import json
import shutil
import sqlite3
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import update
from sqlalchemy.engine import make_url

from partanum import config
from partanum.db import make_engine
from partanum.tables import outbox

MANIFEST = "backup.json"

# Events published this long before the backup began are published again too:
# more than the clocks of two machines drift apart. A few extra deliveries cost
# nothing, the inboxes absorb them.
REPUBLISH_MARGIN = timedelta(minutes=5)


def create(directory: Path, databases: dict[str, str]) -> dict:
    """Copy each service's SQLite database into `directory`; return the manifest."""
    directory.mkdir(parents=True, exist_ok=True)
    manifest = {"started_at": datetime.now(UTC).isoformat(), "services": sorted(databases)}
    for service, url in databases.items():
        path = _sqlite_path(service, url)
        if not Path(path).exists():  # sqlite3 would say only "unable to open database file"
            raise SystemExit(f"{service} has no database at {path}")
        source = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        target = sqlite3.connect(directory / f"{service}.sqlite3")
        try:
            source.backup(target)  # all pages in one step: one snapshot
        finally:
            target.close()
            source.close()
    (directory / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n")
    return manifest


def restore(directory: Path, databases: dict[str, str]) -> dict[str, int]:
    """Put the copies in `directory` back (the services must be stopped), then mark
    the events published since the backup began as pending; return how many, per service."""
    manifest = json.loads((directory / MANIFEST).read_text())
    since = datetime.fromisoformat(manifest["started_at"])
    for service, url in databases.items():
        if service not in manifest["services"]:
            raise SystemExit(f"{directory} holds no backup of {service}")
        path = Path(_sqlite_path(service, url))
        # A write-ahead log left beside the old file would be replayed into the copy.
        for leftover in (path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
            leftover.unlink(missing_ok=True)
        path.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(directory / f"{service}.sqlite3", path)
    return {service: republish(url, since) for service, url in databases.items()}


def republish(url: str, since: datetime) -> int:
    """Mark the events a database's outbox published since `since` (less the margin)
    as pending again; return how many."""
    engine = make_engine(url)
    try:
        with engine.begin() as connection:
            return connection.execute(
                update(outbox)
                .where(outbox.c.published_at >= since - REPUBLISH_MARGIN)
                .values(published_at=None)
            ).rowcount
    finally:
        engine.dispose()


def _sqlite_path(service: str, url: str) -> str:
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        raise SystemExit(
            f"{service}'s database is not SQLite: back it up with pg_dump "
            "(or CloudNativePG's backups), then run `republish` after restoring it"
        )
    if not parsed.database:
        raise SystemExit(f"{service}'s SQLite URL names no file: {url}")
    return parsed.database


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m partanum.backup")
    commands = parser.add_subparsers(dest="command", required=True)
    for name in ("create", "restore"):
        command = commands.add_parser(name)
        command.add_argument("directory", type=Path)
        command.add_argument("services", nargs="*", default=list(config.SERVICES))
    command = commands.add_parser("republish")
    command.add_argument(
        "--since",
        required=True,
        type=datetime.fromisoformat,
        help="when the backup began, e.g. 2026-12-04T03:00:00+00:00",
    )
    command.add_argument("services", nargs="*", default=list(config.SERVICES))
    args = parser.parse_args(argv)

    databases = {service: config.database_url(service) for service in args.services}
    if args.command == "create":
        manifest = create(args.directory, databases)
        print(f"backed up {', '.join(manifest['services'])} into {args.directory}")
        return 0
    if args.command == "restore":
        republished = restore(args.directory, databases)
        done = "restored, "
    else:
        since = args.since if args.since.tzinfo else args.since.replace(tzinfo=UTC)
        republished = {service: republish(url, since) for service, url in databases.items()}
        done = ""
    for service, count in republished.items():
        print(f"{service}: {done}{count} events to publish again")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Apply a service's Alembic migrations to its own database.

    python -m partanum.migrate inventory [--url postgresql://…]

Each service keeps its migrations in services/<name>/migrations; its database
holds its own tables plus the shared outbox and inbox.
"""

import argparse
import sys
from pathlib import Path

from alembic import command
from alembic.config import Config

from partanum import config
from partanum.db import make_engine

SERVICES_DIR = Path(__file__).resolve().parent.parent / "services"


def alembic_config(service: str, url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(SERVICES_DIR / service / "migrations"))
    cfg.attributes["database_url"] = url
    return cfg


def upgrade(service: str, url: str | None = None) -> None:
    url = url or config.database_url(service)
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            cfg = alembic_config(service, url)
            cfg.attributes["connection"] = connection
            command.upgrade(cfg, "head")
            connection.commit()
    finally:
        engine.dispose()


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m partanum.migrate")
    parser.add_argument("services", nargs="+")
    parser.add_argument("--url", help="database URL (default: <SERVICE>_DATABASE_URL)")
    args = parser.parse_args(argv)
    for service in args.services:
        upgrade(service, args.url)
        print(f"{service}: database at head")
    return 0


if __name__ == "__main__":
    sys.exit(main())

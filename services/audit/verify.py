"""Verify the whole audit log's hash chain.

    python -m services.audit.verify [--url postgresql://…]

Prints "OK" with the number of entries and the hash of the last one, and exits 0;
or names the first entry that was altered or removed, and exits 1. Keep the head
hash somewhere else (a report, an email): a later run that no longer reaches it
shows that entries were removed from the end or the chain was rewritten whole.
"""

import argparse
import sys

from sqlalchemy.orm import Session

from partanum import config
from partanum.db import make_engine
from services.audit import log


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m services.audit.verify",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--url", default=None, help="database URL (default: AUDIT_DATABASE_URL)")
    args = parser.parse_args(argv)
    engine = make_engine(args.url or config.database_url("audit"))
    try:
        with Session(engine) as session:
            result = log.verify_chain(session)
    finally:
        engine.dispose()
    if isinstance(result, log.Problem):
        print(f"BROKEN at {result}", file=sys.stderr)
        return 1
    print(f"OK: {result.count} entries, head {result.head_hash}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""raw_tx_publish: the ceiling for any write that must also announce itself.

One client, one loop: commit one INSERT of a small row, then publish one
persistent message with publisher confirms (pika's BlockingConnection) to a
durable queue, and wait for the confirm before the next iteration. Nothing of
the service stack is involved, but the database settings and driver are the
service's own (SQLite in WAL mode with BEGIN IMMEDIATE, PostgreSQL through
psycopg2), so the gap to inventory_register is the stack's cost, not a driver's.

The loop runs in a child process (`python -m bench.raw_tx_publish URL AMQP_URI N`)
because `python -m bench` monkey-patches the standard library for nameko's
standalone proxy, and the ceiling should be measured with plain sockets: on the
development machine the same loop ran some 10-20 % slower monkey-patched.
"""

import json
import subprocess
import sys
import time
from datetime import UTC, datetime

from bench import support

WARM_UP = 20
QUEUE = "bench.raw_tx_publish"


def run(bench: support.Run, database: str) -> list[support.Result]:
    with (
        support.fresh_vhost("raw") as amqp_uri,
        support.fresh_database(database, bench.workdir, "raw") as url,
    ):
        completed = subprocess.run(
            [sys.executable, "-m", "bench.raw_tx_publish", url, amqp_uri, str(bench.items)],
            cwd=support.REPO_ROOT,
            capture_output=True,
            text=True,
            timeout=300,
        )
    if completed.returncode != 0:
        raise RuntimeError(f"the raw loop failed:\n{completed.stderr[-3000:]}")
    seconds = json.loads(completed.stdout)["seconds"]
    support.note(
        f"raw_tx_publish ({database}): {bench.items} × (commit + confirmed publish) in {seconds:.2f} s"
    )
    return [support.Result(f"raw_tx_publish_{database}", bench.items / seconds, "ops/s")]


def measure(url: str, amqp_uri: str, operations: int) -> float:
    """Seconds taken by `operations` iterations, after a short warm-up."""
    import pika

    database = _open(url)
    connection = pika.BlockingConnection(pika.URLParameters(amqp_uri))
    try:
        channel = connection.channel()
        channel.queue_declare(QUEUE, durable=True)
        channel.confirm_delivery()
        persistent = pika.BasicProperties(
            delivery_mode=pika.DeliveryMode.Persistent, content_type="application/json"
        )

        def once(n: int) -> None:
            database.insert(n)
            body = json.dumps({"n": n, "at": datetime.now(UTC).isoformat()})
            # Returns once the broker has confirmed, i.e. written the message to disk.
            channel.basic_publish("", QUEUE, body, persistent, mandatory=True)

        for n in range(WARM_UP):
            once(-n - 1)
        started = time.perf_counter()
        for n in range(operations):
            once(n)
        elapsed = time.perf_counter() - started

        queued = channel.queue_declare(QUEUE, durable=True, passive=True).method.message_count
        rows = database.count()
        if queued != operations + WARM_UP or rows != operations + WARM_UP:
            raise RuntimeError(
                f"expected {operations + WARM_UP} rows and messages, "
                f"found {rows} rows and {queued} messages"
            )
        return elapsed
    finally:
        connection.close()
        database.close()


class _SQLite:
    def __init__(self, path: str):
        import sqlite3

        self.connection = sqlite3.connect(path, isolation_level=None)  # we emit BEGIN
        self.connection.execute("PRAGMA journal_mode = WAL")
        self.connection.execute("PRAGMA foreign_keys = ON")
        self.connection.execute(
            "CREATE TABLE bench_row (id INTEGER PRIMARY KEY, n INTEGER NOT NULL, "
            "payload TEXT NOT NULL, created_at TEXT NOT NULL)"
        )

    def insert(self, n: int) -> None:
        self.connection.execute("BEGIN IMMEDIATE")
        self.connection.execute(
            "INSERT INTO bench_row (n, payload, created_at) VALUES (?, ?, ?)",
            (n, f"row {n}", datetime.now(UTC).isoformat()),
        )
        self.connection.execute("COMMIT")

    def count(self) -> int:
        return self.connection.execute("SELECT count(*) FROM bench_row").fetchone()[0]

    def close(self) -> None:
        self.connection.close()


class _PostgreSQL:
    def __init__(self, url):
        import psycopg2

        self.connection = psycopg2.connect(
            user=url.username,
            password=url.password,
            host=url.host or "127.0.0.1",
            port=url.port or 5432,
            dbname=url.database,
        )
        cursor = self.connection.cursor()
        cursor.execute(
            "CREATE TABLE bench_row (id BIGSERIAL PRIMARY KEY, n INTEGER NOT NULL, "
            "payload TEXT NOT NULL, created_at TIMESTAMPTZ NOT NULL)"
        )
        self.connection.commit()
        self.cursor = cursor

    def insert(self, n: int) -> None:
        self.cursor.execute(
            "INSERT INTO bench_row (n, payload, created_at) VALUES (%s, %s, %s)",
            (n, f"row {n}", datetime.now(UTC)),
        )
        self.connection.commit()

    def count(self) -> int:
        self.cursor.execute("SELECT count(*) FROM bench_row")
        count = self.cursor.fetchone()[0]
        self.connection.commit()
        return count

    def close(self) -> None:
        self.connection.close()


def _open(url: str):
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return _SQLite(parsed.database)
    return _PostgreSQL(parsed)


def main(argv: list[str]) -> int:
    url, amqp_uri, operations = argv
    print(json.dumps({"seconds": measure(url, amqp_uri, int(operations))}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

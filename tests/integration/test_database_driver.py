"""Database access must not stall the other workers of a service process.

nameko runs every worker in a green thread of one OS thread. A driver that waits
for PostgreSQL inside C code blocks the eventlet hub, and with it every other
worker. eventlet's monkey_patch gives psycopg2 a wait callback that waits on the
hub instead. This test makes
one green thread wait on a lock inside the server and needs another green thread
to run in the meantime to release it: a blocking driver would time out instead.
"""

import eventlet
from sqlalchemy import text

from tests.waiting import wait_until

LOCK = 4242


def test_a_query_waiting_in_postgresql_lets_other_workers_run(postgresql_url, engine_for):
    engine = engine_for(postgresql_url)
    holder = engine.connect()
    holder.execute(text("SELECT pg_advisory_lock(:k)"), {"k": LOCK})

    def take_the_lock():
        with engine.connect() as connection:
            connection.execute(text("SET lock_timeout = '20s'"))
            connection.execute(text("SELECT pg_advisory_lock(:k)"), {"k": LOCK})
            connection.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": LOCK})
        return "got it"

    waiter = eventlet.spawn(take_the_lock)

    def someone_waits_for_the_lock():
        return holder.execute(
            text("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted")
        ).scalar()

    # We only get to run this while the waiter sits in the server if its driver yields.
    wait_until(someone_waits_for_the_lock, timeout=15, what="the other worker to wait on the lock")
    holder.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": LOCK})
    holder.close()

    assert waiter.wait() == "got it"


def test_postgresql_urls_use_the_driver_made_to_cooperate(postgresql_url, engine_for):
    from eventlet.support.psycopg2_patcher import eventlet_wait_callback
    from psycopg2 import extensions

    plain = postgresql_url.replace("postgresql+psycopg2://", "postgresql://")
    assert engine_for(plain).dialect.driver == "psycopg2"
    assert extensions.get_wait_callback() is eventlet_wait_callback


def test_a_connection_whose_server_went_away_is_replaced_as_it_is_checked_out(
    postgresql_url, engine_for
):
    # As PostgreSQL restarting does to every connection lying in the pool.
    engine = engine_for(postgresql_url)
    with engine.connect() as connection:
        first = connection.execute(text("SELECT pg_backend_pid()")).scalar()
    with engine_for(postgresql_url).connect() as admin:
        admin.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": first})

        def gone() -> bool:
            alive = text("SELECT count(*) FROM pg_stat_activity WHERE pid = :pid")
            count = admin.execute(alive, {"pid": first}).scalar()
            admin.rollback()  # a transaction reads pg_stat_activity once: ask anew each time
            return not count

        wait_until(gone, timeout=15, what="the terminated backend to be gone")

    with engine.connect() as connection:
        second = connection.execute(text("SELECT pg_backend_pid()")).scalar()

    assert second != first

"""What every benchmark needs: a fresh broker vhost, a fresh database, a real
service process, and a way to report figures.

Each benchmark builds its own world from these and tears it down in `finally`
(context managers), so a failed run leaves no vhost, database or process behind.
"""

import os
import platform
import signal
import subprocess
import sys
import threading
import time
import uuid
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

import requests

REPO_ROOT = Path(__file__).resolve().parent.parent

MANAGEMENT_API = os.environ.get("PARTANUM_BENCH_RABBIT_API", "http://guest:guest@127.0.0.1:15672")
BROKER = os.environ.get("PARTANUM_BENCH_BROKER", "amqp://guest:guest@127.0.0.1:5672")
POSTGRES_ADMIN_URL = os.environ.get(
    "PARTANUM_BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)
DATABASES = ("sqlite", "postgresql")


@dataclass(frozen=True)
class Result:
    """One figure: printed as `name: value unit`, one line, for scripts to read."""

    name: str
    value: float
    unit: str
    digits: int = 1

    def line(self) -> str:
        return f"{self.name}: {self.value:.{self.digits}f} {self.unit}"


@dataclass
class Run:
    """One invocation of `python -m bench`: its options and the figures so far."""

    items: int
    workdir: Path
    results: list[Result] = field(default_factory=list)

    def result(self, name: str) -> Result | None:
        return next((r for r in self.results if r.name == name), None)


def note(message: str) -> None:
    """Human-readable context goes to stderr; stdout carries only the figures."""
    print(message, file=sys.stderr, flush=True)


# --- the broker -------------------------------------------------------------------


def _api(path: str) -> str:
    return f"{MANAGEMENT_API}/api/{path}"


@contextmanager
def fresh_vhost(label: str = "bench"):
    """A new, empty RabbitMQ vhost for guest; yields its AMQP URI, deletes it after."""
    name = f"partanum-{label}-{uuid.uuid4().hex[:8]}"
    quoted = quote(name, safe="")
    response = requests.put(_api(f"vhosts/{quoted}"), timeout=10)
    response.raise_for_status()
    try:
        response = requests.put(
            _api(f"permissions/{quoted}/guest"),
            json={"configure": ".*", "write": ".*", "read": ".*"},
            timeout=10,
        )
        response.raise_for_status()
        yield f"{BROKER}/{quoted}"
    finally:

        def delete():
            response = requests.delete(_api(f"vhosts/{quoted}"), timeout=30)
            if response.status_code != 404:
                response.raise_for_status()

        _cleanup(f"vhost {name}", delete)


def _cleanup(what: str, remove, attempts: int = 10) -> None:
    """Remove something the run created; retried (the broker may be restarting),
    then reported rather than raised so that it cannot hide the run's own error."""
    for attempt in range(attempts):
        try:
            remove()
            return
        except Exception as error:  # noqa: BLE001 -- whatever failed, the run's own error matters more
            if attempt == attempts - 1:
                note(f"could not remove {what}, please remove it by hand: {error}")
            else:
                time.sleep(2)


def broker_version() -> str:
    try:
        overview = requests.get(_api("overview"), timeout=5).json()
        return f"RabbitMQ {overview['rabbitmq_version']} (Erlang {overview['erlang_version']})"
    except Exception as error:  # noqa: BLE001 -- context only
        return f"RabbitMQ (version unknown: {error})"


# --- databases ----------------------------------------------------------------------


@contextmanager
def fresh_database(kind: str, workdir: Path, label: str = "bench", copy_of: str | None = None):
    """A new, empty database of this kind; yields its SQLAlchemy URL, removes it after.

    SQLite: a file under `workdir` (removed with it). PostgreSQL: a database
    created on the admin server and dropped with FORCE, even if a service still
    holds connections to it. `copy_of`: the URL of another database of this kind
    (nothing connected to it), whose copy it is instead of empty.
    """
    if kind == "sqlite":
        path = workdir / f"{label}-{uuid.uuid4().hex[:8]}.sqlite3"
        try:
            if copy_of is not None:
                import sqlite3

                source = sqlite3.connect(copy_of.removeprefix("sqlite:///"))
                copy = sqlite3.connect(path)
                try:
                    source.backup(copy)
                finally:
                    copy.close()
                    source.close()
            yield f"sqlite:///{path}"
        finally:
            for leftover in workdir.glob(path.name + "*"):
                leftover.unlink(missing_ok=True)
        return
    if kind != "postgresql":
        raise ValueError(f"unknown database kind {kind!r}")

    from sqlalchemy import create_engine, make_url, text

    name = f"partanum_{label}_{uuid.uuid4().hex[:8]}"
    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        template = "" if copy_of is None else f' TEMPLATE "{make_url(copy_of).database}"'
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"{template}'))
        try:
            yield admin.url.set(database=name).render_as_string(hide_password=False)
        finally:

            def drop():
                with admin.connect() as connection:
                    connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))

            _cleanup(f"PostgreSQL database {name}", drop)
    finally:
        admin.dispose()


def postgres_version() -> str:
    from sqlalchemy import create_engine, text

    admin = create_engine(POSTGRES_ADMIN_URL)
    try:
        with admin.connect() as connection:
            return "PostgreSQL " + connection.execute(text("SHOW server_version")).scalar()
    except Exception as error:  # noqa: BLE001 -- context only
        return f"PostgreSQL (unreachable: {error})"
    finally:
        admin.dispose()


# --- service processes --------------------------------------------------------------


@contextmanager
def service_process(services: list[str], env: dict, log_path: Path, code: Path = REPO_ROOT):
    """Run `python -m partanum.run <services>` as a separate process until the block ends.

    Its output goes to `log_path` (its tail is shown if the block fails). It is
    stopped with SIGTERM, on which partanum.run stops its containers cleanly, and
    killed if it has not exited 20 s later. `code`: the checkout it runs (another
    one's, to measure the code before a change beside it).
    """
    full_env = {**os.environ, "PYTHONUNBUFFERED": "1", **env}
    if code != REPO_ROOT:
        full_env["PYTHONPATH"] = str(code)
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "partanum.run", *services],
            cwd=code,
            env=full_env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        yield process
    except BaseException:
        note(f"--- last lines of {log_path.name} ---\n{tail(log_path)}")
        raise
    finally:
        stop_process(process)


def stop_process(process: subprocess.Popen, grace: float = 20.0) -> None:
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        note(f"process {process.pid} ignored SIGTERM for {grace:.0f} s: killing it")
        process.kill()
        process.wait()


def tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def wait_for_consumer(
    amqp_uri: str, queue: str, process: subprocess.Popen, timeout: float = 60.0, consumers: int = 1
) -> None:
    """Wait until `queue` has a consumer (or so many), i.e. the service has migrated and started.

    Asks the management API rather than calling the service, so that no request
    is published before the service's queue exists.
    """
    vhost = amqp_uri.rsplit("/", 1)[1]  # already quoted
    deadline = time.monotonic() + timeout
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"the service process exited with status {process.returncode}")
        response = requests.get(_api(f"queues/{vhost}/{quote(queue, safe='')}"), timeout=10)
        if response.ok and response.json().get("consumers", 0) >= consumers:
            return
        if time.monotonic() > deadline:
            raise RuntimeError(f"nothing consumed {queue} within {timeout:.0f} s")
        time.sleep(0.2)


# --- events -------------------------------------------------------------------------


class EventCounter:
    """Consumes a bench queue in the background and counts events by group.

    `key(body)` gives (group, identity), e.g. ("BENCH-", "BENCH-00042"): a
    benchmark waits until a group has so many distinct identities, so that
    redeliveries (delivery is at least once) are counted once. The queue must
    exist, bound before the service started.
    """

    def __init__(self, amqp_uri: str, queue: str, key):
        self.amqp_uri = amqp_uri
        self.queue = queue
        self.key = key
        self.seen: dict[str, set] = {}
        self.last_at = 0.0
        self.last_call_returned_at = 0.0
        self._running = True
        self._changed = threading.Event()
        self._error = None

    def __enter__(self):
        from kombu import Connection, Consumer, Queue

        self._connection = Connection(self.amqp_uri)
        channel = self._connection.channel()
        channel.basic_qos(0, 200, False)
        self._consumer = Consumer(
            channel,
            [Queue(self.queue, no_declare=True)],
            callbacks=[self._on_message],
            accept=["json"],
        )
        self._consumer.consume()
        self._thread = threading.Thread(target=self._drain, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc_info):
        self._running = False
        self._thread.join(timeout=5)
        self._connection.release()

    def _drain(self):
        try:
            while self._running:
                try:
                    self._connection.drain_events(timeout=0.2)
                except TimeoutError:
                    pass
        except Exception as error:  # noqa: BLE001 -- reported by wait_for
            self._error = error
            self._changed.set()

    def _on_message(self, body, message):
        group, identity = self.key(body)
        seen = self.seen.setdefault(group, set())
        if identity not in seen:
            seen.add(identity)
            self.last_at = time.perf_counter()
        message.ack()
        self._changed.set()

    def wait_for(self, group: str, count: int, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while len(self.seen.get(group, ())) < count:
            if self._error is not None:
                raise RuntimeError(f"consuming events failed: {self._error}")
            if time.monotonic() > deadline:
                raise RuntimeError(
                    f"only {len(self.seen.get(group, ()))} of {count} {group}* events "
                    f"arrived within {timeout:.0f} s"
                )
            self._changed.wait(0.5)
            self._changed.clear()


# --- context ------------------------------------------------------------------------


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = ""
    try:
        kib = int(Path("/proc/meminfo").read_text().split()[1])
        memory = f", {kib / 1024 / 1024:.0f} GiB RAM"
    except (OSError, ValueError, IndexError):
        pass
    return (
        f"{platform.node()}: {cpu}, {os.cpu_count()} CPUs{memory}; "
        f"{platform.system()} {platform.release()}; Python {platform.python_version()}"
    )


def percentiles(samples: list[float], points=(50, 90, 99)) -> str:
    """'p50 1.2 ms, p90 …' for latencies given in seconds."""
    if not samples:
        return "no samples"
    ordered = sorted(samples)
    picks = [ordered[min(len(ordered) - 1, int(len(ordered) * p / 100))] for p in points]
    return ", ".join(f"p{p} {value * 1000:.1f} ms" for p, value in zip(points, picks, strict=True))


def cpu_seconds(pid: int) -> float | None:
    """User + system CPU time a process has used so far (Linux), or None."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return None


def broker_pid() -> int | None:
    """The local RabbitMQ's Erlang VM, when it runs on this machine and we may see it."""
    for stat in Path("/proc").glob("[0-9]*/comm"):
        try:
            if stat.read_text().strip() == "beam.smp":
                return int(stat.parent.name)
        except OSError:
            continue
    return None


def machine_cpu() -> tuple[int, int] | None:
    """(busy, total) clock ticks of every core so far, from /proc/stat (Linux), or None."""
    try:
        ticks = [int(n) for n in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    except (OSError, ValueError):
        return None
    idle = ticks[3] + ticks[4]  # idle + iowait
    return sum(ticks) - idle, sum(ticks)


def machine_busy_since(before: tuple[int, int] | None) -> float:
    """Share of the machine's CPU time (all cores) spent busy since `before`; 0 if unknown."""
    after = machine_cpu()
    if before is None or after is None or after[1] == before[1]:
        return 0.0
    return (after[0] - before[0]) / (after[1] - before[1])


def load_average() -> str:
    try:
        return "load average " + " ".join(f"{value:.2f}" for value in os.getloadavg())
    except OSError:
        return "load average unknown"


def wait_for_count(url: str, sql: str, done, process, timeout: float, what: str) -> None:
    """Until `done(n)` holds for the count `sql` reads in the database at `url`, asked
    five times a second; RuntimeError, naming `what`, after `timeout` seconds or when
    `process` exits meanwhile."""
    from sqlalchemy import text
    from sqlalchemy.exc import OperationalError

    from partanum.db import make_engine

    engine = make_engine(url)
    deadline = time.monotonic() + timeout
    count = None
    try:
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"the services exited with status {process.returncode}")
            try:
                with engine.connect() as connection:
                    count = connection.execute(text(sql)).scalar_one()
            except OperationalError:  # SQLite busy with a service's write: ask again
                pass
            if count is not None and done(count):
                return
            if time.monotonic() > deadline:
                raise RuntimeError(f"{what}: {count} after {timeout:.0f} s")
            time.sleep(0.2)
    finally:
        engine.dispose()

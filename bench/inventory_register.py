"""inventory_register: items registered per second through RPC, events relayed.

The inventory runs as a real process (`python -m partanum.run inventory`) on a
fresh vhost and a fresh database. One client registers N items in sequence with
nameko's ClusterRpcProxy, like the raw loop; the clock stops when the N
`inventory.item_registered` events have been consumed from a durable queue bound
before the service started, so the figure includes the outbox relay.

Also reported: the ratio to raw_tx_publish on the same database, when that ran.
"""
import socket
import threading
import time

from bench import support

EVENT = "inventory.item_registered"
QUEUE = "bench.inventory.item_registered"
WARM_UP = 20


def run(bench: support.Run, database: str) -> list[support.Result]:
    from kombu import Connection, Queue

    from partanum import topology

    with support.fresh_vhost("inventory") as amqp_uri, \
            support.fresh_database(database, bench.workdir, "inventory") as url:
        with Connection(amqp_uri) as connection:
            channel = connection.default_channel
            topology.declare(channel)
            Queue(QUEUE, exchange=topology.events_exchange, routing_key=EVENT,
                  durable=True).declare(channel=channel)

        env = {
            "AMQP_URI": amqp_uri,
            "INVENTORY_DATABASE_URL": url,
            "PARTANUM_DATA_DIR": str(bench.workdir),
        }
        log = bench.workdir / f"inventory-{database}.log"
        with support.service_process(["inventory"], env, log) as process, \
                EventCounter(amqp_uri) as events:
            seconds, latencies, cpu = _register_items(amqp_uri, process, events, bench.items)

    lag = events.last_at - events.last_call_returned_at
    support.note(
        f"inventory_register ({database}): {bench.items} items in {seconds:.2f} s; "
        f"RPC latency {support.percentiles(latencies)}; "
        f"last event consumed {abs(lag) * 1000:.0f} ms {'after' if lag >= 0 else 'before'} "
        f"the last reply; "
        f"CPU per item: {cpu}"
    )
    rate = bench.items / seconds
    results = [support.Result(f"inventory_register_{database}", rate, "items/s")]
    raw = bench.result(f"raw_tx_publish_{database}")
    if raw is not None:
        results.append(
            support.Result(f"inventory_register_vs_raw_{database}", rate / raw.value, "ratio", 2)
        )
    return results


def _register_items(amqp_uri, process, events, count):
    from nameko.standalone.rpc import ClusterRpcProxy

    config = {"AMQP_URI": amqp_uri}
    with ClusterRpcProxy(config, context_data={"actor": "bench"}, timeout=30) as rpc:
        support.wait_for_consumer(amqp_uri, "rpc-inventory", process)
        rpc.inventory.register_partner({"code": "bench", "name": "Banc d'essai"})
        rpc.inventory.register_site({"code": "bench", "name": "Banc d'essai", "partner": "bench",
                                     "address": "1 rue du Banc, 49100 Angers"})
        rpc.inventory.register_category({"code": "tablet", "name": "Tablette"})

        # The first calls compile SQL and open pooled connections: keep them off the clock.
        for n in range(WARM_UP):
            rpc.inventory.register_item(_tablet(f"WARM-{n:05d}"))
        events.wait_for("WARM-", WARM_UP)

        latencies = []
        service_cpu, client_cpu = support.cpu_seconds(process.pid), time.process_time()
        started = time.perf_counter()
        for n in range(count):
            before = time.perf_counter()
            rpc.inventory.register_item(_tablet(f"BENCH-{n:05d}"))
            latencies.append(time.perf_counter() - before)
        events.last_call_returned_at = time.perf_counter()
        events.wait_for("BENCH-", count)
        cpu = _per_item(support.cpu_seconds(process.pid), service_cpu, count, "service")
        cpu += ", " + _per_item(time.process_time(), client_cpu, count, "client")
        return events.last_at - started, latencies, cpu


def _per_item(after, before, count, label) -> str:
    if after is None or before is None:
        return f"{label} unknown"
    return f"{label} {(after - before) / count * 1000:.1f} ms"


def _tablet(tag: str) -> dict:
    return {"asset_tag": tag, "make": "Samsung", "model": "Galaxy Tab A8", "category": "tablet",
            "owner": "bench", "home_site": "bench", "accessories": ["chargeur"]}


class EventCounter:
    """Consumes the bench queue in the background and counts asset tags by prefix.

    Redeliveries are counted once (delivery is at least once).
    """

    def __init__(self, amqp_uri: str):
        self.amqp_uri = amqp_uri
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
        self._consumer = Consumer(channel, [Queue(QUEUE, no_declare=True)],
                                  callbacks=[self._on_message], accept=["json"])
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
                except socket.timeout:
                    pass
        except Exception as error:  # noqa: BLE001 -- reported by wait_for
            self._error = error
            self._changed.set()

    def _on_message(self, body, message):
        tag = body["data"]["asset_tag"]
        prefix = tag.split("-", 1)[0] + "-"
        seen = self.seen.setdefault(prefix, set())
        if tag not in seen:
            seen.add(tag)
            self.last_at = time.perf_counter()
        message.ack()
        self._changed.set()

    def wait_for(self, prefix: str, count: int, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while len(self.seen.get(prefix, ())) < count:
            if self._error is not None:
                raise RuntimeError(f"consuming events failed: {self._error}")
            if time.monotonic() > deadline:
                raise RuntimeError(
                    f"only {len(self.seen.get(prefix, ()))} of {count} {prefix}* events "
                    f"arrived within {timeout:.0f} s"
                )
            self._changed.wait(0.5)
            self._changed.clear()

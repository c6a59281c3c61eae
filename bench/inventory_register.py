"""inventory_register: items registered per second through RPC, events relayed.

The inventory runs as a real process (`python -m partanum.run inventory`) on a
fresh vhost and a fresh database. One client registers N items in sequence with
nameko's ClusterRpcProxy, like the raw loop; the clock stops when the N
`inventory.item_registered` events have been consumed from a durable queue bound
before the service started, so the figure includes the outbox relay.

Also reported: the ratio to raw_tx_publish on the same database, when that ran.
"""

import time

from bench import support

EVENT = "inventory.item_registered"
QUEUE = "bench.inventory.item_registered"
WARM_UP = 20


def run(bench: support.Run, database: str) -> list[support.Result]:
    from kombu import Connection, Queue

    from partanum import topology

    with (
        support.fresh_vhost("inventory") as amqp_uri,
        support.fresh_database(database, bench.workdir, "inventory") as url,
    ):
        with Connection(amqp_uri) as connection:
            channel = connection.default_channel
            topology.declare(channel)
            Queue(
                QUEUE, exchange=topology.events_exchange, routing_key=EVENT, durable=True
            ).declare(channel=channel)

        env = {
            "AMQP_URI": amqp_uri,
            "INVENTORY_DATABASE_URL": url,
            "PARTANUM_DATA_DIR": str(bench.workdir),
        }
        log = bench.workdir / f"inventory-{database}.log"
        with (
            support.service_process(["inventory"], env, log) as process,
            support.EventCounter(amqp_uri, QUEUE, _by_tag_prefix) as events,
        ):
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
    from partanum.standalone import ClusterRpcProxy

    config = {"AMQP_URI": amqp_uri}
    with ClusterRpcProxy(config, context_data={"actor": "bench"}, timeout=30) as rpc:
        support.wait_for_consumer(amqp_uri, "rpc-inventory", process)
        rpc.inventory.register_partner({"code": "bench", "name": "Banc d'essai"})
        rpc.inventory.register_site(
            {
                "code": "bench",
                "name": "Banc d'essai",
                "partner": "bench",
                "address": "1 rue du Banc, 49100 Angers",
            }
        )
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
    return {
        "asset_tag": tag,
        "make": "Samsung",
        "model": "Galaxy Tab A8",
        "category": "tablet",
        "owner": "bench",
        "home_site": "bench",
        "accessories": ["chargeur"],
    }


def _by_tag_prefix(body) -> tuple[str, str]:
    tag = body["data"]["asset_tag"]
    return tag.split("-", 1)[0] + "-", tag

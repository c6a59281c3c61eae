"""Health: is a service up, connected to the broker and to its database?

Every service class inherits `HealthCheck`, which answers the `health` RPC
after a round trip to its own database. From outside (compose's healthcheck):

    python -m partanum.health inventory      # exit 0 when it answers, 1 otherwise
"""

import sys

from sqlalchemy import text

from partanum.rpc import rpc


class HealthCheck:
    @rpc
    def health(self):
        with self.db.transaction() as tx:
            tx.session.execute(text("SELECT 1"))
        return {"service": self.name, "status": "ok"}


def main(argv=None) -> int:
    import eventlet

    eventlet.monkey_patch()
    from partanum import config
    from partanum.standalone import ClusterRpcProxy

    (service,) = argv if argv is not None else sys.argv[1:]
    try:
        with ClusterRpcProxy({"AMQP_URI": config.amqp_uri()}, timeout=5) as cluster:
            print(getattr(cluster, service).health())
        return 0
    except Exception as error:  # noqa: BLE001 -- any failure means "not healthy"
        print(f"{service} is not healthy: {error!r}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())

"""A RabbitMQ node of the test's own, beside the machine's: its own node name, port
and data directory (owned by the `rabbitmq` user, as the server runs as that user),
never joined to the machine's broker, so a test may stop it, kill it or cut it off.

    with BrokerNode.started() as broker:
        broker.amqp_uri        # amqp://guest:guest@127.0.0.1:<port>/
        broker.stop_app(); broker.start_app()   # the broker away, then back

    with BrokerNode.cluster(3) as nodes:   # three nodes joined to the first's cluster
        nodes[0].kill(); nodes[0].start()  # one dies (kill -9), then boots again
"""

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import uuid
from contextlib import contextmanager
from pathlib import Path

from tests.waiting import wait_until

STARTUP_SECONDS = 120  # a node boots in 5-10 s on an idle 2-core machine


def _free(port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _free_port_pair() -> int:
    """A port whose Erlang distribution port (port + 20000) is free too."""
    while True:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        if port + 20000 < 65536 and _free(port + 20000):
            return port


class BrokerNode:
    def __init__(self, name: str, port: int, home: Path):
        self.name, self.port, self.home = name, port, home
        self.process: subprocess.Popen | None = None
        self.amqp_uri = f"amqp://guest:guest@127.0.0.1:{port}/"

    @classmethod
    @contextmanager
    def started(cls):
        home = Path(tempfile.mkdtemp(prefix="partanum-broker-"))
        node = cls(f"partanum-{uuid.uuid4().hex[:8]}@localhost", _free_port_pair(), home)
        try:
            node.start()
            yield node
        finally:
            node.stop()
            shutil.rmtree(home, ignore_errors=True)

    @classmethod
    @contextmanager
    def cluster(cls, size: int):
        """`size` nodes booted side by side, the others joined to the first's cluster."""
        tag = uuid.uuid4().hex[:6]
        nodes = []
        try:
            for n in range(size):
                home = Path(tempfile.mkdtemp(prefix=f"partanum-cluster-{n}-"))
                nodes.append(cls(f"partanum-{tag}-{n}@localhost", _free_port_pair(), home))
            for node in nodes:
                node.launch()
            for node in nodes:
                node.await_startup()
            for node in nodes[1:]:
                node.ctl("stop_app")
                node.ctl("join_cluster", nodes[0].name)
                node.start_app()
            yield nodes
        finally:
            for node in nodes:
                node.stop()
                shutil.rmtree(node.home, ignore_errors=True)

    def env(self) -> dict:
        return {
            **os.environ,
            "RABBITMQ_NODENAME": self.name,
            "RABBITMQ_NODE_PORT": str(self.port),
            "RABBITMQ_CONFIG_FILE": str(self.home / "rabbitmq.conf"),
            "RABBITMQ_MNESIA_BASE": str(self.home / "mnesia"),
            "RABBITMQ_LOG_BASE": str(self.home / "log"),
            "RABBITMQ_ENABLED_PLUGINS_FILE": str(self.home / "enabled_plugins"),
            "RABBITMQ_PID_FILE": str(self.home / "pid"),
        }

    def start(self) -> None:
        """Boot the node (the machine's config would make it listen on 5672: it has its own)."""
        self.launch()
        self.await_startup()

    def launch(self) -> None:
        """Start the node's server, not waiting for it to boot."""
        (self.home / "rabbitmq.conf").write_text(f"listeners.tcp.local = 127.0.0.1:{self.port}\n")
        (self.home / "enabled_plugins").write_text("[].\n")
        shutil.chown(self.home, "rabbitmq", "rabbitmq")
        for path in self.home.iterdir():
            shutil.chown(path, "rabbitmq", "rabbitmq")
        self.process = subprocess.Popen(
            ["rabbitmq-server"],
            env=self.env(),
            cwd=self.home,
            stdout=open(self.home / "server.out", "ab"),  # noqa: SIM115 -- the server's, for its life
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def await_startup(self) -> None:
        """rabbitmqctl's await_startup gives up at once while the node has not yet
        registered with epmd: asked again until the node answers or has died."""

        def booted():
            if self.process is not None and self.process.poll() is not None:
                raise RuntimeError(f"the broker node {self.name} exited:\n{self.log()}")
            try:
                self.ctl("await_startup", "--timeout", "10", timeout=30)
                return True
            except RuntimeError:
                return False

        wait_until(booted, timeout=STARTUP_SECONDS, what=f"the broker node {self.name} to boot")

    def ctl(self, *command: str, timeout: float = 60) -> str:
        completed = subprocess.run(
            ["rabbitmqctl", "-n", self.name, *command],
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        if completed.returncode != 0:
            raise RuntimeError(
                f"rabbitmqctl {' '.join(command)} on {self.name}: {completed.stderr[-2000:]}\n"
                + self.log()
            )
        return completed.stdout

    def stop_app(self) -> None:
        """The broker away: every connection dropped, nothing accepted, the node alive."""
        self.ctl("stop_app")

    def start_app(self) -> None:
        self.ctl("start_app")
        self.await_startup()

    def stop(self) -> None:
        """Asked of the node even when its server script has exited: the VM may live on."""
        if self.process is None:
            return
        try:
            self.ctl("stop", timeout=60)
            self.process.wait(timeout=60)
        except (RuntimeError, subprocess.TimeoutExpired):
            if self.process.poll() is None:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)

    def kill(self) -> None:
        """kill -9: the node dies at once, as when its machine fails. The Erlang VM
        runs as the `rabbitmq` user, outside the server script's process group: killed
        by the pid it wrote."""
        assert self.process is not None
        beam = int(self.ctl("eval", "list_to_integer(os:getpid()).").strip())
        os.kill(beam, signal.SIGKILL)
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.process.wait(timeout=10)

    def log(self) -> str:
        out = self.home / "server.out"
        return out.read_text(errors="replace")[-3000:] if out.exists() else ""

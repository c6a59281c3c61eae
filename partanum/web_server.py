"""An HTTP listener alone on its address (the gateway's).

nameko's WebServer listens through eventlet.listen, which sets SO_REUSEPORT: a second
gateway started on the same port (a second `make run`) would share it silently with
the first, each answering some of the requests. This one binds the address alone;
partanum.run tries it before starting anything (`listen`), so that a taken address is
one clear message and nothing serves.
"""

import eventlet
from nameko.web.server import WebServer, parse_address


def listen(address: str):
    """A socket listening on "host:port" alone, or an OSError naming the address."""
    host, port = parse_address(address)
    try:
        return eventlet.listen((host, port), reuse_port=False)
    except OSError as error:
        raise OSError(
            error.errno, f"cannot serve HTTP on {host}:{port}: {error.strerror}"
        ) from None


class ExclusiveWebServer(WebServer):
    def start(self):
        if self._starting:
            return
        self._starting = True
        self._sock = listen("{}:{}".format(*self.bind_addr))
        self._sock.settimeout(None)  # as nameko does: https://github.com/celery/kombu/issues/838
        self._serv = self.get_wsgi_server(self._sock, self.get_wsgi_app())
        self._gt = self.container.spawn_managed_thread(self.run)

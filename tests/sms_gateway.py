"""A local SMS gateway for tests: an HTTP server that records each request and
answers as told (201 Created by default, as Sinch's batches API does).

    with SmsGateway() as gateway:
        gateway.answers = [503, 201]        # one status per request, then 201
        ...post to gateway.url...
        gateway.requests[0]["headers"]["Authorization"], gateway.requests[0]["json"]

It serves from a thread of the test process; under eventlet's monkey-patching
that is a green thread, which runs whenever the test waits on a socket.
"""

import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer


class SmsGateway:
    path = "/xms/v1/test-plan/batches"

    def __init__(self):
        self.requests = []
        self.answers = []
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                try:
                    parsed = json.loads(body)
                except ValueError:
                    parsed = None
                gateway.requests.append(
                    {"path": self.path, "headers": dict(self.headers), "json": parsed}
                )
                status = gateway.answers.pop(0) if gateway.answers else 201
                if status < 300:
                    answer = {"id": f"batch-{len(gateway.requests)}", "to": parsed["to"]}
                else:  # errors quote the number, as gateways do
                    answer = {"code": "refused", "text": f"cannot send to {parsed['to'][0]}"}
                payload = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args):
                pass

        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}{self.path}"
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()

"""A tiny Prometheus exporter for one simulated host (a real HTTP server on a free loopback port); two of
them are two hosts."""

from __future__ import annotations

import math
import threading
import time

from loopback_support import QuietHandler, QuietServer


class Exporter:
    """Serves ``/metrics`` for one simulated host: CPU %, request latency and a request counter."""

    def __init__(self, host: str, offset: float = 0.0) -> None:
        self.host = host
        self.offset = offset
        self.scrapes = 0
        exporter = self

        class Handler(QuietHandler):
            def do_GET(self) -> None:
                if self.path.split("?")[0] != "/metrics":
                    self.send_error(404)
                    return
                exporter.scrapes += 1
                body = exporter.render(time.time()).encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/plain; version=0.0.4")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.server = QuietServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, name=f"exporter-{host}", daemon=True)

    @property
    def target(self) -> str:
        return f"127.0.0.1:{self.port}"

    def render(self, t: float) -> str:
        cpu = 30 + self.offset + 10 * math.sin(t / 30)
        lat = 100 + 5 * self.offset + 20 * math.cos(t / 45)
        reqs = int(t) % 100000 + int(self.offset)
        return (
            "# HELP lokifi_demo_cpu_percent CPU busy percent.\n# TYPE lokifi_demo_cpu_percent gauge\n"
            f"lokifi_demo_cpu_percent {cpu:.3f}\n"
            "# HELP lokifi_demo_latency_ms Request latency.\n# TYPE lokifi_demo_latency_ms gauge\n"
            f'lokifi_demo_latency_ms{{route="/api"}} {lat:.3f}\n'
            "# HELP lokifi_demo_requests_total Requests served.\n# TYPE lokifi_demo_requests_total counter\n"
            f"lokifi_demo_requests_total {reqs}\n"
        )

    def start(self) -> Exporter:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

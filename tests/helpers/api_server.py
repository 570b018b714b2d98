"""Starting the API on a free loopback port, for the tests and the benchmark."""

from __future__ import annotations

import time

from photofinder.api.server import ApiServer


def start_server(library, **limits) -> ApiServer:
    server = ApiServer(library, "127.0.0.1", 0, **limits)
    server.start()
    deadline = time.monotonic() + 60
    while not server.started:
        assert time.monotonic() < deadline, "the API server did not start"
        time.sleep(0.05)
    return server

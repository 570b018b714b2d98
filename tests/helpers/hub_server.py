"""A server on 127.0.0.1 that answers as the Hugging Face Hub does for a file download:
HEAD gives its size and SHA-256 (the linked ETag), GET serves byte ranges. Tests tell it
how to misbehave (missing files, dropped connections, ignored ranges, a slow body). It
serves PAYLOAD at every path, or, once ``files`` is set, those files by path and 404
for the rest (a published ONNX export)."""

from __future__ import annotations

import hashlib
import http.server
import random
import re
import threading
import time
from contextlib import contextmanager
from typing import Iterator

PAYLOAD = random.Random(7).randbytes(3_000_000)


class PayloadServer(http.server.ThreadingHTTPServer):
    """Serves PAYLOAD at every path, or ``files``; the test tells it how to misbehave."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), PayloadHandler)
        self.missing: set[str] = set()
        self.drop_after: int | None = None  # next reply stops after this many body bytes
        self.ignore_range = False
        self.requests: list[tuple[str, str | None]] = []  # (path, Range header) of GETs
        self.published_sha256 = hashlib.sha256(PAYLOAD).hexdigest()
        self.seconds_per_chunk = 0.0  # slows the body down: downloads overlap
        self.files: dict[str, bytes] = {}  # URL path -> body, when not PAYLOAD everywhere

    def body(self, path: str) -> bytes | None:
        """What ``path`` serves; None: 404."""
        if path in self.missing:
            return None
        if self.files:
            return self.files.get(path)
        return PAYLOAD

    def sha256(self, path: str) -> str:
        if self.files:
            return hashlib.sha256(self.files[path]).hexdigest()
        return self.published_sha256

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def handle_error(self, request, client_address) -> None:
        """A client that hangs up mid-reply (cancel, drop) is expected here."""


class PayloadHandler(http.server.BaseHTTPRequestHandler):
    server: PayloadServer

    def do_HEAD(self) -> None:
        """The Hub's file metadata: the SHA-256 of a large file is its linked ETag."""
        body = self.server.body(self.path)
        if body is None:
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("X-Repo-Commit", "0" * 40)
        self.send_header("X-Linked-Etag", f'"{self.server.sha256(self.path)}"')
        self.send_header("X-Linked-Size", str(len(body)))
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()

    def do_GET(self) -> None:
        wanted = self.headers.get("Range")
        self.server.requests.append((self.path, wanted))
        whole = self.server.body(self.path)
        if whole is None:
            self.send_error(404)
            return
        start = self._range_start(wanted)
        if start is not None and start >= len(whole):
            self.send_response(416)
            self.send_header("Content-Range", f"bytes */{len(whole)}")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        self._send_body(whole, start or 0, partial=start is not None)

    def _range_start(self, wanted: str | None) -> int | None:
        match = re.fullmatch(r"bytes=(\d+)-", wanted or "")
        if self.server.ignore_range or not match:
            return None
        return int(match.group(1))

    def _send_body(self, whole: bytes, start: int, partial: bool) -> None:
        body = whole[start:]
        self.send_response(206 if partial else 200)
        if partial:
            self.send_header("Content-Range", f"bytes {start}-{len(whole) - 1}/{len(whole)}")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        drop_after, self.server.drop_after = self.server.drop_after, None
        if drop_after is not None:
            body = body[:drop_after]
            self.close_connection = True
        if not self.server.seconds_per_chunk:
            self.wfile.write(body)
            return
        for start in range(0, len(body), 100_000):
            self.wfile.write(body[start:start + 100_000])
            time.sleep(self.server.seconds_per_chunk)

    def log_message(self, format, *args) -> None:
        pass


@contextmanager
def running_hub() -> Iterator[PayloadServer]:
    """A PayloadServer on a free port, stopped when the block ends."""
    running = PayloadServer()
    thread = threading.Thread(
        target=running.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    try:
        yield running
    finally:
        running.shutdown()
        running.server_close()
        thread.join(timeout=5)

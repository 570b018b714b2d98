"""What one client may ask of the API: requests per second, and bytes per request.

Both are checked before a request reaches a router, in a plain ASGI middleware: a
client over its rate gets a 429 at once, an upload over the limit a 413 (from its
Content-Length, or as soon as the bytes read pass the limit when it sends none).
"""

from __future__ import annotations

import threading
import time

from photofinder.api.errors import BodyTooLarge, error_response

UPLOAD_LIMIT = 50_000_000  # bytes in one request
RATE = 50.0  # requests per second per client, on average
BURST = 100  # requests a client may send at once


class TokenBuckets:
    """A token bucket per client address."""

    def __init__(self, rate: float, burst: int):
        self.rate, self.burst = rate, burst
        self._lock = threading.Lock()
        self._buckets: dict[str, tuple[float, float]] = {}  # client: (tokens, when)

    def allow(self, client: str) -> bool:
        now = time.monotonic()
        with self._lock:
            if len(self._buckets) > 10_000:  # forget idle clients
                self._buckets = {c: b for c, b in self._buckets.items() if now - b[1] < 60}
            tokens, then = self._buckets.get(client, (self.burst, now))
            tokens = min(self.burst, tokens + (now - then) * self.rate)
            allowed = tokens >= 1
            self._buckets[client] = (tokens - 1 if allowed else tokens, now)
        return allowed


class LimitsMiddleware:
    def __init__(self, app, upload_limit: int = UPLOAD_LIMIT, rate: float = RATE,
                 burst: int = BURST):
        self.app = app
        self.upload_limit = upload_limit
        self.buckets = TokenBuckets(rate, burst) if rate > 0 else None

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        client = (scope.get("client") or ("unknown",))[0]
        if self.buckets is not None and not self.buckets.allow(client):
            response = error_response(429, "too many requests: slow down", {"Retry-After": "1"})
            return await response(scope, receive, send)
        declared = dict(scope.get("headers") or ()).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.upload_limit):
            detail = (str(BodyTooLarge(self.upload_limit)) if declared.isdigit()
                      else "the Content-Length header is not a number")
            response = error_response(413 if declared.isdigit() else 400, detail)
            return await response(scope, receive, send)
        await self.app(scope, self._counting(receive), send)

    def _counting(self, receive):
        seen = 0

        async def counted():
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > self.upload_limit:
                raise BodyTooLarge(self.upload_limit)
            return message

        return counted

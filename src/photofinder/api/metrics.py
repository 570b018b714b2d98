"""Prometheus metrics (``GET /metrics``): requests and latency per endpoint, search and
model latency, photos indexed, index size, resident memory. A registry per app, so
two apps in one process (tests) never share counts."""

from __future__ import annotations

import time

from prometheus_client import (
    CollectorRegistry, Counter, Gauge, Histogram, ProcessCollector, generate_latest,
)

BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)


class Metrics:
    def __init__(self, library):
        self.registry = CollectorRegistry()
        ProcessCollector(registry=self.registry)  # process_resident_memory_bytes and CPU
        self.requests = Counter("photofinder_http_requests", "HTTP requests answered",
                                ["method", "endpoint", "status"], registry=self.registry)
        self.latency = Histogram("photofinder_http_request_seconds", "time to answer a request",
                                 ["endpoint"], buckets=BUCKETS, registry=self.registry)
        self.search = Histogram("photofinder_search_seconds", "time for a search in the core",
                                ["kind"], buckets=BUCKETS, registry=self.registry)
        self.model = Histogram("photofinder_model_seconds", "time to embed a query with the model",
                               ["kind"], buckets=BUCKETS, registry=self.registry)
        Gauge("photofinder_photos_indexed", "photos in the index",
              registry=self.registry).set_function(lambda: library.store.count())
        Gauge("photofinder_index_bytes", "size of the index on disk",
              registry=self.registry).set_function(lambda: library.store.disk_bytes())

    def render(self) -> bytes:
        return generate_latest(self.registry)


class MetricsMiddleware:
    """Counts and times every request by its route template (``/api/photos/{photo_id}``),
    so ids in paths never make a metric per photo."""

    def __init__(self, app, metrics: Metrics):
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        started = time.perf_counter()
        status = 500

        async def sending(message):
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            route = scope.get("route")
            endpoint = getattr(route, "path", "unmatched")
            self.metrics.requests.labels(scope["method"], endpoint, str(status)).inc()
            self.metrics.latency.labels(endpoint).observe(time.perf_counter() - started)

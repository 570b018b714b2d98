"""The API application: routers, the auth secrets, limits, metrics and error handlers,
put together over one Library."""

from __future__ import annotations

from fastapi import FastAPI

from photofinder import __version__
from photofinder.api.auth import SECRET_FILE, FeedbackTokens, api_token, read_or_create_secret
from photofinder.api.errors import install_error_handlers
from photofinder.api.limits import BURST, RATE, UPLOAD_LIMIT, LimitsMiddleware
from photofinder.api.metrics import Metrics, MetricsMiddleware
from photofinder.api.routers import embed, feedback, indexing, photos, search, system

DESCRIPTION = """Search your photos from scripts and other apps on this computer.

Every endpoint but `GET /api/health` needs `Authorization: Bearer TOKEN`
(`photofinder api-token` prints it). Errors are JSON: `{"error": ..., "detail": ...}`."""


def create_app(library, upload_limit: int = UPLOAD_LIMIT, rate: float = RATE,
               burst: int = BURST) -> FastAPI:
    """``rate`` requests per second per client (0: no limit), ``upload_limit`` bytes per request."""
    app = FastAPI(title="photofinder", version=__version__, description=DESCRIPTION,
                  openapi_url="/api/openapi.json", docs_url="/api/docs", redoc_url=None)
    app.state.library = library
    app.state.token = api_token(library.paths.data)
    app.state.feedback_tokens = FeedbackTokens(read_or_create_secret(library.paths.data / SECRET_FILE))
    app.state.metrics = Metrics(library)
    install_error_handlers(app)
    for router in (system.public, system.router, search.router, embed.router, feedback.router,
                   photos.router, indexing.router):
        app.include_router(router)
    # No CORS middleware: browsers keep other sites' pages from reading the answers.
    app.add_middleware(LimitsMiddleware, upload_limit=upload_limit, rate=rate, burst=burst)
    app.add_middleware(MetricsMiddleware, metrics=app.state.metrics)  # outermost: counts 429s too
    return app

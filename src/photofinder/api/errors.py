"""Every error is a JSON body ``{"error", "detail"}``, with the status code of its kind.

The core's typed errors map to codes here, in one place; anything else is a bug:
logged with its traceback, answered as a 500 that shows none.
"""

from __future__ import annotations

import http
import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect

from photofinder.errors import (
    ImageError, ImageTooLarge, ModelError, NotAnImage, NotFoundError, PhotofinderError, QueryError,
    StoreError,
)

log = logging.getLogger("photofinder.api")


class BodyTooLarge(Exception):
    """A request body grew past the upload limit while it was read."""

    def __init__(self, limit: int):
        super().__init__(f"the request is larger than the {limit // 1_000_000} MB upload limit")


def error_response(status: int, detail: str, headers: dict | None = None) -> JSONResponse:
    return JSONResponse({"error": http.HTTPStatus(status).phrase.lower(), "detail": detail},
                        status_code=status, headers=headers)


def status_of(exc: PhotofinderError) -> int:
    """The HTTP status of one of the core's expected errors."""
    image_problem = exc if isinstance(exc, ImageError) else exc.__cause__
    if isinstance(image_problem, NotAnImage):
        return 415
    if isinstance(image_problem, ImageTooLarge):
        return 413
    if isinstance(exc, NotFoundError):
        return 404
    if isinstance(exc, (QueryError, ImageError)):
        return 400
    if isinstance(exc, (ModelError, StoreError)):
        return 503  # the model or the index is unavailable here, not the request's fault
    return 400


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(PhotofinderError)
    async def expected(request: Request, exc: PhotofinderError) -> JSONResponse:
        return error_response(status_of(exc), str(exc))

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        return error_response(400, _validation_detail(exc))

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> JSONResponse:
        return error_response(exc.status_code, str(exc.detail), getattr(exc, "headers", None))

    @app.exception_handler(BodyTooLarge)
    async def too_large(request: Request, exc: BodyTooLarge) -> JSONResponse:
        return error_response(413, str(exc))

    @app.exception_handler(ClientDisconnect)
    async def gone(request: Request, exc: ClientDisconnect) -> JSONResponse:
        return error_response(400, "the client closed the connection before the request was complete")

    @app.exception_handler(Exception)
    async def bug(request: Request, exc: Exception) -> JSONResponse:
        log.error("%s %s failed", request.method, request.url.path, exc_info=exc)
        return error_response(500, "an internal error; it is in photofinder's log")


def _validation_detail(exc: RequestValidationError) -> str:
    """Pydantic's errors in one line: ``body.k: Input should be less than or equal to 100``."""
    parts = []
    for error in exc.errors()[:5]:
        where = ".".join(str(part) for part in error.get("loc", ()))
        parts.append(f"{where}: {error.get('msg', 'invalid')}" if where else error.get("msg", "invalid"))
    return "; ".join(parts) or "invalid request"

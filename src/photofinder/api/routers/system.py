"""Is it up, what does it hold, and how is it doing."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Response
from prometheus_client import CONTENT_TYPE_LATEST

from photofinder import __version__
from photofinder.api import dependencies
from photofinder.api.auth import require_token
from photofinder.api.schemas import Health, Status

public = APIRouter(tags=["system"])
router = APIRouter(tags=["system"], dependencies=[Depends(require_token)])


@public.get("/api/health", response_model=Health)
def health() -> Health:
    """Answers without a token, so a script can tell whether photofinder is running."""
    return Health()


@router.get("/api/status", response_model=Status)
def status(library=Depends(dependencies.library)) -> Status:
    return Status(**{k: v for k, v in library.status().items() if k in Status.model_fields},
                  version=__version__)


@router.get("/metrics", response_class=Response,
            responses={200: {"content": {CONTENT_TYPE_LATEST: {}}}})
def metrics(metrics=Depends(dependencies.metrics)) -> Response:
    """Prometheus text format."""
    return Response(metrics.render(), media_type=CONTENT_TYPE_LATEST)

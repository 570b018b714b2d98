"""Search by text and by example images: the core's search, with results scripts can use."""

from __future__ import annotations

import dataclasses
import time
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, File, Form, UploadFile

from photofinder.api import dependencies
from photofinder.api.auth import require_token
from photofinder.api.schemas import (
    EachSearchResponse, ErrorBody, Hit, ImageResults, SearchRequest, SearchResponse,
)
from photofinder.errors import QueryError
from photofinder.folder_names import resolve_folder
from photofinder.photo_order import PhotoOrder, sort_hits
from photofinder.places import resolve_place
from photofinder.query_runner import SearchResult, images_query
from photofinder.records import SearchFilter, SearchHit

router = APIRouter(prefix="/api", tags=["search"], dependencies=[Depends(require_token)],
                   responses={400: {"model": ErrorBody}, 401: {"model": ErrorBody}})

MAX_IMAGES = 32


@router.post("/search", response_model=SearchResponse)
def search(body: SearchRequest, library=Depends(dependencies.library),
           metrics=Depends(dependencies.metrics),
           tokens=Depends(dependencies.feedback_tokens)) -> SearchResponse:
    """Photos matching a description in the query grammar (``circle -red``, ``in:holidays``,
    ``after:2023-06``, ``camera:pixel``, ``near:paris``), best first; weaker matches only
    with ``all``."""
    started = time.perf_counter()
    folders = resolve_folder(body.folder, library.folders(), set()) if body.folder else ()
    search_filter = SearchFilter(folders=folders, taken_after=_local(body.after),
                                 taken_before=_local(body.before),
                                 types=tuple(t.lower().lstrip(".") for t in body.type),
                                 cameras=tuple(c for c in body.camera if c.strip()),
                                 has_location=body.has_location,
                                 near=resolve_place(body.near) if body.near else None)
    result = library.search(body.query, body.k, search_filter=search_filter, include_weaker=body.all,
                            auto_folder=body.auto_folder)
    result = dataclasses.replace(result, hits=tuple(sort_hits(result.hits, PhotoOrder(body.sort))))
    metrics.search.labels("text").observe(time.perf_counter() - started)
    return _response(result, tokens, started)


@router.post("/search_by_image", response_model=SearchResponse | EachSearchResponse,
             responses={413: {"model": ErrorBody}, 415: {"model": ErrorBody}})
def search_by_image(images: Annotated[list[UploadFile], File(description="one or more images")],
                    k: Annotated[int, Form(ge=1, le=100)] = 5,
                    each: Annotated[bool, Form(description="one result list per image")] = False,
                    library=Depends(dependencies.library), metrics=Depends(dependencies.metrics),
                    tokens=Depends(dependencies.feedback_tokens)):
    """Photos like all the uploaded images together, or (``each``) like each of them."""
    started = time.perf_counter()
    if len(images) > MAX_IMAGES:
        raise QueryError(f"at most {MAX_IMAGES} images per request")
    data = [upload.file.read() for upload in images]
    if not each:
        result = library.search(images_query(data), k, include_weaker=True)
        metrics.search.labels("image").observe(time.perf_counter() - started)
        return _response(result, tokens, started)
    results = library.search_each(images_query(data), k, include_weaker=True)
    metrics.search.labels("image").observe(time.perf_counter() - started)
    groups = [ImageResults(image=upload.filename or f"image {i + 1}", query_id=r.query_id,
                           results=[_hit(h) for h in r.hits],
                           feedback_token=tokens.issue(r.query_id, [h.photo.id for h in r.hits]))
              for i, (upload, r) in enumerate(zip(images, results))]
    return EachSearchResponse(groups=groups, took_ms=_ms_since(started))


def _response(result: SearchResult, tokens, started: float) -> SearchResponse:
    results = [_hit(h) for h in result.hits]
    return SearchResponse(query_id=result.query_id, results=results, weaker=result.weaker,
                          indexed=result.indexed, auto_folders=list(result.auto_folders),
                          feedback_token=tokens.issue(result.query_id, [r.id for r in results]),
                          took_ms=_ms_since(started))


def _hit(hit: SearchHit) -> Hit:
    photo = hit.photo
    return Hit(id=photo.id, path=photo.path, folder=photo.folder, score=round(hit.score, 6),
               distance=round(hit.distance, 6),
               width=photo.width, height=photo.height, taken_at=photo.taken_at,
               camera=photo.camera or None,
               location=photo.rounded_location)


def _local(moment: datetime | None) -> datetime | None:
    """Dates taken are naive local times: an aware request time is converted to one."""
    return moment.astimezone().replace(tzinfo=None) if moment and moment.tzinfo else moment


def _ms_since(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 2)

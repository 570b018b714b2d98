"""Indexing asked for by ``photofinder index`` while this instance runs: one process
writes the library, and the model is not loaded twice."""

from __future__ import annotations

from fastapi import APIRouter, Depends, HTTPException, Request
from starlette.concurrency import run_in_threadpool

from photofinder.api import dependencies
from photofinder.api.auth import require_token
from photofinder.api.schemas import ErrorBody, IndexRequest, IndexSummary, Problem
from photofinder.api.server import is_loopback

router = APIRouter(prefix="/api", tags=["index"], dependencies=[Depends(require_token)],
                   responses={400: {"model": ErrorBody}, 401: {"model": ErrorBody},
                              403: {"model": ErrorBody}})


@router.post("/index", response_model=IndexSummary)
async def index(body: IndexRequest, request: Request,
                library=Depends(dependencies.library)) -> IndexSummary:
    """Add folders to the library and index them; answers when done. Only from this
    computer: a request names folders, whose photos the API then serves."""
    if not is_loopback((request.client.host if request.client else "")):
        raise HTTPException(403, "indexing can be asked for only from this computer")

    def run() -> IndexSummary:
        folders = [library.add_folder(path) for path in body.paths]
        changes = library.index(folders)
        library.release_model()  # the server idles with the text tower alone
        return IndexSummary(added=list(changes.added), updated=list(changes.updated),
                            removed=list(changes.removed),
                            problems=[Problem(path=p.path, reason=p.reason) for p in changes.problems],
                            photos=library.store.count())

    return await run_in_threadpool(run)

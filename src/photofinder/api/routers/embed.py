"""The model's vector for a text or an image, for scripts that keep their own index."""

from __future__ import annotations

import time

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool

from photofinder.api import dependencies
from photofinder.api.auth import require_token
from photofinder.api.schemas import EmbedText, Embedding, ErrorBody
from photofinder.errors import QueryError

router = APIRouter(prefix="/api", tags=["embed"], dependencies=[Depends(require_token)],
                   responses={400: {"model": ErrorBody}, 413: {"model": ErrorBody},
                              415: {"model": ErrorBody}})

_TEXT_BODY = {"application/json": {"schema": EmbedText.model_json_schema()}}
_IMAGE_BODY = {"multipart/form-data": {"schema": {
    "type": "object", "required": ["image"],
    "properties": {"image": {"type": "string", "format": "binary"}}}}}


@router.post("/embed", response_model=Embedding,
             openapi_extra={"requestBody": {"required": True, "content": _TEXT_BODY | _IMAGE_BODY}})
async def embed(request: Request, library=Depends(dependencies.library),
                metrics=Depends(dependencies.metrics)) -> Embedding:
    """``{"text": "..."}`` as JSON, or one ``image`` file as multipart."""
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind == "application/json":
        try:
            text = EmbedText.model_validate_json(await request.body()).text
        except ValidationError as exc:
            raise RequestValidationError(exc.errors()) from exc
        return await _embedded(library, metrics, "text", lambda: library.embed(text=text))
    if kind == "multipart/form-data":
        form = await request.form()
        image = form.get("image")
        if image is None or isinstance(image, str):
            raise QueryError("send the image as a file field named 'image'")
        data = await image.read()
        return await _embedded(library, metrics, "image", lambda: library.embed(image=data))
    raise HTTPException(415, "send JSON {\"text\": ...} or a multipart form with an 'image' file")


async def _embedded(library, metrics, kind: str, embed) -> Embedding:
    started = time.perf_counter()
    vector = await run_in_threadpool(embed)  # the model must not block the event loop
    metrics.model.labels(kind).observe(time.perf_counter() - started)
    return Embedding(model=library.embedder.spec.model_id, vector=[float(v) for v in vector])

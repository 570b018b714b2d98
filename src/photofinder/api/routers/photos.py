"""Indexed photos by id: their record, thumbnail and file. No path comes from the request:
the id is looked up in the index, and the file is served only if it is the one indexed."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from fastapi.responses import FileResponse, StreamingResponse

from photofinder.api import dependencies
from photofinder.api.auth import require_token
from photofinder.api.schemas import ErrorBody, PhotoInfo
from photofinder.photo_files import indexed_thumbnail, open_indexed

router = APIRouter(prefix="/api/photos", tags=["photos"], dependencies=[Depends(require_token)],
                   responses={401: {"model": ErrorBody}, 404: {"model": ErrorBody}})

_TYPES = {"jpg": "image/jpeg", "jpeg": "image/jpeg", "png": "image/png", "gif": "image/gif",
          "webp": "image/webp", "tif": "image/tiff", "tiff": "image/tiff", "bmp": "image/bmp",
          "heic": "image/heic", "heif": "image/heif", "avif": "image/avif"}
CHUNK = 256 * 1024


@router.get("/{photo_id}", response_model=PhotoInfo)
def photo(photo_id: str, library=Depends(dependencies.library)) -> PhotoInfo:
    found = library.photo_by_id(photo_id)
    return PhotoInfo(id=found.id, path=found.path, folder=found.folder, size=found.size,
                     width=found.width, height=found.height, taken_at=found.taken_at,
                     camera=found.camera or None, location=found.rounded_location)


@router.get("/{photo_id}/thumbnail", response_class=FileResponse,
            responses={200: {"content": {"image/jpeg": {}}}})
def thumbnail(photo_id: str, library=Depends(dependencies.library)) -> FileResponse:
    """A JPEG of at most 256 pixels along the longer side."""
    found = library.photo_by_id(photo_id)
    return FileResponse(indexed_thumbnail(found, library.folders(), library.paths.thumbnails),
                        media_type="image/jpeg")


@router.get("/{photo_id}/file", response_class=StreamingResponse,
            responses={200: {"content": {"image/*": {}}}})
def original(photo_id: str, library=Depends(dependencies.library)) -> StreamingResponse:
    """The original file, as indexed."""
    found = library.photo_by_id(photo_id)
    handle = open_indexed(found, library.folders())
    extension = found.name.rsplit(".", 1)[-1].lower()

    def chunks():
        with handle:
            while block := handle.read(CHUNK):
                yield block

    return StreamingResponse(chunks(), media_type=_TYPES.get(extension, "application/octet-stream"),
                             headers={"Content-Length": str(found.size)})

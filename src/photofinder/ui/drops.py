"""What a drop or a paste carries, sorted into what the window can do with it.

Folders join the library; image files and image data become query images;
http(s) links to images are downloaded in a worker; anything else is named
in a clear message.
"""

from __future__ import annotations

import logging
import os
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QMimeData, QSize, Qt, QUrl
from PySide6.QtGui import QImage, QImageReader

from photofinder.errors import QueryError
from photofinder.ui.search import QueryImage

log = logging.getLogger("photofinder.ui")

CHIP_PX = 64  # previews for the query chips (shown at 32 px, sharp on HiDPI)
DOWNLOAD_TIMEOUT = 15  # seconds
MAX_DOWNLOAD = 50_000_000  # bytes


@dataclass
class DropContents:
    folders: list[str] = field(default_factory=list)
    images: list[QueryImage] = field(default_factory=list)
    remote: list[str] = field(default_factory=list)  # http(s) URLs to fetch
    rejected: list[str] = field(default_factory=list)  # names of things that are not images

    @property
    def is_empty(self) -> bool:
        return not (self.folders or self.images or self.remote or self.rejected)


def photo_extensions() -> frozenset[str]:
    from photofinder.indexing.scanner import PHOTO_EXTENSIONS

    return PHOTO_EXTENSIONS


def can_accept(mime: QMimeData) -> bool:
    return mime.hasUrls() or mime.hasImage()


def read_drop(mime: QMimeData) -> DropContents:
    """Sort a drop: prefer the image data a browser sends over the link beside it."""
    contents = DropContents()
    for url in mime.urls():
        _sort_url(url, contents)
    if mime.hasImage() and not contents.images:
        image = QImage(mime.imageData())
        if not image.isNull():
            contents.images.append(image_from_data(png_bytes(image), "dropped image", image))
            contents.remote.clear()
    return contents


def _sort_url(url: QUrl, contents: DropContents) -> None:
    if url.isLocalFile():
        path = os.path.abspath(url.toLocalFile())
        if os.path.isdir(path):
            contents.folders.append(path)
        elif Path(path).suffix.lower() in photo_extensions():
            contents.images.append(image_from_file(path))
        else:
            contents.rejected.append(Path(path).name or path)
    elif url.scheme() in ("http", "https"):
        contents.remote.append(url.toString())
    else:
        contents.rejected.append(url.toDisplayString())


def image_from_file(path: str) -> QueryImage:
    return QueryImage(label=Path(path).name, path=path, preview=_preview(QImageReader(path)))


def image_from_data(data: bytes, label: str, image: QImage | None = None) -> QueryImage:
    if image is None:
        buffer = QBuffer()
        buffer.setData(QByteArray(data))
        buffer.open(QIODevice.OpenModeFlag.ReadOnly)
        preview = _preview(QImageReader(buffer))
    else:
        preview = image.scaled(CHIP_PX, CHIP_PX, Qt.AspectRatioMode.KeepAspectRatioByExpanding,
                               Qt.TransformationMode.SmoothTransformation)
    return QueryImage(label=label, data=data, preview=preview)


def _preview(reader: QImageReader) -> QImage | None:
    """A small upright preview; JPEGs are decoded at reduced size."""
    reader.setAutoTransform(True)
    size = reader.size()
    if size.isValid() and size.width() > 0 and size.height() > 0:
        reader.setScaledSize(size.scaled(QSize(CHIP_PX, CHIP_PX),
                                         Qt.AspectRatioMode.KeepAspectRatioByExpanding))
    image = reader.read()
    return None if image.isNull() else image


def png_bytes(image: QImage) -> bytes:
    buffer = QBuffer()
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG")
    return bytes(buffer.data())


def download_image(url: str) -> tuple[str, bytes]:
    """Fetch an image a browser link points at (worker thread); QueryError when it fails."""
    request = urllib.request.Request(url, headers={"User-Agent": "photofinder"})
    host = QUrl(url).host() or url
    try:
        with urllib.request.urlopen(request, timeout=DOWNLOAD_TIMEOUT) as response:
            kind = response.headers.get_content_type()
            if not kind.startswith("image/"):
                raise QueryError(f"{host} sent {kind}, not an image")
            data = response.read(MAX_DOWNLOAD + 1)
    except urllib.error.HTTPError as exc:
        raise QueryError(f"could not download the image from {host}: HTTP {exc.code}") from exc
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        reason = getattr(exc, "reason", None) or exc
        raise QueryError(f"could not download the image from {host} ({reason}); "
                         f"save it and drop the file instead") from exc
    if len(data) > MAX_DOWNLOAD:
        raise QueryError(f"the image at {host} is larger than {MAX_DOWNLOAD // 1_000_000} MB")
    name = QUrl(url).fileName() or host
    return name, data

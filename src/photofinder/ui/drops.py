"""Drops, pastes and command-line paths, sorted into what the window can do with them.

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

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QMimeData, QObject, QSize, Qt, QUrl, Signal
from PySide6.QtGui import QGuiApplication, QImage, QImageReader

from photofinder.errors import QueryError
from photofinder.ui.search import QueryImage
from photofinder.ui.workers import Worker

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


class QueryInput(QObject):
    """Folders join the library, images become the query, anything else is named plainly."""

    folder_given = Signal(str)

    def __init__(self, search, search_box, messages, parent=None):
        super().__init__(parent)
        self._search = search
        self._box = search_box
        self._messages = messages
        self._download_replaces = True

    def use(self, contents: DropContents) -> None:
        for folder in contents.folders:
            self.folder_given.emit(folder)
        if contents.rejected:
            names = ", ".join(contents.rejected[:3]) + ("…" if len(contents.rejected) > 3 else "")
            self._messages.warning(f"Not a photo: {names}. Drop photos (JPEG, PNG, …) or folders.")
        if contents.images:
            self._search.search_images(contents.images)
        if contents.remote:
            self._download(contents.remote[0], replace=not contents.images)

    def paste(self) -> None:
        """Ctrl+V: an image or image files on the clipboard become the query; text goes to the box."""
        contents = read_drop(QGuiApplication.clipboard().mimeData())
        if contents.images or contents.remote or contents.folders:
            self.use(contents)
        elif self._box.hasFocus():
            self._box.paste()
            self._search.set_text(self._box.text())
        else:
            self._messages.info("The clipboard holds no image to search with")

    def _download(self, url: str, replace: bool) -> None:
        """Fetch a dropped web image in a worker; it joins the query when it arrives."""
        self._messages.info(f"Downloading {url}…")
        self._download_replaces = replace
        worker = Worker(download_image, url)
        worker.returned.connect(self._on_downloaded)
        worker.errored.connect(self._messages.error)
        worker.start()

    def _on_downloaded(self, result: tuple[str, bytes]) -> None:
        name, data = result
        self._search.search_images([image_from_data(data, name)], replace=self._download_replaces)

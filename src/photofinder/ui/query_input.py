"""Drops, pastes and command-line paths, turned into queries or new library folders."""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QGuiApplication

from photofinder.ui import drops
from photofinder.ui.workers import Worker


class QueryInput(QObject):
    """Folders join the library, images become the query, anything else is named plainly."""

    folder_given = Signal(str)

    def __init__(self, search, search_box, messages, parent=None):
        super().__init__(parent)
        self._search = search
        self._box = search_box
        self._messages = messages
        self._download_replaces = True

    def use(self, contents: drops.DropContents) -> None:
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
        contents = drops.read_drop(QGuiApplication.clipboard().mimeData())
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
        worker = Worker(drops.download_image, url)
        worker.returned.connect(self._on_downloaded)
        worker.errored.connect(self._messages.error)
        worker.start()

    def _on_downloaded(self, result: tuple[str, bytes]) -> None:
        name, data = result
        self._search.search_images([drops.image_from_data(data, name)], replace=self._download_replaces)

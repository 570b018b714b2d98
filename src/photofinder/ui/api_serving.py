"""The window answers the local HTTP API while "Allow other apps to search" is on.

Starting uvicorn (importing FastAPI, binding the port) and stopping it run in workers;
the server itself runs in its own thread; the GUI thread never waits for either.
"""

from __future__ import annotations

import logging

from PySide6.QtCore import QObject

from photofinder.ui.workers import Worker

log = logging.getLogger("photofinder.ui")


class ApiServing(QObject):
    """Serves the API of the window's library when asked; one server at a time."""

    def __init__(self, library, messages, parent=None):
        super().__init__(parent)
        self._library = library
        self._messages = messages
        self.server = None
        self._wanted = False
        self._busy = False

    def apply(self, enabled: bool) -> None:
        """Serve or stop serving, as the setting says (latest wish wins)."""
        self._wanted = enabled
        if self._busy or enabled == (self.server is not None):
            return
        self._busy = True
        worker = Worker(self._start if enabled else self._stop, self.server)
        worker.returned.connect(self._on_done)
        worker.errored.connect(self._on_failed)
        worker.start()

    def stop(self) -> None:
        """The window is closing: stop serving (the pool is waited for after)."""
        self.apply(False)

    def _start(self, _none):
        from photofinder.api.server import ApiServer

        server = ApiServer(self._library, port=self._library.settings.api_port)
        server.start()
        return server

    @staticmethod
    def _stop(server) -> None:
        server.stop()

    def _on_done(self, server) -> None:
        self._busy = False
        self.server = server
        if server is not None:
            self._messages.info(f"other apps on this computer can search at {server.url}/api")
        self.apply(self._wanted)  # a wish that changed meanwhile

    def _on_failed(self, exc: BaseException) -> None:
        self._busy = False
        self._wanted = False
        self._messages.error(exc, "serving the API for other apps")

"""Runs the API with uvicorn: in the foreground (``photofinder serve``) or in a thread
(the window), and leaves a note in the data folder so the CLI finds it.

The note (``api-server.json``: url and process id, mode 0600) is removed on a clean
stop; a stale one (the process is gone, or does not answer) is ignored.
"""

from __future__ import annotations

import ipaddress
import json
import logging
import os
import socket
import threading
from pathlib import Path

from photofinder.atomic_file import write_json_atomically
from photofinder.errors import PhotofinderError

log = logging.getLogger("photofinder.api")

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8765
NOTE_FILE = "api-server.json"
TOKEN_FILE = "api-token"  # the bearer token (auth.py makes it; the CLI reads it)


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _unspecified(host: str) -> bool:
    """A wildcard bind (every address): clients on this computer connect via loopback."""
    try:
        return not host or ipaddress.ip_address(host).is_unspecified
    except ValueError:
        return False


def bind(host: str, port: int) -> socket.socket:
    """A listening socket, or one clear error (port taken, address not on this computer)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
        family, kind, proto, _, address = infos[0]
        sock = socket.socket(family, kind, proto)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(128)
    except OSError as exc:
        raise PhotofinderError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from exc
    sock.setblocking(False)
    return sock


class ApiServer:
    """The API of one library on one socket."""

    def __init__(self, library, host: str = DEFAULT_HOST, port: int = DEFAULT_PORT, **limits):
        import uvicorn

        from photofinder.api.app import create_app

        if not is_loopback(host):
            log.warning("the API listens on %s: other computers on the network can reach it "
                        "(they still need the token)", host)
        self.note = library.paths.data / NOTE_FILE
        self.socket = bind(host, port)
        self.port = self.socket.getsockname()[1]
        connect_to = DEFAULT_HOST if _unspecified(host) else host
        self.url = f"http://{'[' + connect_to + ']' if ':' in connect_to else connect_to}:{self.port}"
        config = uvicorn.Config(create_app(library, **limits), log_level="warning",
                                access_log=False, timeout_keep_alive=5,
                                timeout_graceful_shutdown=5, log_config=None)
        self._server = uvicorn.Server(config)
        self._thread: threading.Thread | None = None

    def run(self) -> None:
        """Serve until SIGINT/SIGTERM (the foreground of ``photofinder serve``)."""
        self._write_note()
        try:
            self._server.run(sockets=[self.socket])
        finally:
            self._remove_note()

    def start(self) -> None:
        """Serve from a thread (the window); ``stop`` ends it."""
        self._thread = threading.Thread(target=self.run, name="pf-api", daemon=True)
        self._thread.start()

    def stop(self, wait: float = 10.0) -> None:
        self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(wait)
        self.socket.close()

    @property
    def started(self) -> bool:
        return self._server.started

    def _write_note(self) -> None:
        write_json_atomically(self.note, {"url": self.url, "pid": os.getpid()}, mode=0o600)

    def _remove_note(self) -> None:
        try:
            if json.loads(self.note.read_text(encoding="utf-8")).get("pid") == os.getpid():
                self.note.unlink()
        except (OSError, ValueError):
            pass


def running_instance_url(data_dir: Path) -> str | None:
    """The URL of the photofinder serving this library now (window or ``serve``), if any."""
    try:
        note = json.loads((data_dir / NOTE_FILE).read_text(encoding="utf-8"))
        pid, url = int(note["pid"]), str(note["url"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if pid == os.getpid() or not _alive(pid):
        return None
    return url


def _alive(pid: int) -> bool:
    if os.name == "nt":  # os.kill would end the process there; the health check decides
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process reuses the id
        return False
    return True

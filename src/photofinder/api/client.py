"""The CLI's way to a running photofinder (the window or ``serve``): its model is loaded
already, so a search answers at once instead of after loading the model again.

``RemoteLibrary`` has the methods the CLI's commands call on a Library, answered by
the running instance over HTTP (standard library only: nothing heavy to import;
urllib.request, 35 ms, only once an instance is noted, so a lone search never pays it).
"""

from __future__ import annotations

import json
import logging
import os
import urllib.error
import uuid
from datetime import datetime
from pathlib import Path
from typing import Sequence

from photofinder.config import Paths, absolute_path
from photofinder.errors import NotFoundError, PhotofinderError, QueryError
from photofinder.query import Query, parse_query
from photofinder.query_runner import SearchResult
from photofinder.records import FileProblem, IndexChanges, Photo, SearchFilter, SearchHit

log = logging.getLogger("photofinder.cli")

HEALTH_TIMEOUT = 1.0  # seconds a running instance has to answer before the CLI works alone
TIMEOUT = 600.0


class ApiClient:
    def __init__(self, url: str, token: str):
        self.url, self.token = url, token

    def call(self, method: str, path: str, body: dict | None = None,
             files: Sequence[tuple[str, str, bytes]] = (), fields: dict | None = None,
             timeout: float = TIMEOUT) -> dict:
        import urllib.request

        headers = {"Authorization": f"Bearer {self.token}"}
        data = None
        if files:
            data, headers["Content-Type"] = _multipart(files, fields or {})
        elif body is not None:
            data, headers["Content-Type"] = json.dumps(body).encode(), "application/json"
        request = urllib.request.Request(self.url + path, data, headers, method=method)
        try:
            with urllib.request.urlopen(request, timeout=timeout) as answer:
                return json.loads(answer.read())
        except urllib.error.HTTPError as exc:
            raise _error_of(exc) from None
        except (urllib.error.URLError, OSError) as exc:
            raise PhotofinderError(f"the running photofinder at {self.url} did not answer: "
                                   f"{getattr(exc, 'reason', exc)}") from exc

    def healthy(self) -> bool:
        import urllib.request

        try:
            with urllib.request.urlopen(self.url + "/api/health", timeout=HEALTH_TIMEOUT) as answer:
                return json.loads(answer.read()).get("status") == "ok"
        except (urllib.error.URLError, OSError, ValueError):
            return False


def running_library(paths: Paths) -> "RemoteLibrary | None":
    """The running instance serving this library, if one answers; else None (work alone)."""
    from photofinder.api.server import TOKEN_FILE, running_instance_url

    url = running_instance_url(paths.data)
    if url is None:
        return None
    try:
        token = (paths.data / TOKEN_FILE).read_text(encoding="ascii").strip()
    except OSError:
        return None
    client = ApiClient(url, token)
    if not client.healthy():
        log.info("the photofinder noted at %s does not answer; working alone", url)
        return None
    return RemoteLibrary(client)


class RemoteLibrary:
    """What the CLI's search, similar and index commands need of a Library."""

    def __init__(self, client: ApiClient):
        self.client = client
        self.store = _RemoteStore(client)

    def folders(self) -> list[str]:
        return self.client.call("GET", "/api/status")["folders"]

    def search(self, query: Query | str, k: int = 50, *, search_filter: SearchFilter | None = None,
               include_weaker: bool = False, auto_folder: bool = True) -> SearchResult:
        """As Library.search: text in the query grammar, or a query of image files (which
        are sent, and left out of the results)."""
        search_filter = search_filter or SearchFilter()
        if isinstance(query, str):
            body = {"query": query, "k": k, "all": include_weaker, "auto_folder": auto_folder,
                    "type": list(search_filter.types), **_filter_fields(search_filter)}
            answer = self.client.call("POST", "/api/search", body)
            return _result(answer, parse_query(query))
        if search_filter != SearchFilter() or query.parts:
            raise QueryError("filters and text with image queries need photofinder to work alone "
                             "(close the window or serve)")
        paths = [i.source for i in query.images]
        files = [(os.path.basename(p), _mimetype(p), _read(p)) for p in paths]
        answer = self.client.call("POST", "/api/search_by_image", files=files,
                                  fields={"k": str(min(k + len(paths), 100))})
        exclude = {absolute_path(p) for p in paths}
        answer["results"] = [r for r in answer["results"] if r["path"] not in exclude][:k]
        return _result(answer, query)

    def add_folder(self, path: str | Path, poll: bool = False) -> str:
        return absolute_path(path)  # the running instance adds it when asked to index it

    def load_model(self, progress=None, cancel=None) -> None:
        """The running instance has its model loaded."""

    def index(self, roots: Sequence[str], progress=None, cancel=None, on_problem=None,
              **_ignored) -> IndexChanges:
        answer = self.client.call("POST", "/api/index", {"paths": list(roots)})
        problems = tuple(FileProblem(p["path"], p["reason"]) for p in answer["problems"])
        for problem in problems if on_problem else ():
            on_problem(problem)
        return IndexChanges(added=tuple(answer["added"]), updated=tuple(answer["updated"]),
                            removed=tuple(answer["removed"]), problems=problems)


class _RemoteStore:
    def __init__(self, client: ApiClient):
        self.client = client

    def count(self) -> int:
        return self.client.call("GET", "/api/status")["photos"]

    def count_without_vectors(self) -> int:
        return 0  # the running instance has its model: it embeds every photo it indexes


def _result(answer: dict, query: Query) -> SearchResult:
    hits = tuple(_hit(row) for row in answer["results"])
    return SearchResult(answer["query_id"], query, hits, weaker=answer.get("weaker", 0),
                        strong=len(hits), indexed=answer.get("indexed", len(hits)),
                        auto_folders=tuple(answer.get("auto_folders", ())))


def _hit(row: dict) -> SearchHit:
    photo = Photo(path=row["path"], folder=row["folder"], size=0, mtime_ns=0, fingerprint="",
                  width=row["width"], height=row["height"],
                  taken_at=datetime.fromisoformat(row["taken_at"]), camera=row.get("camera"),
                  location=tuple(row["location"]) if row.get("location") else None)
    return SearchHit(photo, row["score"])


def _filter_fields(search_filter: SearchFilter) -> dict:
    if len(search_filter.folders) > 1 or search_filter.orientation:
        raise QueryError("several --folder filters need photofinder to work alone "
                         "(close the window or serve)")
    fields = {"folder": search_filter.folders[0]} if search_filter.folders else {}
    for name, value in (("after", search_filter.taken_after), ("before", search_filter.taken_before)):
        if value is not None:
            fields[name] = value.isoformat()
    if search_filter.cameras:
        fields["camera"] = list(search_filter.cameras)
    if search_filter.has_location:
        fields["has_location"] = True
    if search_filter.near:
        fields["near"] = search_filter.near.to_text()
    return fields


def _read(path: str | Path) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise QueryError(f"cannot use {absolute_path(path)} as a query: {exc.strerror}") from exc


def _mimetype(name: str) -> str:
    import mimetypes

    return mimetypes.guess_type(name)[0] or "application/octet-stream"


def _multipart(files: Sequence[tuple[str, str, bytes]], fields: dict) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    parts = []
    for name, value in fields.items():
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'
                     f"{value}\r\n".encode())
    for filename, kind, data in files:
        safe = filename.replace('"', "_").replace("\r", "_").replace("\n", "_")
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="images"; '
                     f'filename="{safe}"\r\nContent-Type: {kind}\r\n\r\n'.encode() + data + b"\r\n")
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


def _error_of(exc: urllib.error.HTTPError) -> PhotofinderError:
    try:
        detail = json.loads(exc.read()).get("detail") or exc.reason
    except (OSError, ValueError, AttributeError):
        detail = exc.reason
    if exc.code == 404:
        return NotFoundError(detail)
    if exc.code in (400, 413, 415):
        return QueryError(detail)
    return PhotofinderError(f"the running photofinder answered {exc.code}: {detail}")

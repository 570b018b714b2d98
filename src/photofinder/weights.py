"""Download open_clip's pretrained weights ourselves, with progress, cancel and resume.

open_clip's own download (huggingface_hub) gives a GUI no progress callback and no
clean way to stop, so we fetch the file with urllib and hand open_clip its path.
A download streams into ``<file>.part`` and becomes ``<file>`` only when complete.
"""

from __future__ import annotations

import http.client
import logging
import os
import re
import ssl
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import open_clip

from photofinder.errors import DownloadCancelled, DownloadError

log = logging.getLogger("photofinder.download")

Progress = Callable[[int, int | None], None]
Cancel = Callable[[], bool]

DEFAULT_BASE = "https://huggingface.co"
# hf_hub entries ending in "/" mean open_clip's default file names, newest format first
HF_DEFAULT_FILES = ("open_clip_model.safetensors", "open_clip_pytorch_model.bin")
CHUNK_BYTES = 1 << 16
PROGRESS_INTERVAL_S = 0.1
OFFLINE_HINT = (
    "Download them elsewhere and point photofinder at the file with --weights, "
    "the settings, or PHOTOFINDER_WEIGHTS."
)


class _NotFound(DownloadError):
    """HTTP 404: ensure_pretrained moves on to the next candidate URL."""


def weights_urls(arch: str, tag: str) -> list[str]:
    """The URLs that may hold ``arch``/``tag`` weights, in the order to try them."""
    cfg = open_clip.get_pretrained_cfg(arch, tag)
    hf_hub = cfg.get("hf_hub", "")
    if hf_hub:
        repo, _, filename = hf_hub.rpartition("/")
        base = os.environ.get("PHOTOFINDER_DOWNLOAD_BASE", DEFAULT_BASE).rstrip("/")
        names = [filename] if filename else HF_DEFAULT_FILES
        return [f"{base}/{repo}/resolve/main/{name}" for name in names]
    if cfg.get("url"):
        return [cfg["url"]]
    known = ", ".join(open_clip.list_pretrained_tags_by_model(arch)) or "none"
    raise DownloadError(f"no pretrained weights named {tag!r} for model {arch!r}; known: {known}")


def ensure_pretrained(
    arch: str,
    tag: str,
    models_dir: Path,
    progress: Progress | None = None,
    cancel: Cancel | None = None,
) -> Path:
    """The local weights file for ``arch``/``tag``, downloaded on first use."""
    urls = weights_urls(arch, tag)
    folder = models_dir / arch / tag
    for url in urls:
        cached = folder / _file_name(url)
        if cached.is_file():
            log.info("using cached %s/%s weights at %s", arch, tag, cached)
            return cached
    for url in urls:
        dest = folder / _file_name(url)
        log.info("downloading %s/%s weights from %s to %s", arch, tag, url, dest)
        try:
            path = download(url, dest, progress, cancel, what=f"{arch} weights")
        except _NotFound as error:
            if url == urls[-1]:
                raise
            log.info("%s; trying the next location", error)
            continue
        log.info("downloaded %s/%s weights to %s", arch, tag, path)
        return path


def download(
    url: str,
    dest: Path,
    progress: Progress | None = None,
    cancel: Cancel | None = None,
    timeout: float = 30,
    *,
    what: str = "model weights",
) -> Path:
    """Fetch ``url`` into ``dest``, resuming a previous ``.part`` when there is one.

    ``what`` names the file in error messages ("ViT-B-32 weights").
    """
    part = dest.with_name(dest.name + ".part")
    with _disk_errors(dest.parent, what):
        dest.parent.mkdir(parents=True, exist_ok=True)
        offset = part.stat().st_size if part.exists() else 0
    with _network_errors(url, what):
        reply, offset, total = _open(url, part, offset, timeout)
        if reply is None:
            log.info("%s is already complete", part)
        else:
            with reply:
                done = _stream(reply, part, offset, total, progress, cancel, what)
            if total is not None and done != total:
                raise DownloadError(
                    f"cannot download {what}: the connection was lost after "
                    f"{_mb(done)} of {_mb(total)} MB; try again to resume"
                )
    with _disk_errors(dest.parent, what):
        _fsync(part)
        os.replace(part, dest)
    return dest


def _open(
    url: str, part: Path, offset: int, timeout: float
) -> tuple[http.client.HTTPResponse | None, int, int | None]:
    """Send the request: (reply, or None when the part is complete; offset; total size)."""
    try:
        reply = _request(url, offset, timeout)
    except urllib.error.HTTPError as error:
        if error.code != 416 or offset == 0:
            raise
        error.close()
        if _range_total(error.headers.get("Content-Range")) == offset:
            return None, offset, offset
        log.info("discarding %s: the server does not know its range", part)
        offset = 0
        reply = _request(url, offset, timeout)
    if reply.status == 206:
        start, total = _content_range(reply.headers.get("Content-Range"))
        if start == offset:
            log.info("resuming %s at byte %d", url, offset)
            return reply, offset, total
        reply.close()
        offset = 0
        reply = _request(url, offset, timeout)
    elif offset:
        log.info("the server ignored the resume request for %s; restarting", url)
    length = reply.headers.get("Content-Length")
    return reply, 0, int(length) if length and length.isdigit() else None


def _request(url: str, offset: int, timeout: float) -> http.client.HTTPResponse:
    request = urllib.request.Request(url, headers={"User-Agent": "photofinder"})
    if offset:
        request.add_header("Range", f"bytes={offset}-")
    return urllib.request.urlopen(request, timeout=timeout)


def _stream(
    reply: http.client.HTTPResponse,
    part: Path,
    offset: int,
    total: int | None,
    progress: Progress | None,
    cancel: Cancel | None,
    what: str,
) -> int:
    """Append the reply to ``part`` (from scratch when ``offset`` is 0); returns its size."""
    done = offset
    report = _throttled(progress, total)
    with _disk_errors(part.parent, what):
        out = open(part, "ab" if offset else "wb")
    with out:
        report(done)
        while True:
            if cancel is not None and cancel():
                raise DownloadCancelled(f"download of {what} cancelled; {part} is kept to resume")
            chunk = reply.read(CHUNK_BYTES)
            if not chunk:
                break
            with _disk_errors(part.parent, what):
                out.write(chunk)
            done += len(chunk)
            report(done)
        with _disk_errors(part.parent, what):
            out.flush()
    report(done, final=True)
    return done


def _throttled(progress: Progress | None, total: int | None) -> Callable[..., None]:
    """Call ``progress`` at most every PROGRESS_INTERVAL_S, and always on the final call."""
    last = -PROGRESS_INTERVAL_S

    def report(done: int, final: bool = False) -> None:
        nonlocal last
        now = time.monotonic()
        if progress is not None and (final or now - last >= PROGRESS_INTERVAL_S):
            last = now
            progress(done, total)

    return report


def _fsync(path: Path) -> None:
    with open(path, "rb") as fh:
        os.fsync(fh.fileno())


@contextmanager
def _disk_errors(folder: Path, what: str) -> Iterator[None]:
    """Turn a failed write (disk full, read-only folder) into a one-line DownloadError."""
    try:
        yield
    except OSError as error:
        reason = error.strerror or str(error)
        message = f"cannot download {what}: cannot write to {folder}: {reason}"
        raise DownloadError(_one_line(message)) from error


@contextmanager
def _network_errors(url: str, what: str) -> Iterator[None]:
    """Turn network failures into a one-line DownloadError that says what to do."""
    try:
        yield
    except (http.client.HTTPException, OSError) as error:
        kind = _NotFound if getattr(error, "code", None) == 404 else DownloadError
        message = f"cannot download {what}: {_network_problem(error, url)}"
        raise kind(_one_line(message)) from error


def _network_problem(error: Exception, url: str) -> str:
    if isinstance(error, urllib.error.HTTPError):
        if error.code == 404:
            return f"not found at {url}"
        return f"the server replied {error.code} {error.reason} for {url}"
    reason = error.reason if isinstance(error, urllib.error.URLError) else error
    detail = getattr(reason, "strerror", None) or str(reason) or type(reason).__name__
    if isinstance(reason, TimeoutError):
        return f"the server did not answer in time ({detail}). {OFFLINE_HINT}"
    if isinstance(reason, ssl.SSLError):
        return f"a secure connection could not be made ({detail}). {OFFLINE_HINT}"
    if isinstance(error, urllib.error.URLError):
        return f"no internet connection ({detail}). {OFFLINE_HINT}"
    return f"the connection was lost ({detail}); try again to resume"


def _content_range(header: str | None) -> tuple[int | None, int | None]:
    """(start, total) of a Content-Range such as ``bytes 100-199/200``."""
    match = re.fullmatch(r"bytes (\d+)-\d+/(\d+|\*)", (header or "").strip())
    if not match:
        return None, None
    total = match.group(2)
    return int(match.group(1)), int(total) if total.isdigit() else None


def _range_total(header: str | None) -> int | None:
    """The size a 416 reply gives in ``bytes */SIZE``."""
    match = re.fullmatch(r"bytes \*/(\d+)", (header or "").strip())
    return int(match.group(1)) if match else None


def _file_name(url: str) -> str:
    return urllib.parse.unquote(urllib.parse.urlsplit(url).path.rsplit("/", 1)[-1])


def _mb(size: int) -> str:
    return f"{size / 1e6:.1f}"


def _one_line(message: str) -> str:
    return " ".join(message.splitlines())

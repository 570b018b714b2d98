"""Download open_clip's pretrained weights: progress, pause/cancel, resume, verified.

huggingface_hub says where a file is, its size and its SHA-256 (the Hub publishes one
for every large file); the bytes are fetched here with urllib, because
``hf_hub_download`` deletes a partial download when it stops (pausing 600 MB would
start again from zero) and can be stopped only by an exception from its progress bar.
A download streams into ``<file>.part``, is checked against the published size and
checksum, and only then becomes ``<file>``; a lock file lets one process download
while another waits for it, so two never write the same part.

Without torch and open_clip (the torch-free bundle), a model comes as its published
ONNX export instead (``ensure_onnx_export``), fetched file by file the same way.
"""

from __future__ import annotations

import hashlib
import http.client
import logging
import os
import re
import shutil
import ssl
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from filelock import FileLock, Timeout

from photofinder.errors import OFFLINE_HINT, DownloadCancelled, DownloadError

log = logging.getLogger("photofinder.download")

Progress = Callable[[int, int | None], None]
Cancel = Callable[[], bool]

DEFAULT_BASE = "https://huggingface.co"
# hf_hub entries ending in "/" mean open_clip's default file names, newest format first
HF_DEFAULT_FILES = ("open_clip_model.safetensors", "open_clip_pytorch_model.bin")
CHUNK_BYTES = 1 << 16
HASH_CHUNK_BYTES = 1 << 22
PROGRESS_INTERVAL_S = 0.1
LOCK_POLL_S = 0.2  # how often a process waiting for another one's download checks cancel
METADATA_TIMEOUT_S = 15
# Published ONNX exports of open_clip models (see published_onnx): Immich's, one Hub
# repository per model, ARCH__PRETRAINED unless the catalog names it (model_catalog).
ONNX_EXPORT_OWNER = "immich-app"
ONNX_EXPORTS_DIR = "onnx-published"  # in the models folder, one subfolder per repository


class _NotFound(DownloadError):
    """HTTP 404: ensure_pretrained moves on to the next candidate URL."""


@dataclass(frozen=True)
class WeightsSource:
    """Where a model's weights come from: what an offline user needs to fetch them."""

    arch: str
    tag: str
    file_name: str  # the first choice, when there are several
    page: str  # the model's page on the Hub

    def local_path(self, models_dir: Path) -> Path:
        return models_dir / self.arch / self.tag / self.file_name


@dataclass(frozen=True)
class RemoteFile:
    """What the Hub says about a file before it is downloaded."""

    size: int | None
    sha256: str | None  # None where the Hub publishes no checksum (small git files)


def weights_source(arch: str, tag: str) -> WeightsSource:
    url = weights_urls(arch, tag)[0]
    repo = urllib.parse.urlsplit(url).path.split("/resolve/")[0].strip("/")
    return WeightsSource(arch, tag, _file_name(url), f"{DEFAULT_BASE}/{repo}")


def onnx_export_repo(arch: str, tag: str) -> str:
    """The Hub repository of ``arch``/``tag``'s published ONNX export."""
    from photofinder.model_catalog import KNOWN_MODELS, known_model

    listed = known_model(arch, tag)
    if listed is None:
        return f"{ONNX_EXPORT_OWNER}/{arch}__{tag}"
    if not listed.onnx_export:
        exported = ", ".join(m.name for m in KNOWN_MODELS if m.onnx_export)
        raise DownloadError(f"{listed.name} has no published ONNX export, which this install "
                            f"(without torch) needs; choose one that has: {exported}")
    return listed.onnx_export


def onnx_export_folder(models_dir: Path, arch: str, tag: str) -> Path:
    """Where ``arch``/``tag``'s published ONNX export is kept."""
    return models_dir / ONNX_EXPORTS_DIR / onnx_export_repo(arch, tag).rsplit("/", 1)[-1]


def onnx_export_source(arch: str, tag: str) -> WeightsSource:
    """The published ONNX export of ``arch``/``tag``: what an offline user needs to fetch."""
    from photofinder.published_onnx import IMAGE_MODEL

    return WeightsSource(arch, tag, IMAGE_MODEL, f"{DEFAULT_BASE}/{onnx_export_repo(arch, tag)}")


def ensure_onnx_export(
    arch: str,
    tag: str,
    models_dir: Path,
    progress: Progress | None = None,
    cancel: Cancel | None = None,
) -> Path:
    """The folder of ``arch``/``tag``'s published ONNX export, downloaded on first use:
    each file checked against its published size and SHA-256, resumable, locked; progress
    counts the bytes of all of them. A failure's DownloadError carries ``source``."""
    from photofinder.published_onnx import FILES

    repo = onnx_export_repo(arch, tag)
    folder = onnx_export_folder(models_dir, arch, tag)
    missing = [name for name in FILES if not (folder / name).is_file()]
    if not missing:
        return folder
    base = os.environ.get("PHOTOFINDER_DOWNLOAD_BASE", DEFAULT_BASE).rstrip("/")
    what = f"the {arch} ONNX model"
    try:
        urls = {name: f"{base}/{repo}/resolve/main/{name}" for name in missing}
        published = {name: remote_file(url, what) for name, url in urls.items()}
        total = sum(p.size or 0 for p in published.values()) or None
        before = 0
        for name in missing:
            def counted(done: int, _size: int | None, before: int = before) -> None:
                progress(before + done, total)

            log.info("downloading %s (%s bytes) from %s", name, published[name].size, urls[name])
            download(urls[name], folder / name, counted if progress else None, cancel, what=what,
                     sha256=published[name].sha256)
            before += published[name].size or 0
    except DownloadError as error:
        error.source = onnx_export_source(arch, tag)
        raise
    log.info("downloaded the %s/%s ONNX export to %s", arch, tag, folder)
    return folder


def remote_file(url: str, what: str = "model weights") -> RemoteFile:
    """The size and SHA-256 the Hub publishes for ``url`` (a HEAD request)."""
    from huggingface_hub import get_hf_file_metadata
    from huggingface_hub.errors import HfHubHTTPError

    try:
        meta = get_hf_file_metadata(url, timeout=METADATA_TIMEOUT_S)
    except HfHubHTTPError as error:
        status = error.response.status_code if error.response is not None else None
        kind = _NotFound if status == 404 else DownloadError
        reason = f"not found at {url}" if status == 404 else f"the server replied {status} for {url}"
        raise kind(f"cannot download {what}: {reason}") from error
    except Exception as error:  # the Hub client's transport errors vary by version
        detail = str(error).splitlines()[0] if str(error).strip() else type(error).__name__
        raise DownloadError(_one_line(
            f"cannot download {what}: no internet connection ({detail}). {OFFLINE_HINT}")) from error
    etag = (meta.etag or "").strip('"')
    return RemoteFile(meta.size, etag if re.fullmatch(r"[0-9a-f]{64}", etag) else None)


def published_checksum(dest: Path) -> str | None:
    """The SHA-256 remembered from the Hub for ``dest``, if a download ever asked it: a
    file the user fetched by hand is checked against it."""
    try:
        return dest.with_name(dest.name + ".sha256").read_text(encoding="ascii").strip() or None
    except OSError:
        return None


def adopt_weights_file(path: Path, dest: Path, what: str = "the weights file") -> Path:
    """Copy a weights file the user fetched by hand to where a download would have put it;
    it takes the final name only once complete."""
    part = dest.with_name(dest.name + ".part")
    with _disk_errors(dest.parent, what):
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, part)
        _fsync(part)
        os.replace(part, dest)
    return dest


def file_sha256(path: Path, cancel: Cancel | None = None) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(HASH_CHUNK_BYTES):
            if cancel is not None and cancel():
                raise DownloadCancelled(f"checking {path.name} was cancelled")
            digest.update(chunk)
    return digest.hexdigest()


def weights_urls(arch: str, tag: str) -> list[str]:
    """The URLs that may hold ``arch``/``tag`` weights, in the order to try them."""
    import open_clip

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
    """The local weights file for ``arch``/``tag``, downloaded on first use. A failure's
    DownloadError carries ``source``: the file to fetch by hand, and from where."""
    urls = weights_urls(arch, tag)
    folder = models_dir / arch / tag
    for url in urls:
        cached = folder / _file_name(url)
        if cached.is_file():
            log.info("using cached %s/%s weights at %s", arch, tag, cached)
            return cached
    what = f"{arch} weights"
    try:
        for url in urls:
            dest = folder / _file_name(url)
            try:
                published = remote_file(url, what)
            except _NotFound as error:
                if url == urls[-1]:
                    raise
                log.info("%s; trying the next location", error)
                continue
            log.info("downloading %s/%s weights (%s bytes, sha256 %s) from %s to %s", arch, tag,
                     published.size, published.sha256, url, dest)
            path = download(url, dest, progress, cancel, what=what, sha256=published.sha256)
            log.info("downloaded %s/%s weights to %s", arch, tag, path)
            return path
    except DownloadError as error:
        error.source = weights_source(arch, tag)
        raise


def download(
    url: str,
    dest: Path,
    progress: Progress | None = None,
    cancel: Cancel | None = None,
    timeout: float = 30,
    *,
    what: str = "model weights",
    sha256: str | None = None,
) -> Path:
    """Fetch ``url`` into ``dest``, resuming a previous ``.part`` when there is one, and
    check it against ``sha256`` when given. Another process downloading the same file
    holds its lock: this one waits, then finds the file there.

    ``what`` names the file in error messages ("ViT-B-32 weights").
    """
    with _disk_errors(dest.parent, what):
        dest.parent.mkdir(parents=True, exist_ok=True)
        if sha256:
            dest.with_name(dest.name + ".sha256").write_text(sha256, encoding="ascii")
    with _locked(dest, cancel, what):
        if dest.is_file():
            log.info("%s was downloaded by another process meanwhile", dest)
            return dest
        return _download_unlocked(url, dest, progress, cancel, timeout, what, sha256)


def _download_unlocked(url: str, dest: Path, progress: Progress | None, cancel: Cancel | None,
                       timeout: float, what: str, sha256: str | None) -> Path:
    part = dest.with_name(dest.name + ".part")
    with _disk_errors(dest.parent, what):
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
        if sha256 and file_sha256(part, cancel) != sha256:
            part.unlink()
            raise DownloadError(f"cannot download {what}: the file arrived damaged (its SHA-256 "
                                f"is not the one the server publishes); try again")
        os.replace(part, dest)
    return dest


@contextmanager
def _locked(dest: Path, cancel: Cancel | None, what: str) -> Iterator[None]:
    """Hold ``dest``'s download lock; waiting for it (another process is downloading) can
    be cancelled."""
    lock = FileLock(str(dest.with_name(dest.name + ".lock")))
    for attempt in range(sys.maxsize):
        if cancel is not None and cancel():
            raise DownloadCancelled(f"download of {what} cancelled")
        with _disk_errors(dest.parent, what):
            try:
                lock.acquire(timeout=LOCK_POLL_S)
                break
            except Timeout:  # an OSError, but no disk problem: another process has it
                if attempt == 0:
                    log.info("another photofinder is downloading %s; waiting for it", dest.name)
    try:
        yield
    finally:
        lock.release()


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

"""Brings the index in line with the photos on disk, incrementally.

Unchanged files (same size and mtime) are never opened. New or changed files
are fingerprinted; a fingerprint already in the index reuses its vector, so a
move, rename or copy costs no inference. The rest are decoded by a thread pool
a bounded number of photos ahead of the model, and written in batches: each
batch is one atomic commit, so a killed run resumes where it stopped. Given a
thumbnail folder, the pool also stores each decoded photo's grid thumbnail, so
the grid never decodes an indexed photo a second time.

Without a model (offline first run) a run only scans: photos are stored with their
size, date and thumbnail but no vector, so the library can be browsed at once; the
next run with the model embeds them.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import threading
import time
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Iterator, Sequence

import numpy as np
from PIL import Image

from photofinder.embedder import Embedder
from photofinder.errors import ImageError
from photofinder.fingerprint import fingerprint
from photofinder.indexing.exif_backfill import backfill_camera_and_location
from photofinder.indexing.images import LoadedImage, load_image
from photofinder.indexing.likeness import likeness_of
from photofinder.indexing.survey import Survey, survey, survey_in_child_process
from photofinder.config import absolute_path
from photofinder.records import FileProblem, FileStat, IndexChanges, IndexProgress, Likeness, Photo
from photofinder.store import PhotoStore, python_list
from photofinder.thumbnail_cache import DISK_PX, cache_file, write_thumbnail

log = logging.getLogger("photofinder.scan")

COMMIT_ROWS = 256  # rows per commit: LanceDB pays per write, so batch them
COMMIT_SECONDS = 5.0  # ...but never hold finished work longer than this
LOOKUP_ROWS = 256  # files fingerprinted, then looked up in the index, at a time
PROGRESS_INTERVAL = 0.1
CHILD_SURVEY_ROWS = 10_000  # indexed photos from which a child process pays for its start


@dataclass
class _Prepared:
    """A photo ready for the store: decoded and preprocessed, or recognised by fingerprint."""

    stat: FileStat
    fingerprint: str
    tensor: object = None  # the model input (numpy) when the photo needs the model
    width: int = 0
    height: int = 0
    taken_at: object = None
    likeness: Likeness | None = None
    camera: str | None = None
    location: tuple[float, float] | None = None
    known: bool = False  # a stored or staged photo has this fingerprint: reuse its vector


@dataclass
class _Batch:
    photos: list[Photo] = field(default_factory=list)
    vectors: list[np.ndarray | None] = field(default_factory=list)
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    started: float = field(default_factory=time.monotonic)


class Indexer:
    """One indexing run over a set of library folders."""

    def __init__(self, store: PhotoStore, embedder: Embedder, excluded: Sequence[str] = (),
                 workers: int | None = None, thumbnails: Path | None = None):
        self.store = store
        self.embedder = embedder
        self.excluded = tuple(excluded)
        self.workers = workers or max(2, os.cpu_count() or 2)
        self.thumbnails = thumbnails  # the grid's disk cache to fill, or None

    def run(self, roots: Iterable[str | Path],
            progress: Callable[[IndexProgress], None] | None = None,
            cancel: threading.Event | None = None,
            on_commit: Callable[[IndexChanges], None] | None = None,
            on_problem: Callable[[FileProblem], None] | None = None,
            forget_missing: bool = False, survey_in_child: bool = False,
            embed: bool = True) -> IndexChanges:
        """Index ``roots`` (folders or files). A missing root keeps its photos (an unplugged
        drive) unless ``forget_missing``: the watcher saw it deleted. ``survey_in_child``
        compares many indexed photos with the disk in a child process: a GUI's thread
        keeps the GIL. Without ``embed`` new photos are stored without vectors and the
        model is never loaded; with it, photos stored so are embedded too."""
        cancel = cancel or threading.Event()
        problems: list[FileProblem] = []

        def report(problem: FileProblem) -> None:
            """A caller that takes problems shows them itself: the log then keeps a quieter copy."""
            problems.append(problem)
            log.log(logging.INFO if on_problem else logging.WARNING, "skipped %s", problem)
            if on_problem:
                on_problem(problem)

        roots = [absolute_path(r) for r in roots]
        online = [r for r in roots if os.path.exists(r)]
        if not forget_missing:
            for root in sorted(set(roots) - set(online)):
                report(FileProblem(root, "folder not found (offline or removed); its photos are kept"))
            for root in [r for r in online if _is_empty_folder(r)]:
                # An unmounted share leaves its empty mount point behind: keep its photos.
                online.remove(root)
                report(FileProblem(root, "folder is empty (an unmounted drive or share?); "
                                         "its photos are kept"))
        stats = self.store.file_stats(roots if forget_missing else online)
        found = None
        if survey_in_child and stats.num_rows >= CHILD_SURVEY_ROWS:
            found = survey_in_child_process(online, self.excluded, stats, report, cancel)
        found = found or survey(online, self.excluded, stats, report)
        if embed:
            _add_unembedded(found, self.store.file_stats(online, without_vectors=True))
        run = _Run(self, found.todo, found.indexed, progress, cancel, on_commit, report, embed)
        added, updated = run.execute()
        run.report_thumbnail_error()
        removed: list[str] = []
        if not cancel.is_set():
            unreadable = [p.path for p in problems if p.path in found.indexed]
            removed = list(dict.fromkeys(found.vanished + unreadable))
            if removed:
                self.store.delete_paths(removed)
                if on_commit:
                    on_commit(IndexChanges(removed=tuple(removed)))
            backfill_camera_and_location(self.store, online, cancel, self.workers)
        return IndexChanges(tuple(added), tuple(updated), tuple(removed), tuple(problems),
                            cancelled=cancel.is_set(), photos=tuple(run.photos))


class _Run:
    """The pipeline of one run: fingerprint+decode in a pool, embed and commit here."""

    def __init__(self, indexer: Indexer, todo: list[FileStat], indexed: set[str], progress, cancel,
                 on_commit, report, embed: bool):
        self.indexer = indexer
        self.store = indexer.store
        self.embedder = indexer.embedder
        self.todo = todo
        self.indexed = indexed
        self.progress = progress
        self.cancel = cancel
        self.on_commit = on_commit
        self.report = report
        self.embeds = embed
        self.fresh: dict[str, tuple[Photo, np.ndarray | None]] = {}  # staged, maybe uncommitted
        self.batch = _Batch()
        self.pending_embed: list[_Prepared] = []
        self.pending_reuse: list[_Prepared] = []
        self.added: list[str] = []
        self.updated: list[str] = []
        self.photos: list[Photo] = []
        self.counts = {"done": 0, "embedded": 0, "reused": 0, "skipped": 0}
        self.started = time.monotonic()
        self.last_progress = 0.0
        self.thumbnail_error: OSError | None = None  # the first; no more tries this run

    def execute(self) -> tuple[list[str], list[str]]:
        if not self.todo:
            return [], []
        if self.embeds:
            self.embedder.load()
        min_side = self.embedder.input_size
        lookahead = self.embedder.batch_size * 3
        with ThreadPoolExecutor(self.indexer.workers, thread_name_prefix="pf-decode") as pool:
            decoding: deque[tuple[FileStat, Future]] = deque()
            files = self._fingerprinted(pool)
            for stat, fp, known in files:
                decoding.append((stat, pool.submit(self._prepare, stat, fp, known, min_side)))
                if len(decoding) >= lookahead:
                    self._consume(*decoding.popleft())
                if self.cancel.is_set():
                    break
            files.close()
            while decoding and not self.cancel.is_set():
                self._consume(*decoding.popleft())
            for _, future in decoding:
                future.cancel()
        self._flush(force=True)
        self._report_progress("", final=True)
        return self.added, self.updated

    def _fingerprinted(self, pool: ThreadPoolExecutor
                       ) -> Iterator[tuple[FileStat, str | FileProblem, bool]]:
        """(stat, fingerprint or problem, whether a stored or staged photo has it) for each
        file. One index lookup per LOOKUP_ROWS files, so a run costs in proportion to its
        files; the pool hashes the next ones while these decode."""
        chunks = [self.todo[i:i + LOOKUP_ROWS] for i in range(0, len(self.todo), LOOKUP_ROWS)]
        hashing = self._fingerprint_all(pool, chunks[0])
        try:
            for following in [*chunks[1:], []]:
                hashed, hashing = hashing, self._fingerprint_all(pool, following)
                results = [(stat, future.result()) for stat, future in hashed]
                stored = self.store.known_fingerprints(
                    fp for _, fp in results if isinstance(fp, str) and fp not in self.fresh)
                for stat, fp in results:
                    yield stat, fp, isinstance(fp, str) and (fp in stored or fp in self.fresh)
        finally:  # cancelled: hash no more
            for _, future in hashing:
                future.cancel()

    def _fingerprint_all(self, pool: ThreadPoolExecutor,
                         stats: list[FileStat]) -> list[tuple[FileStat, Future]]:
        return [(stat, pool.submit(self._fingerprint, stat)) for stat in stats]

    def _fingerprint(self, stat: FileStat) -> str | FileProblem:
        """Runs in a pool thread."""
        if self.cancel.is_set():
            return FileProblem(stat.path, "cancelled")
        try:
            return fingerprint(stat.path, stat.size)
        except ImageError as exc:
            return FileProblem(stat.path, str(exc))

    def _prepare(self, stat: FileStat, fp: str | FileProblem, known: bool,
                 min_side: int) -> _Prepared | FileProblem:
        """Runs in a pool thread: decodes a photo the index has no vector for."""
        if isinstance(fp, FileProblem):
            return fp
        if known:
            return _Prepared(stat, fp, known=True)
        if self.cancel.is_set():
            return FileProblem(stat.path, "cancelled")
        try:
            thumbnail_file = self._missing_thumbnail(stat)
            loaded = load_image(stat.path, min_side, DISK_PX if thumbnail_file else 0)
            tensor = self.embedder.preprocess(loaded.image) if self.embeds else None
        except ImageError as exc:
            return FileProblem(stat.path, str(exc))
        if thumbnail_file:
            self._write_thumbnail(thumbnail_file, loaded.thumbnail)
        return _described(_Prepared(stat, fp, tensor), loaded)

    def _missing_thumbnail(self, stat: FileStat) -> Path | None:
        """Where this photo's grid thumbnail should go, if it is wanted and not there yet."""
        if self.indexer.thumbnails is None or self.thumbnail_error is not None:
            return None
        target = cache_file(self.indexer.thumbnails, stat.path, stat.size, stat.mtime_ns)
        return None if target.exists() else target

    def _write_thumbnail(self, target: Path, picture: Image.Image) -> None:
        """A thumbnail that cannot be stored never costs the photo its place in the index."""
        try:
            write_thumbnail(target, picture)
        except OSError as exc:
            self.thumbnail_error = self.thumbnail_error or exc  # said when the run ends

    def report_thumbnail_error(self) -> None:
        """Once per run, and only when the run itself went through: a data folder that is
        read-only fails the index writes too, and that one message says it all."""
        if self.thumbnail_error is not None:
            log.warning("cannot store thumbnails in %s, the grid will make them: %s",
                        self.indexer.thumbnails, self.thumbnail_error)

    def _consume(self, stat: FileStat, future: Future) -> None:
        result = future.result()
        if isinstance(result, FileProblem):
            if result.reason != "cancelled":
                self.report(result)
                self.counts["skipped"] += 1
        elif result.known:
            self.pending_reuse.append(result)
        elif result.tensor is None:  # scan only: stored without a vector
            self._stage(result, None, result)
        else:
            self.pending_embed.append(result)
        self.counts["done"] += 1
        if len(self.pending_embed) >= self.embedder.batch_size:
            self._embed_pending()
        if len(self.pending_reuse) >= COMMIT_ROWS:
            self._reuse_pending()
        self._flush()
        self._report_progress(stat.path)

    def _embed_pending(self) -> None:
        items, self.pending_embed = self.pending_embed, []
        if not items:
            return
        vectors = self.embedder.embed_tensors(np.stack([p.tensor for p in items]))
        for item, vector in zip(items, vectors):
            self._stage(item, vector, item)
        self.counts["embedded"] += len(items)

    def _reuse_pending(self) -> None:
        items, self.pending_reuse = self.pending_reuse, []
        if not items:
            return
        rows = self.store.rows_by_fingerprint(
            [p.fingerprint for p in items if p.fingerprint not in self.fresh])
        for item in items:
            row = self.fresh.get(item.fingerprint) or rows.get(item.fingerprint)
            if row is None:  # removed meanwhile: decode it after all
                self._embed_late(item)
                continue
            photo, vector = row
            self._stage(item, vector, photo)
            self.counts["reused"] += 1

    def _embed_late(self, item: _Prepared) -> None:
        try:
            loaded = load_image(item.stat.path, self.embedder.input_size)
        except ImageError as exc:
            self.report(FileProblem(item.stat.path, str(exc)))
            return
        vector = self.embedder.embed_images([loaded.image])[0] if self.embeds else None
        self._stage(item, vector, _described(item, loaded))

    def _stage(self, item: _Prepared, vector, described: _Prepared | Photo) -> None:
        """Queue ``item``'s row, with what ``described`` (the decode, or the stored row
        of a photo with the same fingerprint) says of it."""
        path = item.stat.path
        photo = Photo(
            path=path, folder=os.path.dirname(path), size=item.stat.size,
            mtime_ns=item.stat.mtime_ns, fingerprint=item.fingerprint,
            width=int(described.width), height=int(described.height),
            taken_at=described.taken_at, likeness=described.likeness,
            camera=described.camera, location=described.location,
        )
        self.batch.photos.append(photo)
        self.batch.vectors.append(vector)
        self.fresh[item.fingerprint] = (photo, vector)
        (self.batch.updated if path in self.indexed else self.batch.added).append(path)

    def _flush(self, force: bool = False) -> None:
        if force:
            self._embed_pending()
            if self.pending_reuse:
                self._reuse_pending()
        batch = self.batch
        due = len(batch.photos) >= COMMIT_ROWS or time.monotonic() - batch.started > COMMIT_SECONDS
        if not batch.photos or not (force or due):
            return
        self.store.upsert(batch.photos, batch.vectors)
        self.added += batch.added
        self.updated += batch.updated
        self.photos += batch.photos
        self.batch = _Batch()
        if self.on_commit:
            self.on_commit(IndexChanges(tuple(batch.added), tuple(batch.updated),
                                        photos=tuple(batch.photos)))

    def _report_progress(self, current: str, final: bool = False) -> None:
        now = time.monotonic()
        if not self.progress or (now - self.last_progress < PROGRESS_INTERVAL and not final):
            return
        self.last_progress = now
        elapsed = max(now - self.started, 1e-6)
        self.progress(IndexProgress(
            done=self.counts["done"], total=len(self.todo),
            photos_per_second=self.counts["done"] / elapsed, current_path=current,
            embedded=self.counts["embedded"], reused=self.counts["reused"],
            skipped=self.counts["skipped"],
        ))


def _described(item: _Prepared, loaded: LoadedImage) -> _Prepared:
    """``item`` with what its decode says: size, date, likeness, camera and position."""
    return dataclasses.replace(
        item, width=loaded.width, height=loaded.height, taken_at=loaded.taken_at,
        likeness=likeness_of(loaded.image, loaded.has_exif), camera=loaded.camera,
        location=loaded.location)


def _add_unembedded(found: Survey, unembedded) -> None:
    """Photos stored without a vector (scanned before the model was there) and unchanged
    since then go into this run as updates, so they get their vectors now."""
    todo = {s.path for s in found.todo} | set(found.vanished)
    for path, size, mtime_ns in zip(*(python_list(unembedded.column(c))
                                      for c in ("path", "size", "mtime_ns"))):
        if path not in todo:
            found.todo.append(FileStat(path, size, mtime_ns))
            found.indexed.add(path)


def _is_empty_folder(path: str) -> bool:
    try:
        with os.scandir(path) as entries:
            return next(entries, None) is None
    except OSError:  # not a folder, or unreadable: the scan reports it
        return False

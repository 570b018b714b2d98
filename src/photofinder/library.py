"""The photo library as scripts, the CLI, the API and the window all see it.

It ties the settings, the index and the model together; the model is loaded
only when something needs it (indexing or a search), so listing and browsing
the library never wait for torch.
"""

from __future__ import annotations

import dataclasses
import importlib
import logging
import os
import threading
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from photofinder.config import Paths, Settings, absolute_path
from photofinder.data_folder import read_only_reason
from photofinder.embedder import Embedder, ModelSpec, embedding_dimension
from photofinder.errors import ImageError, NotFoundError, QueryError, ReadOnlyError
from photofinder.feedback import RECENT_QUERIES, RecentQueries, learned_vector
from photofinder.index_health import check_table_files
from photofinder.folder_names import folders_below_roots, folders_named_in, resolve_folder
from photofinder.places import resolve_place
from photofinder.presence import offline_folder_of, offline_folders
from photofinder.photo_order import PhotoOrder, sort_photos
from photofinder.query import Query, TextPart, parse_query
from photofinder.query_runner import SearchResult, check_k, compose, images_query, query_id
from photofinder.records import (
    FileProblem, IndexChanges, IndexProgress, ModelInfo, Photo, SearchFilter, SearchHit, photo_id,
)
from photofinder.relevance import MIN_PHOTOS, SAMPLE_PHOTOS, Calibration, CalibrationFile, calibrate
from photofinder.store import (
    METADATA_COLUMNS, PhotoStore, index_schema_version, photos_from_arrow, table_name_for,
)
from photofinder.user_data import (
    Feedback, KeyedPhoto, LibraryFolder, PhotoMark, read_only_message,
)
from photofinder.user_data_backup import back_up_daily, open_or_restore
from photofinder.vector_snapshot import (
    SnapshotSearch, open_snapshot, snapshot_folder, table_version,
)

log = logging.getLogger("photofinder.library")

OVERFETCH = 16  # extra hits asked of the index, to replace results whose file is gone


class Library:
    """Everything photofinder knows about the user's photos."""

    def __init__(self, paths: Paths | None = None, settings: Settings | None = None,
                 model: ModelSpec | None = None):
        self.paths = paths or Paths.from_environment()
        self.settings = settings or Settings.load(self.paths.settings_file)
        # what the user must be told about this start (a settings file repaired...)
        self.notices: list[str] = [self.settings.notice] if self.settings.notice else []
        # a read-only or full disk: browsing and search work, changes are refused up front
        self.read_only_reason = read_only_reason(self.paths.data)
        self.user_data, restored = open_or_restore(
            self.paths.user_data_file, self.paths.backups, self.read_only, self.read_only_reason)
        self.notices += [restored] if restored else []
        self._adopt_settings_folders()
        back_up_daily(self.user_data, self.paths.backups)
        model = model or ModelSpec(*self.settings.effective_model())
        self.embedder = Embedder(model, self.paths.models)
        self._store: PhotoStore | None = None
        self._store_lock = threading.RLock()  # _model_and_store opens the store inside
        self._calibrations: dict[str, Calibration] = {}
        self._snapshot: SnapshotSearch | None = None  # searched until the store has its vectors
        self._recent: dict[str, tuple[Query, np.ndarray]] = {}  # query id -> query, vector
        self._feedback: list[Feedback] | None = None  # all ratings, read on first search
        self._rated_vectors: dict[tuple[str, str], np.ndarray | None] = {}
        self._paths_by_id: dict[str, str] = {}
        self._ids_version = -1  # the table version _paths_by_id was read at
        self._runs = 0  # index runs under way in this process (window, API, watcher)
        self._runs_lock = threading.Lock()

    @property
    def read_only(self) -> bool:
        return bool(self.read_only_reason)

    def read_only_notice(self) -> str:
        """What to tell the user about a read-only library ("" when it is not)."""
        return read_only_message(self.paths.data, self.read_only_reason) if self.read_only else ""

    def _adopt_settings_folders(self) -> None:
        """Folder lists that earlier versions kept in settings.json move to the user store;
        they leave the settings file only once committed there."""
        legacy = {key: self.settings.extra.pop(key) for key in ("folders", "excluded_folders")
                  if key in self.settings.extra}
        if not legacy:
            return
        try:
            self.user_data.adopt_folders(legacy.get("folders") or [],
                                         legacy.get("excluded_folders") or [])
        except ReadOnlyError:
            self.settings.extra.update(legacy)  # kept in the file for a writable start
            return
        log.info("library folders moved from %s to %s", self.paths.settings_file,
                 self.paths.user_data_file)
        self.settings.save(self.paths.settings_file)

    # --- the index ------------------------------------------------------------

    @property
    def store(self) -> PhotoStore:
        """The index table of the current model, opened on first use."""
        if self._store is None:  # its slow import (~1 s) outside the lock that searches take
            importlib.import_module("lancedb")
        with self._store_lock:
            if self._store is None:
                spec = self.embedder.spec
                self._store = PhotoStore(self.paths.index, spec.model_id,
                                         embedding_dimension(spec.arch))
            return self._store

    def close_store(self) -> None:
        """Let go of the open table, so the next use reads the folder afresh (after a repair)."""
        with self._store_lock:
            self._store = None

    def forget_snapshot(self) -> None:
        with self._store_lock:
            self._snapshot = None

    def _model_and_store(self) -> tuple[Embedder, PhotoStore]:
        """The embedder and its table, read together: a model switch swaps both at once,
        and a query embedded by one model must be looked up among that model's vectors.
        Before the table is opened, a snapshot of its current version stands in for it
        (numpy over mapped files: a one-off search imports neither lancedb nor torch)."""
        with self._store_lock:
            store = self._store
            if store is None or not store.has_vectors_in_memory:
                snapshot = self._snapshot_search()
                if snapshot is not None:
                    return self.embedder, snapshot
            return self.embedder, self.store

    def _snapshot_search(self) -> SnapshotSearch | None:
        """A search over the snapshot of the table's current version, if one was saved."""
        spec = self.embedder.spec
        name = table_name_for(spec.model_id)
        folder, version = snapshot_folder(self.paths.index, name), table_version(self.paths.index, name)
        if self._snapshot is not None and (self._snapshot.snapshot.folder, self._snapshot.snapshot.version) \
                == (folder, version):
            return self._snapshot
        index_schema_version(self.paths.index)  # damage is named, not mapped around
        check_table_files(self.paths.index / f"{name}.lance")
        snapshot = open_snapshot(folder, version, embedding_dimension(spec.arch), METADATA_COLUMNS)
        self._snapshot = SnapshotSearch(snapshot, spec.model_id, lambda: self.store) if snapshot else None
        return self._snapshot

    def switch_model(self, model: ModelSpec,
                     progress: Callable[[IndexProgress], None] | None = None,
                     cancel: threading.Event | None = None) -> bool:
        """Re-embed the library with another model, then use it.

        The new vectors go into the new model's own table while searches keep using
        the old one; only a complete run switches over (and saves the choice), so a
        cancelled or crashed switch leaves everything as it was.
        """
        embedder = Embedder(model, self.paths.models)
        embedder.load()
        store = PhotoStore(self.paths.index, model.model_id, embedding_dimension(model.arch))
        folders = self.folders()
        changes = self._indexer(store, embedder).run(folders, progress=progress, cancel=cancel)
        if changes.cancelled:
            return False
        for removed_meanwhile in set(folders) - set(self.folders()):
            store.delete_below(removed_meanwhile)
        with self._store_lock:
            old = self._store
            self.embedder, self._store = embedder, store
            self.settings.model, self.settings.weights = model.arch, model.weights
            self.settings.pretrained = model.pretrained
            self.settings.save(self.paths.settings_file)
        if old is not None and old.model_id != store.model_id:
            old.drop()
        return True

    def _indexer(self, store: PhotoStore, embedder: Embedder):
        from photofinder.indexing.indexer import Indexer  # Pillow and the pipeline: on first use

        return Indexer(store, embedder, self.left_out(), thumbnails=self.paths.thumbnails)

    def left_out(self) -> list[str]:
        """Excluded folders and forgotten photos: what no scan may bring back."""
        return [*self.user_data.excluded_folders(),
                *(f.path for f in self.user_data.forgotten_photos())]

    def load_model(self, progress: Callable[[int, int | None], None] | None = None,
                   cancel: Callable[[], bool] | None = None) -> ModelInfo:
        return self.embedder.load(progress=progress, cancel=cancel)

    def release_model(self) -> bool:
        """Indexing is done: free the image model until the next photo to embed (an idle
        window or server keeps only what searching needs). Not while any caller's run is
        under way here: its next batch would load the model again."""
        with self._runs_lock:
            return self._runs == 0 and self.embedder.release()

    def prepare_search(self, progress: Callable[[int, int | None], None] | None = None,
                       cancel: Callable[[], bool] | None = None) -> None:
        """Ready the text encoder and read the vectors into memory: all a first search
        waits for. The window calls it at launch, in a worker, so a query typed at once
        is answered as soon as possible."""
        self.embedder.prepare_for_text(progress, cancel)
        if self.folders() and self._snapshot_search() is None:  # else searches map the snapshot
            self.store.vectors_in_memory()

    def folders(self) -> list[str]:
        return [f.path for f in self.user_data.folders()]

    def library_folders(self) -> list[LibraryFolder]:
        """The folders with how each is watched."""
        return self.user_data.folders()

    def add_folder(self, path: str | Path, poll: bool = False) -> str:
        folder = absolute_path(path)
        if not os.path.exists(folder):
            raise NotFoundError(f"not a folder: {folder} does not exist")
        if not os.path.isdir(folder):
            raise QueryError(f"not a folder: {folder}")
        if not self.user_data.add_folder(folder, poll) and poll:
            self.user_data.set_folder_poll(folder, True)
        return folder

    def set_rating(self, photo: KeyedPhoto, rating: int) -> PhotoMark | None:
        """Rate a photo 0-5 stars in the user store, and in its XMP sidecar when the
        settings ask for it (a sidecar that cannot be written is logged, not fatal)."""
        mark = self.user_data.set_rating(photo, rating)
        if self.settings.xmp_sidecars:
            from photofinder.xmp_sidecar import write_rating

            try:
                write_rating(photo.path, int(rating))
            except OSError as exc:
                log.warning("rating of %s not written to its sidecar: %s", photo.path, exc)
        return mark

    def remove_folder(self, path: str | Path) -> int:
        """Stop watching a folder and drop its photos from the index."""
        folder = absolute_path(path)
        self.user_data.remove_folder(folder)
        return self.store.delete_below(folder)

    def forget(self, path: str | Path) -> int:
        """Leave a photo, or every photo below a folder, out of the library from now on
        (files stay): a library folder is removed, another folder excluded, a photo
        forgotten. Returns how many photos left the index."""
        target = absolute_path(path)
        if target in self.folders():
            return self.remove_folder(target)
        photo_rows = self.store.rows_of([target])
        if photo_rows.num_rows:
            self.user_data.forget_photos(photos_from_arrow(photo_rows))
        else:
            self.user_data.exclude_folder(target)
        return self.store.delete_below(target)

    def include(self, path: str | Path) -> bool:
        """Undo ``forget`` of a folder inside the library or of a photo; the next scan
        brings its photos back. False when it was not left out."""
        target = absolute_path(path)
        forgotten = self.user_data.forgotten_photos()
        same = {f.fingerprint for f in forgotten if f.path == target and f.fingerprint}
        photos = [f.path for f in forgotten if f.path == target or f.fingerprint in same]
        return self.user_data.include_folder(target) | bool(self.user_data.unforget_photos(photos))

    def _forget_again(self, changes: IndexChanges,
                      on_commit: Callable[[IndexChanges], None] | None) -> IndexChanges:
        """A forgotten photo that turns up under another name (moved, renamed) stays forgotten."""
        forgotten = {f.fingerprint for f in self.user_data.forgotten_photos() if f.fingerprint}
        back = [p for p in changes.photos if p.fingerprint in forgotten]
        if not back:
            return changes
        self.user_data.forget_photos(back)
        self.store.delete_paths([p.path for p in back])
        gone = {p.path for p in back}
        if on_commit:
            on_commit(IndexChanges(removed=tuple(sorted(gone))))
        return dataclasses.replace(
            changes, added=tuple(p for p in changes.added if p not in gone),
            updated=tuple(p for p in changes.updated if p not in gone),
            removed=(*changes.removed, *sorted(gone)),
            photos=tuple(p for p in changes.photos if p.path not in gone))

    def index(self, roots: Sequence[str | Path] | None = None,
              progress: Callable[[IndexProgress], None] | None = None,
              cancel: threading.Event | None = None,
              on_commit: Callable[[IndexChanges], None] | None = None,
              on_problem: Callable[[FileProblem], None] | None = None,
              forget_missing: bool = False, survey_in_child: bool = False,
              embed: bool = True) -> IndexChanges:
        """Index the given folders or files (default: all library folders). Without
        ``embed`` (no model yet) photos are stored without vectors, to browse; the next
        run with ``embed`` gives them their vectors."""
        roots = roots if roots is not None else self.folders()
        with self._runs_lock:
            self._runs += 1
        try:
            changes = self._indexer(self.store, self.embedder).run(
                roots, progress, cancel, on_commit, on_problem, forget_missing, survey_in_child,
                embed)
        finally:
            with self._runs_lock:
                self._runs -= 1
        if changes.added:
            changes = self._forget_again(changes, on_commit)
            self.user_data.follow_moves(changes.photos)
        if len(changes.added) + len(changes.updated) >= 1000:
            self.store.optimize()
        if not changes.cancelled and (changes.added or changes.updated or changes.removed
                                      or self._snapshot_search() is None):
            self.store.save_snapshot(soon=True)  # the next process searches without the table
        return changes

    # --- browsing and searching ----------------------------------------------------

    def photos(self, search_filter: SearchFilter | None = None,
               order: PhotoOrder = PhotoOrder.DATE) -> list[Photo]:
        """Every indexed photo (passing the filter), newest first or in ``order``."""
        return sort_photos(self.store.photos(search_filter), order)

    def search(self, query: Query | str, k: int = 50, *, search_filter: SearchFilter | None = None,
               include_weaker: bool = False, auto_folder: bool = True,
               strictness: int | None = None) -> SearchResult:
        """Run a query (text in the query grammar, or a parsed ``Query``): the one search
        behind the window, the CLI and the API.

        Hits below the calibrated relevance bar are counted in ``weaker`` and left out
        unless ``include_weaker``. With ``auto_folder``, a query naming a library folder
        ("beach from holidays 2023") is scoped to it. ``search_filter`` adds to the
        query's own filters (the CLI's options, the folder chosen in the window).
        """
        query = parse_query(query) if isinstance(query, str) else query
        check_k(k)
        embedder, store = self._model_and_store()
        result_id = query_id(store.model_id, query)
        if isinstance(store, PhotoStore) and not store.has_vectors_in_memory and store.count() == 0:
            return SearchResult(result_id, query, (), indexed=0)  # without loading anything
        index = store.vectors_in_memory()
        if len(index) == 0:
            return SearchResult(result_id, query, (), indexed=0)
        asked = query
        folders, auto_folders, query = self._scope(query, index, search_filter, auto_folder)
        resolved = self._search_filter(query, search_filter, folders)
        composed = compose(query, embedder, store, self._calibration(embedder, store),
                           strictness or self.settings.search_strictness)
        self._remember(result_id, asked, composed.vector)
        vector = learned_vector(composed.vector, result_id, self._ratings(),
                                lambda path: self._rated_vector(store, path))
        hits = self._alive_hits(store, vector, k, resolved, composed.exclude_paths, composed.gates)
        strong = hits if composed.bar is None else [h for h in hits if h.score >= composed.bar]
        return SearchResult(result_id, query, tuple(hits if include_weaker else strong),
                            weaker=0 if include_weaker else len(hits) - len(strong),
                            strong=len(strong), threshold=composed.bar,
                            indexed=len(index), folders=folders, auto_folders=auto_folders)

    def search_each(self, query: Query, k: int = 50, **options) -> list[SearchResult]:
        """One search per query image (with the query's text and filters), in their order:
        "the best photos for each of these", where ``search`` finds those like all of them."""
        if not query.images:
            raise QueryError("no query images given")
        return [self.search(query.with_images([image]), k, **options) for image in query.images]

    def feedback(self, query_id: str, photo: str, rating: int) -> Feedback:
        """Rate a result of a search 1-10 (a path or a photo id); later searches for that
        query, or one like it, rank photos like the good ones higher and the bad lower."""
        if not 1 <= int(rating) <= 10:
            raise QueryError(f"a rating is 1 to 10, not {rating}")
        query, vector = self._recent.get(query_id, (None, None))
        if query is None:
            query = RecentQueries(self.paths.data / "recent-queries.json").find(query_id)
        if query is None:
            raise NotFoundError(f"unknown query id {query_id}: search again, then rate its results")
        embedder, store = self._model_and_store()
        if vector is None:
            vector = compose(query, embedder, store, None).vector
        row = self.user_data.add_feedback(query_id, query.to_text(), vector,
                                          self.photo(photo), int(rating))
        self._feedback = None
        return row

    def photo(self, reference: str) -> Photo:
        """An indexed photo by path or by id; NotFoundError if there is none."""
        rows = self.store.rows_of([absolute_path(reference)])
        if rows.num_rows:
            return photos_from_arrow(rows)[0]
        if "/" not in reference:
            return self.photo_by_id(reference)
        raise NotFoundError(f"no indexed photo {reference}")

    def _remember(self, query_id: str, query: Query, vector: np.ndarray) -> None:
        """What a query id stands for, for feedback given later (here, or in another process).
        A query already remembered by this process is on disk already: searching it again
        (scrolling, the window's refreshes) reads and writes no file."""
        known = query_id in self._recent
        self._recent[query_id] = (query, vector)
        while len(self._recent) > RECENT_QUERIES:
            self._recent.pop(next(iter(self._recent)))
        if not known:
            RecentQueries(self.paths.data / "recent-queries.json").remember(query_id, query)

    def _ratings(self) -> list[Feedback]:
        if self._feedback is None:
            self._feedback = self.user_data.feedback()
        return self._feedback

    def _rated_vector(self, store: PhotoStore, path: str) -> np.ndarray | None:
        key = (store.model_id, path)
        if key not in self._rated_vectors:
            self._rated_vectors[key] = store.vector_of(path)
        return self._rated_vectors[key]
    def photo_by_id(self, photo_id_: str) -> Photo:
        """The indexed photo with this id (``Photo.id``), or NotFoundError: what the API
        serves (no path comes from a request). The ids are read from the index once per
        table version, so unknown ids cost no repeated reads."""
        store = self.store
        with self._store_lock:
            path = self._paths_by_id.get(photo_id_)
            if path is None and store.version != self._ids_version:
                self._ids_version = store.version
                self._paths_by_id = {photo_id(p.path): p.path for p in store.photos()}
                path = self._paths_by_id.get(photo_id_)
        photo = store.photo_at(path) if path else None
        if photo is None:
            raise NotFoundError(f"no indexed photo {photo_id_}")
        return photo

    def embed(self, text: str = "", image: bytes | None = None) -> np.ndarray:
        """The model's unit vector for a text taken literally, or for encoded image data:
        the vector a search for it looks for."""
        if image is not None:
            query = images_query([image])
        elif text.strip():
            query = Query(parts=(TextPart(text.strip()),))
        else:
            raise QueryError("the text is empty")
        embedder, store = self._model_and_store()
        return compose(query, embedder, store, calibration=None).vector

    def search_text(self, text: str, k: int = 50,
                    search_filter: SearchFilter | None = None) -> list[SearchHit]:
        """The k best photos for a description taken literally (no grammar, no cut-off)."""
        text = text.strip()
        if not text:
            raise QueryError("the search text is empty")
        query = Query(parts=(TextPart(text),))
        return list(self.search(query, k, search_filter=search_filter, include_weaker=True,
                                auto_folder=False).hits)

    def search_images(self, images: Sequence[str | Path | bytes], k: int = 50,
                      search_filter: SearchFilter | None = None) -> list[SearchHit]:
        """Photos like all of these images: files (indexed ones reuse their stored vectors,
        and are left out of the results) or encoded image data (pasted, from a browser);
        no cut-off."""
        if not images:
            raise QueryError("no query images given")
        query = images_query([i if isinstance(i, bytes) else os.fspath(i) for i in images])
        return list(self.search(query, k, search_filter=search_filter, include_weaker=True).hits)

    def similar(self, path: str | Path, k: int = 50,
                search_filter: SearchFilter | None = None) -> list[SearchHit]:
        return self.search_images([path], k, search_filter)

    def _scope(self, query: Query, index, search_filter: SearchFilter | None,
               auto_folder: bool) -> tuple[tuple[str, ...], tuple[str, ...], Query]:
        """The folders a search is limited to: named with in:, or said in the text (then
        taken out of it); the query as it will be searched."""
        roots = self.folders()
        known = folders_below_roots(index.folders(), roots)
        named = tuple(f for name in query.filters.folders for f in resolve_folder(name, roots, known))
        auto: tuple[str, ...] = ()
        if auto_folder and not named and not (search_filter and search_filter.folders):
            main = next((p for p in query.parts if p.role.value == "want" and not p.quoted
                         and p.weight == 1.0), None)
            if main is not None:
                auto, rest = folders_named_in(main.text, known)
                if auto and rest.strip():
                    parts = tuple(TextPart(rest) if p is main else p for p in query.parts)
                    query = Query(parts, query.images, query.filters)
        return named + auto, auto, query

    def _search_filter(self, query: Query, given: SearchFilter | None,
                       folders: tuple[str, ...]) -> SearchFilter | None:
        """The query's typed filters joined with the given ones (both must hold)."""
        f, given = query.filters, given or SearchFilter()
        if not f and not folders and given == SearchFilter():
            return None
        after = max((d for d in (f.after, given.taken_after) if d), default=None)
        before = min((d for d in (f.before, given.taken_before) if d), default=None)
        near = resolve_place(f.near) if f.near else given.near
        if f.near and given.near and near != given.near:
            raise QueryError("one place at a time: near: in the text and --near both ask")
        return SearchFilter(folders=folders + given.folders, taken_after=after, taken_before=before,
                            types=_with_aliases(f.types + given.types),
                            orientation=f.orientation or given.orientation, paths=given.paths,
                            cameras=f.cameras + given.cameras,
                            has_location=f.has_location or given.has_location, near=near)

    def _calibration(self, embedder: Embedder, store: PhotoStore) -> Calibration | None:
        """The relevance bars of this model on this library: stored, or measured now."""
        index = store.vectors_in_memory()
        if len(index) < MIN_PHOTOS:
            return None
        cached = self._calibrations.get(store.model_id)
        if cached is None:
            cached = CalibrationFile(self.paths.data / "relevance.json").load(store.model_id)
        if cached is None or cached.stale_for(len(index)):
            cached = calibrate(store.model_id, len(index), index.sample(SAMPLE_PHOTOS),
                               embedder.embed_texts)
            CalibrationFile(self.paths.data / "relevance.json").save(cached)
        self._calibrations[store.model_id] = cached
        return cached

    def _alive_hits(self, store: PhotoStore, vector: np.ndarray, k: int,
                    search_filter: SearchFilter | None, exclude: frozenset[str] = frozenset(),
                    gates: tuple = ()) -> list[SearchHit]:
        """The k best hits whose files exist, or whose library folder is offline (they are
        shown as offline); files deleted from a folder that is there are dropped."""
        hits = store.search(vector, k + len(exclude) + OVERFETCH, search_filter, gates)
        offline = offline_folders(self.folders())
        alive = [h for h in hits if h.photo.path not in exclude
                 and (os.path.exists(h.photo.path) or offline_folder_of(h.photo.path, offline))]
        return alive[:k]

    def duplicates(self, folder: str | Path | None = None) -> list:
        """Groups of near-duplicate photos (duplicates.DuplicateGroup), in the library or
        below ``folder``. Photos indexed before hashes were kept are measured first, once."""
        from photofinder.duplicates import duplicate_groups

        search_filter = SearchFilter(folders=(absolute_path(folder),)) if folder else None
        rows = self.store.likeness_rows(search_filter)
        unmeasured = rows.filter(rows.column("phash").is_null()).column("path").to_pylist()
        if unmeasured:
            self._measure_likeness(unmeasured)
            rows = self.store.likeness_rows(search_filter)
        return duplicate_groups(rows)

    def _measure_likeness(self, paths: Sequence[str]) -> None:
        from concurrent.futures import ThreadPoolExecutor

        from photofinder.indexing.images import load_image
        from photofinder.indexing.likeness import SHARPNESS_SIDE, likeness_of

        def measure(photo: Photo) -> Photo:
            try:
                loaded = load_image(photo.path, SHARPNESS_SIDE)
            except ImageError as exc:
                log.warning("cannot measure %s for duplicates: %s", photo.path, exc)
                return photo
            return dataclasses.replace(photo, likeness=likeness_of(loaded.image, loaded.has_exif))

        log.info("measuring %d photos indexed before duplicate detection", len(paths))
        photos = photos_from_arrow(self.store.rows_of(paths))
        with ThreadPoolExecutor(max(2, os.cpu_count() or 2)) as pool:
            self.store.set_likeness(list(pool.map(measure, photos)))

    def status(self) -> dict:
        """What the CLI's `status` and the window's footer show."""
        spec = self.embedder.spec
        info = self.embedder.info or self.embedder.expected_info()
        return {
            "photos": self.store.count(),
            "photos_without_vectors": self.store.count_without_vectors(),
            "folders": self.folders(),
            "model": spec.model_id,
            "device": info.device,
            "precision": info.precision,
            "backend": info.backend,
            "agreement": info.agreement,
            "runs_on": info.describe_backend(),
            "index_bytes": self.store.disk_bytes(),
            "data_folder": str(self.paths.data),
        }



TYPE_ALIASES = {"jpg": ("jpg", "jpeg"), "jpeg": ("jpg", "jpeg"), "tif": ("tif", "tiff"),
                "tiff": ("tif", "tiff"), "heic": ("heic", "heif"), "heif": ("heic", "heif")}


def _with_aliases(types: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(a for t in types for a in TYPE_ALIASES.get(t, (t,))))

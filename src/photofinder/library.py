"""The photo library as scripts, the CLI, the API and the window all see it.

It ties the settings, the index and the model together; the model is loaded
only when something needs it (indexing or a search), so listing and browsing
the library never wait for torch.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import threading
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from photofinder.config import Paths, Settings, absolute_path
from photofinder.embedder import Embedder, ModelSpec, embedding_dimension
from photofinder.errors import ImageError, QueryError
from photofinder.presence import offline_folder_of, offline_folders
from photofinder.records import (
    FileProblem, IndexChanges, IndexProgress, ModelInfo, Photo, SearchFilter, SearchHit,
)
from photofinder.store import PhotoStore, photos_from_arrow
from photofinder.user_data import LibraryFolder, ReadOnlyError, UserData

log = logging.getLogger("photofinder.library")

OVERFETCH = 16  # extra hits asked of the index, to replace results whose file is gone


class Library:
    """Everything photofinder knows about the user's photos."""

    def __init__(self, paths: Paths | None = None, settings: Settings | None = None,
                 model: ModelSpec | None = None):
        self.paths = paths or Paths.from_environment()
        self.settings = settings or Settings.load(self.paths.settings_file)
        self.user_data = UserData(self.paths.user_data_file)
        self._adopt_settings_folders()
        model = model or ModelSpec(*self.settings.effective_model())
        self.embedder = Embedder(model, self.paths.models)
        self._store: PhotoStore | None = None
        self._store_lock = threading.RLock()  # _model_and_store opens the store inside

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
        with self._store_lock:
            if self._store is None:
                spec = self.embedder.spec
                self._store = PhotoStore(self.paths.index, spec.model_id,
                                         embedding_dimension(spec.arch))
            return self._store

    def _model_and_store(self) -> tuple[Embedder, PhotoStore]:
        """The embedder and its table, read together: a model switch swaps both at once,
        and a query embedded by one model must be looked up among that model's vectors."""
        with self._store_lock:
            return self.embedder, self.store

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

        return Indexer(store, embedder, self.user_data.excluded_folders(),
                       thumbnails=self.paths.thumbnails)

    def load_model(self, progress: Callable[[int, int | None], None] | None = None,
                   cancel: Callable[[], bool] | None = None) -> ModelInfo:
        return self.embedder.load(progress=progress, cancel=cancel)

    def prepare_search(self, progress: Callable[[int, int | None], None] | None = None,
                       cancel: Callable[[], bool] | None = None) -> None:
        """Ready the text encoder and read the vectors into memory: all a first search
        waits for. The window calls it at launch, in a worker, so a query typed at once
        is answered as soon as possible."""
        self.embedder.prepare_for_text(progress, cancel)
        if self.folders():
            self.store.vectors_in_memory()

    def folders(self) -> list[str]:
        return [f.path for f in self.user_data.folders()]

    def library_folders(self) -> list[LibraryFolder]:
        """The folders with how each is watched."""
        return self.user_data.folders()

    def add_folder(self, path: str | Path, poll: bool = False) -> str:
        folder = absolute_path(path)
        if not os.path.isdir(folder):
            raise QueryError(f"not a folder: {folder}")
        self.user_data.add_folder(folder, poll)
        return folder

    def remove_folder(self, path: str | Path) -> int:
        """Stop watching a folder and drop its photos from the index."""
        folder = absolute_path(path)
        self.user_data.remove_folder(folder)
        return self.store.delete_below(folder)

    def forget(self, path: str | Path) -> int:
        """Remove a photo, or every photo below a folder, from the index (files stay)."""
        return self.store.delete_below(absolute_path(path))

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
        changes = self._indexer(self.store, self.embedder).run(
            roots, progress, cancel, on_commit, on_problem, forget_missing, survey_in_child,
            embed)
        if changes.added:
            self.user_data.follow_moves(changes.photos)
        if len(changes.added) + len(changes.updated) >= 1000:
            self.store.optimize()
        return changes

    # --- browsing and searching ----------------------------------------------------

    def photos(self, search_filter: SearchFilter | None = None) -> list[Photo]:
        """Every indexed photo, newest first."""
        return sorted(self.store.photos(search_filter), key=lambda p: p.taken_at, reverse=True)

    def search_text(self, text: str, k: int = 50,
                    search_filter: SearchFilter | None = None) -> list[SearchHit]:
        text = text.strip()
        if not text:
            raise QueryError("the search text is empty")
        embedder, store = self._model_and_store()
        return self._search(store, embedder.embed_texts([text])[0], k, search_filter)

    def search_images(self, images: Sequence[str | Path | bytes], k: int = 50,
                      search_filter: SearchFilter | None = None) -> list[SearchHit]:
        """Photos like all of these images: files (indexed ones reuse their stored vectors,
        and are left out of the results) or encoded image data (pasted, from a browser)."""
        if not images:
            raise QueryError("no query images given")
        embedder, store = self._model_and_store()
        vector = _mean_direction([_vector_for(image, embedder, store) for image in images])
        exclude = {absolute_path(i) for i in images if not isinstance(i, bytes)}
        return self._search(store, vector, k, search_filter, exclude)

    def similar(self, path: str | Path, k: int = 50,
                search_filter: SearchFilter | None = None) -> list[SearchHit]:
        return self.search_images([path], k, search_filter)

    def search_vector(self, vector: np.ndarray, k: int, search_filter: SearchFilter | None = None,
                      exclude: set[str] = frozenset()) -> list[SearchHit]:
        return self._search(self.store, vector, k, search_filter, exclude)

    def _search(self, store: PhotoStore, vector: np.ndarray, k: int,
                search_filter: SearchFilter | None, exclude: set[str] = frozenset()) -> list[SearchHit]:
        """The k best hits whose files exist, or whose library folder is offline (they are
        shown as offline); files deleted from a folder that is there are dropped."""
        if k <= 0:
            return []
        hits = store.search(vector, k + len(exclude) + OVERFETCH, search_filter)
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
        info = self.embedder.info or self.embedder.remembered_info()
        return {
            "photos": self.store.count(),
            "photos_without_vectors": self.store.count_without_vectors(),
            "folders": self.folders(),
            "model": spec.model_id,
            "device": info.device if info else None,
            "precision": info.precision if info else None,
            "backend": info.backend if info else None,
            "agreement": info.agreement if info else None,
            "index_bytes": self.store.disk_bytes(),
            "data_folder": str(self.paths.data),
        }


def _vector_for(image: str | Path | bytes, embedder: Embedder, store: PhotoStore) -> np.ndarray:
    """A query image's vector: stored if the file is indexed, else embedded now."""
    from photofinder.indexing.images import load_image, load_image_bytes

    if isinstance(image, bytes):
        name = "the dropped image data"
        load = lambda: load_image_bytes(image, embedder.input_size)  # noqa: E731
    else:
        name = absolute_path(image)
        stored = store.vector_of(name)
        if stored is not None:
            return stored
        load = lambda: load_image(name, embedder.input_size)  # noqa: E731
    try:
        loaded = load()
    except ImageError as exc:
        raise QueryError(f"cannot use {name} as a query: {exc}") from exc
    return embedder.embed_images([loaded.image])[0]


def _mean_direction(vectors: Sequence[np.ndarray] | np.ndarray) -> np.ndarray:
    """Several query images become one query: the normalised mean of their vectors."""
    mean = np.mean(np.asarray(vectors, dtype=np.float32), axis=0)
    return mean / max(float(np.linalg.norm(mean)), 1e-12)

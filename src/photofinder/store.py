"""The photo index: one embedded LanceDB table per model, one writer.

LanceDB commits every write as a new table version with an atomic manifest
swap, so a process killed mid-write leaves the previous version intact: the
next run sees either all of a batch or none of it. Rows are keyed on path.
Searches run on a copy of the vectors in memory (``vector_index``), filled on
the first search and kept in step with every write made here.

A row's vector may be null: a photo scanned while no model was available (offline
first run) is listed, browsable and sorted by date at once, and gets its vector from
the next indexing run that has the model. Searches see only rows with vectors.

Paths and fingerprints have B-tree indexes, so a commit or a lookup reads a
few pages rather than a column of the whole library. Every MAINTAIN_EVERY
versions the table is optimised: small fragments merged, new rows brought into
those indexes, and the files of superseded versions deleted (LanceDB keeps them
for 7 days by default, which doubled the table after each compaction).
"""

from __future__ import annotations

import atexit
import json
import logging
import os
import re
import threading
import time
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import Callable, Iterable, Iterator, Sequence

import numpy as np
import pyarrow as pa  # not pyarrow.compute (0.1 s): a search from the snapshot never needs it

from photofinder.atomic_file import write_json_atomically
from photofinder.errors import IndexDamaged, StoreError
from photofinder.hardware import importable
from photofinder.index_health import (
    FileChecksums, check_table_files, check_vectors, damaged, table_folder,
)
from photofinder.memory import return_freed_memory
from photofinder.geo import EARTH_RADIUS_KM
from photofinder.records import GeoCircle, Likeness, Photo, SearchFilter, SearchHit
from photofinder.vector_snapshot import open_snapshot, save, snapshot_folder
from photofinder.writer_lock import writer_lock

log = logging.getLogger("photofinder.store")

SCHEMA_VERSION = 4
# The camera and GPS position from EXIF (records.Photo); null in rows written before schema 4.
EXIF_DETAIL_FIELDS = (
    pa.field("camera", pa.string()),
    pa.field("latitude", pa.float64()),
    pa.field("longitude", pa.float64()),
)
METADATA_FIELDS = (
    pa.field("path", pa.string(), nullable=False),
    pa.field("folder", pa.string()),
    pa.field("size", pa.int64()),
    pa.field("mtime_ns", pa.int64()),
    pa.field("fingerprint", pa.string()),
    pa.field("width", pa.int32()),
    pa.field("height", pa.int32()),
    pa.field("taken_at", pa.timestamp("us")),
    pa.field("model_id", pa.string()),
    *EXIF_DETAIL_FIELDS,  # searched by the in-memory index: the filters camera:, has:, near:
)
METADATA_COLUMNS = tuple(field.name for field in METADATA_FIELDS)
# Near-duplicate detection's measurements (records.Likeness); null for photos indexed before
# schema 2. Kept out of METADATA_FIELDS: browsing and the in-memory search index never need them.
LIKENESS_FIELDS = (
    pa.field("phash", pa.int64()),
    pa.field("sharpness", pa.float32()),
    pa.field("has_exif", pa.bool_()),
)
LIKENESS_COLUMNS = tuple(field.name for field in LIKENESS_FIELDS)
LOOKUP_COLUMNS = ("path", "fingerprint")  # B-tree indexed
MAINTAIN_EVERY = 32  # table versions between optimisations (~1 s at 1M rows)
# Versions older than this are deleted by an optimisation: all but the newest, in effect.
# Not 0, for which LanceDB warns about readers of older versions: ours wait (_ScanGuard),
# and one process writes an index folder at a time.
KEEP_VERSIONS_FOR = timedelta(milliseconds=1)
# Seconds between snapshot saves while writes keep coming (a save copies every vector).
SNAPSHOT_EVERY = 60.0
SNAPSHOT_EXIT_WAIT = 30.0  # seconds a process that is ending gives a snapshot save under way
SQL_LIST_MAX = 500  # values in one IN (...) list
HAS_VECTOR = "vector IS NOT NULL"


def photo_schema(dimension: int) -> pa.Schema:
    return pa.schema([*METADATA_FIELDS, *LIKENESS_FIELDS,
                      pa.field("vector", pa.list_(pa.float32(), dimension))],
                     metadata={"photofinder_schema": str(SCHEMA_VERSION)})


def _add_columns(index_dir: Path, fields: Sequence[pa.Field]) -> None:
    """Add the ``fields`` a table lacks, null in every row (no row is rewritten)."""
    import lancedb

    db = lancedb.connect(str(index_dir))
    for name in db.list_tables().tables:
        table = db.open_table(name)
        missing = [f for f in fields if f.name not in table.schema.names]
        if missing:
            table.add_columns(missing)


def _add_likeness_columns(index_dir: Path) -> None:
    """Schema 1 to 2: empty likeness columns; `photofinder duplicates` measures those
    photos when it first needs them."""
    _add_columns(index_dir, LIKENESS_FIELDS)


def _allow_rows_without_vectors(index_dir: Path) -> None:
    """2 -> 3: rows may lack a vector. Every older row has one, so nothing is rewritten;
    the new number keeps an older photofinder (whose search reads every row's vector)
    away from a folder that holds such rows."""


def _add_exif_detail_columns(index_dir: Path) -> None:
    """3 -> 4: empty camera and GPS columns; the next indexing run of a folder reads
    them from the EXIF of its photos (``PhotoStore.paths_without_details``)."""
    _add_columns(index_dir, EXIF_DETAIL_FIELDS)


# Forward migrations of the index folder: MIGRATIONS[n] turns version n into n + 1.
MIGRATIONS: dict[int, Callable[[Path], None]] = {
    1: _add_likeness_columns,
    2: _allow_rows_without_vectors,
    3: _add_exif_detail_columns,
}


def index_schema_version(index_dir: Path) -> int:
    """The schema an index folder was written with; IndexDamaged if newer than this one's
    (it is refused rather than damaged)."""
    marker = index_dir / "schema.json"
    try:
        version = json.loads(marker.read_text())["version"]
    except FileNotFoundError:
        version = SCHEMA_VERSION if not any(index_dir.glob("*.lance")) else 1
    except (OSError, ValueError, KeyError) as exc:
        raise StoreError(f"the index's schema marker {marker} is unreadable: {exc}") from exc
    if version > SCHEMA_VERSION:
        raise IndexDamaged(f"the photo index is from a newer photofinder (schema {version}, "
                           f"this one reads {SCHEMA_VERSION}): upgrade photofinder, or run "
                           "`photofinder repair` to rebuild it for this one", can_roll_back=False)
    return version


def migrate_index_folder(index_dir: Path) -> None:
    """Bring an index folder written by an older photofinder up to SCHEMA_VERSION."""
    marker = index_dir / "schema.json"
    version = index_schema_version(index_dir)
    while version < SCHEMA_VERSION:
        log.info("migrating the index from schema %d to %d", version, version + 1)
        MIGRATIONS[version](index_dir)
        version += 1
    if not marker.exists() or version != json.loads(marker.read_text())["version"]:
        write_json_atomically(marker, {"version": version}, durable=True)


def table_name_for(model_id: str) -> str:
    """A table per model: switching models never mixes vectors of two spaces."""
    return "photos_" + re.sub(r"[^A-Za-z0-9_]+", "_", model_id).strip("_").lower()


def sql_string(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def sql_prefix(folder: str) -> str:
    """A filter matching ``folder`` itself and every path below it (LIKE wildcards escaped)."""
    folder = folder.rstrip("/")
    return (f"(path = {sql_string(folder)} OR "
            f"path LIKE {sql_string(_like_escaped(folder + '/') + '%')} ESCAPE '\\')")


def _like_escaped(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def sql_like_any(column: str, words: Sequence[str]) -> str:
    """``column`` contains any of ``words``, in any case (LIKE wildcards escaped)."""
    return "(" + " OR ".join(
        f"lower({column}) LIKE {sql_string('%' + _like_escaped(w.lower()) + '%')} ESCAPE '\\'"
        for w in words) + ")"


def sql_within(circle: GeoCircle) -> str:
    """The rows whose position lies within ``circle`` (haversine, as ``geo.distance_km``)."""
    lat, lon, km = (f"{float(n):.7f}" for n in (circle.latitude, circle.longitude, circle.radius_km))
    return (f"2 * {EARTH_RADIUS_KM} * asin(sqrt(power(sin(radians(latitude - {lat}) / 2), 2)"
            f" + cos(radians({lat})) * cos(radians(latitude))"
            f" * power(sin(radians(longitude - {lon}) / 2), 2))) <= {km}")


def sql_in(column: str, values: Sequence[str]) -> Iterator[tuple[Sequence[str], str]]:
    """``column IN (...)`` filters over ``values``, SQL_LIST_MAX at a time, with their values."""
    for start in range(0, len(values), SQL_LIST_MAX):
        chunk = values[start:start + SQL_LIST_MAX]
        yield chunk, f"{column} IN (" + ",".join(sql_string(v) for v in chunk) + ")"


def filter_sql(search_filter: SearchFilter | None, *more: str) -> str | None:
    """The WHERE clause of a filter, and'ed with the ``more`` clauses."""
    clauses = list(more)
    f = search_filter or SearchFilter()
    if f.folders:
        clauses.append("(" + " OR ".join(sql_prefix(folder) for folder in f.folders) + ")")
    if f.taken_after:
        clauses.append(f"taken_at >= timestamp '{f.taken_after.isoformat(sep=' ')}'")
    if f.taken_before:
        clauses.append(f"taken_at < timestamp '{f.taken_before.isoformat(sep=' ')}'")
    if f.types:
        clauses.append("(" + " OR ".join(f"lower(path) LIKE {sql_string('%.' + t)}"
                                         for t in f.types) + ")")
    if f.orientation:
        clauses.append({"portrait": "width < height", "landscape": "width > height",
                        "square": "width = height"}[f.orientation])
    if f.paths is not None:
        clauses.append("path IN (" + ",".join(map(sql_string, sorted(f.paths))) + ")"
                       if f.paths else "false")
    if f.cameras:
        clauses.append(sql_like_any("camera", f.cameras))
    if f.has_location or f.near:
        clauses.append("latitude IS NOT NULL AND longitude IS NOT NULL")
    if f.near:
        clauses.append(sql_within(f.near))
    return " AND ".join(clauses) or None


def _vectors_of(table: pa.Table) -> np.ndarray:
    column = table.column("vector").combine_chunks()
    shape = (len(column), column.type.list_size)
    return column.values.to_numpy().reshape(shape).astype(np.float32, copy=False)


def python_list(column: pa.ChunkedArray, slice_rows: int = 4096) -> list:
    """``column.to_pylist()`` in slices: one call holds the GIL until it is done (~50 ms
    per 100,000 paths), which stalls the window's thread; between slices it can run."""
    values: list = []
    for start in range(0, len(column), slice_rows):
        values.extend(column.slice(start, slice_rows).to_pylist())
    return values


def photos_from_arrow(table: pa.Table) -> list[Photo]:
    """Photo records of rows; with their likeness where ``table`` has those columns."""
    columns = {name: python_list(table.column(name)) for name in METADATA_COLUMNS if name != "model_id"}
    likenesses = _likenesses(table)
    return [
        Photo(
            path=columns["path"][i], folder=columns["folder"][i], size=columns["size"][i],
            mtime_ns=columns["mtime_ns"][i], fingerprint=columns["fingerprint"][i],
            width=columns["width"][i], height=columns["height"][i],
            taken_at=columns["taken_at"][i] or datetime.fromtimestamp(0),
            likeness=likenesses[i], camera=columns["camera"][i],
            location=None if columns["latitude"][i] is None or columns["longitude"][i] is None
            else (columns["latitude"][i], columns["longitude"][i]),
        )
        for i in range(table.num_rows)
    ]


def _likenesses(table: pa.Table) -> list[Likeness | None]:
    if "phash" not in table.column_names:
        return [None] * table.num_rows
    phash, sharp, exif = (table.column(name).to_pylist() for name in LIKENESS_COLUMNS)
    return [None if phash[i] is None else Likeness(phash[i], sharp[i] or 0.0, bool(exif[i]))
            for i in range(table.num_rows)]


class _ScanGuard:
    """Table reads run side by side; deleting old versions' files waits until none runs,
    since a read may still be going through the version it started on."""

    def __init__(self):
        self._idle = threading.Condition()
        self._reads = 0

    @contextmanager
    def read(self):
        with self._idle:
            self._reads += 1
        try:
            yield
        finally:
            with self._idle:
                self._reads -= 1
                self._idle.notify_all()

    @contextmanager
    def exclusive(self):
        with self._idle:
            self._idle.wait_for(lambda: self._reads == 0)
            yield


def _finish_snapshot_saves() -> None:
    """At exit, a snapshot save under way finishes and one waiting on its timer is dropped:
    a daemon thread still inside Arrow's C++ as the interpreter ends aborts the process
    ("terminate called without an active exception")."""
    for thread in threading.enumerate():
        timer = isinstance(thread, threading.Timer)
        if timer and getattr(thread.function, "__name__", "") == "_save_snapshot_quietly":
            thread.cancel()
            thread.join(SNAPSHOT_EXIT_WAIT)
        elif thread.name == "pf-snapshot":
            thread.join(SNAPSHOT_EXIT_WAIT)


atexit.register(_finish_snapshot_saves)


class PhotoStore:
    """Owns the photo table of one model. Writes are serialised by a lock, across
    processes too: each commit holds the library's ``writer_lock``.

    A commit made by another process shows as a table version this one did not make:
    the vectors in memory are then read again, so searches never miss its rows.
    """

    def __init__(self, index_dir: Path, model_id: str, dimension: int):
        import lancedb  # heavy: imported when the index is first opened

        self.model_id = model_id
        self.dimension = dimension
        self._write_lock = threading.Lock()
        self._snapshot_lock = threading.RLock()
        self._last_snapshot = -SNAPSHOT_EVERY  # monotonic time of the last save
        self._snapshot_timer: threading.Timer | None = None
        self._writer = writer_lock(index_dir)  # shared by every process on this library
        self._scans = _ScanGuard()
        self._in_memory = None  # the VectorIndex, loaded by the first search
        self._contents_checked = False  # every file's CRC, checked by the first full read
        self._details_all_read = False  # no row left from before cameras were read
        self.table_dir = table_folder(index_dir, table_name_for(model_id))
        self._memory_version = -1  # the table version the vectors in memory reflect
        try:
            self._index_dir = index_dir
            index_dir.mkdir(parents=True, exist_ok=True)
            migrate_index_folder(index_dir)
            check_table_files(self.table_dir)
            # Each read starts on the newest version (~0.01 ms): one whose files an
            # optimisation deleted is never read again.
            self._db = lancedb.connect(str(index_dir), read_consistency_interval=timedelta(0))
            with self._translate_errors("open"):
                self._table = self._open_or_create(table_name_for(model_id), dimension)
                schema = self._table.schema
                if "vector" not in schema.names:
                    raise damaged(f"the table in {self.table_dir} has no vectors")
                stored_dim = schema.field("vector").type.list_size
        except OSError as exc:
            raise StoreError(f"cannot open the index in {index_dir}: {exc.strerror or exc}") from exc
        if stored_dim != dimension:
            raise damaged(f"its table for {model_id} holds {stored_dim}-d vectors, the model "
                          f"makes {dimension}-d", can_roll_back=False)
        self._checksums = FileChecksums(self.table_dir)
        self._checksums.record_new()  # files of a run that stopped before recording them
        # Optimising leaves one version, so the oldest one left is the last optimisation.
        self._optimized_version = min(v["version"] for v in self._table.list_versions())

    def _open_or_create(self, name: str, dimension: int):
        if name in self._db.list_tables().tables:
            return self._db.open_table(name)
        if self.table_dir.exists():  # a folder LanceDB does not see as a table
            raise damaged(f"LanceDB cannot read the table in {self.table_dir}")
        try:
            table = self._db.create_table(name, schema=photo_schema(dimension))
        except ValueError:  # another process created it a moment ago
            return self._db.open_table(name)
        _index_lookup_columns(table)
        return table

    # --- writing -------------------------------------------------------------

    def upsert(self, photos: Sequence[Photo], vectors: np.ndarray | Sequence[np.ndarray | None]) -> None:
        """Insert or replace rows by path, in one commit; a None vector stores the photo
        without one (no model yet), to be embedded by a later run."""
        if not photos:
            return
        data = self._to_arrow(photos, vectors)
        paths = data.column("path").to_pylist()
        with self._committing("write to"):
            replaced = set(self._matching("path", paths))
            if replaced:  # edited photos: matched by path and replaced in the same commit
                (self._table.merge_insert("path")
                 .when_matched_update_all()
                 .when_not_matched_insert_all()
                 .execute(data, on_bad_vectors="null"))  # null: no vector yet, not "bad"
            else:  # new photos only: nothing to match, so no join against the table
                self._table.add(data, on_bad_vectors="null")
            if self._in_memory is not None:
                self._in_memory.remove_paths(sorted(replaced))
                self._in_memory.append(data.filter(data.column("vector").is_valid()))
            self._maintain_if_due()

    def add_rows(self, rows: pa.Table) -> None:
        """Put back whole rows read by ``rows_of`` (an undone removal), replacing any of
        the same paths."""
        if not rows.num_rows:
            return
        has_vector = rows.column("vector").is_valid().to_pylist()
        vectors = [v if ok else None for v, ok in zip(_vectors_of(rows), has_vector)]
        self.upsert(photos_from_arrow(rows), vectors)

    def delete_paths(self, paths: Iterable[str]) -> int:
        removed = 0
        for chunk, where in sql_in("path", list(paths)):
            with self._committing("delete from"):
                removed += self._table.count_rows(where)
                self._table.delete(where)
                if self._in_memory is not None:
                    self._in_memory.remove_paths(list(chunk))
                self._maintain_if_due()
        return removed

    def delete_below(self, folder: str) -> int:
        where = sql_prefix(folder)
        with self._committing("delete from"):
            removed = self._table.count_rows(where)
            if removed:
                self._table.delete(where)
                if self._in_memory is not None:
                    self._in_memory.remove_below(folder)
                self._maintain_if_due()
        return removed

    def drop(self) -> None:
        """Delete this model's table (after the library moved to another model)."""
        with self._write_lock, self._writer.held(), self._translate_errors("drop"), \
                self._scans.exclusive():
            self._db.drop_table(self._table.name)

    def optimize(self) -> None:
        """Fold small fragments together after an import (faster scans, fewer files)."""
        with self._committing("optimise"):
            self._optimize()

    @contextmanager
    def _committing(self, verb: str):
        """Hold both write locks for a commit. Vectors in memory that missed another
        process's commit are dropped first (the next search reads them again)."""
        with self._write_lock, self._writer.held(), self._translate_errors(verb):
            if self._in_memory is not None and self._table.version != self._memory_version:
                self._in_memory = None
            yield
            self._memory_version = self._table.version

    def _maintain_if_due(self) -> None:
        """Keeps a long run's small fragments, unindexed rows and old versions bounded.
        The write before it is committed whatever happens here: a failure is only logged."""
        self._checksums.record_new()
        if self._table.version - self._optimized_version < MAINTAIN_EVERY:
            return
        try:
            self._optimize()
        except (OSError, RuntimeError) as exc:
            log.warning("index upkeep failed, tried again in %d writes: %s", MAINTAIN_EVERY, exc)
            self._optimized_version = self._table.version

    def _optimize(self) -> None:
        """Compact, bring new rows into the indexes and delete every older version's files
        (caller holds the write lock). Crash-safe: the latest version is never touched."""
        with self._scans.exclusive():
            _index_lookup_columns(self._table)  # tables written before the indexes existed
            self._table.optimize(cleanup_older_than=KEEP_VERSIONS_FOR)
            self._checksums.record_new(forget_missing=True)  # the old versions' files went
        self._optimized_version = self._table.version

    # --- reading -------------------------------------------------------------

    @contextmanager
    def _reading(self):
        """A table read: side by side with others, and a damaged file is named, not a traceback."""
        with self._scans.read(), self._translate_errors("read"):
            yield

    def count(self, search_filter: SearchFilter | None = None) -> int:
        with self._reading():
            return self._table.count_rows(filter_sql(search_filter))

    def count_without_vectors(self) -> int:
        """Photos scanned while no model was available: what the next run embeds."""
        with self._reading():
            return self._table.count_rows("vector IS NULL")

    def photos(self, search_filter: SearchFilter | None = None) -> list[Photo]:
        self._check_contents_once()
        query = self._table.search().select(list(METADATA_COLUMNS))
        where = filter_sql(search_filter)
        if where:
            query = query.where(where)
        with self._reading():
            table = query.limit(None).to_arrow()
        return photos_from_arrow(table)

    def file_stats(self, roots: Sequence[str], without_vectors: bool = False) -> pa.Table:
        """path, size and mtime_ns of the rows at or below ``roots`` (only those that still
        lack a vector, if asked): all an unchanged-file check needs, as Arrow (no Python
        objects). Each query covers 32 roots, each an index range."""
        self._check_contents_once()
        columns = ["path", "size", "mtime_ns"]
        tables = [photo_schema(self.dimension).empty_table().select(columns)]
        more = ("vector IS NULL",) if without_vectors else ()
        for start in range(0, len(roots), 32):
            where = filter_sql(SearchFilter(folders=tuple(roots[start:start + 32])), *more)
            with self._reading():
                tables.append(self._table.search().select(columns).where(where)
                              .limit(None).to_arrow())
        return pa.concat_tables(tables)

    def known_fingerprints(self, fingerprints: Iterable[str]) -> set[str]:
        """Which of these fingerprints the table holds a vector for: an index lookup, not a
        column read."""
        return set(self._matching("fingerprint", fingerprints, HAS_VECTOR))

    def rows_by_fingerprint(self, fingerprints: Sequence[str]) -> dict[str, tuple[Photo, np.ndarray]]:
        """Stored rows with vectors of files with these fingerprints: moved or copied photos
        reuse them."""
        found: dict[str, tuple[Photo, np.ndarray]] = {}
        for _, where in sql_in("fingerprint", sorted(set(fingerprints))):
            with self._reading():
                table = (self._table.search().select([*METADATA_COLUMNS, *LIKENESS_COLUMNS, "vector"])
                         .where(f"{where} AND {HAS_VECTOR}").limit(None).to_arrow())
            vectors = _vectors_of(table)
            for photo, vector in zip(photos_from_arrow(table), vectors):
                found[photo.fingerprint] = (photo, vector)
        return found

    def rows_of(self, paths: Sequence[str]) -> pa.Table:
        """Whole rows (vectors too) of these paths: what undoing their removal puts back."""
        tables = [photo_schema(self.dimension).empty_table()]
        for _, where in sql_in("path", list(paths)):
            with self._reading():
                tables.append(self._table.search().where(where).limit(None).to_arrow())
        return pa.concat_tables(tables, promote_options="permissive").cast(photo_schema(self.dimension))

    def likeness_rows(self, search_filter: SearchFilter | None = None) -> pa.Table:
        """What the duplicate finder compares, for every photo with a vector (or those
        ``search_filter`` allows): the metadata, likeness and vector columns."""
        query = (self._table.search().select([*METADATA_COLUMNS, *LIKENESS_COLUMNS, "vector"])
                 .where(filter_sql(search_filter, HAS_VECTOR)))
        with self._reading():
            return query.limit(None).to_arrow()

    def set_likeness(self, photos: Sequence[Photo]) -> None:
        """Store the likeness of photos indexed before it was measured (their other columns stay)."""
        measured = [p for p in photos if p.likeness is not None]
        if not measured:
            return
        data = pa.table({
            "path": [p.path for p in measured],
            "phash": pa.array([p.likeness.phash for p in measured], pa.int64()),
            "sharpness": pa.array([p.likeness.sharpness for p in measured], pa.float32()),
            "has_exif": pa.array([p.likeness.has_exif for p in measured], pa.bool_()),
        })
        with self._committing("write to"):
            self._table.merge_insert("path").when_matched_update_all().execute(data)
            self._maintain_if_due()

    def paths_without_details(self, roots: Sequence[str]) -> list[str]:
        """Photos at or below ``roots`` whose camera and position were never read (rows
        from before schema 4: a null camera; one read without finding any is "")."""
        if self._details_all_read:
            return []
        with self._reading():
            if not self._table.count_rows("camera IS NULL"):  # once: no new row lacks them
                self._details_all_read = True
                return []
        found: list[str] = []
        for start in range(0, len(roots), 32):
            where = filter_sql(SearchFilter(folders=tuple(roots[start:start + 32])), "camera IS NULL")
            with self._reading():
                table = self._table.search().select(["path"]).where(where).limit(None).to_arrow()
            found += table.column("path").to_pylist()
        return found

    def set_details(self, details: Sequence[tuple[str, str, tuple[float, float] | None]]) -> None:
        """Store (path, camera, location) read for photos indexed before they were (other
        columns stay). The index in memory swaps just these rows, as ``upsert`` does: an
        upgrade commits thousands of batches, and reading the whole table after each one
        made every search between them reload it."""
        if not details:
            return
        data = pa.table({
            "path": [path for path, _, _ in details],
            "camera": pa.array([camera for _, camera, _ in details], pa.string()),
            "latitude": pa.array([place and place[0] for _, _, place in details], pa.float64()),
            "longitude": pa.array([place and place[1] for _, _, place in details], pa.float64()),
        })
        with self._committing("write to"):
            self._table.merge_insert("path").when_matched_update_all().execute(data)
            if self._in_memory is not None:
                paths = data.column("path").to_pylist()
                rows = self.rows_of(paths)
                self._in_memory.remove_paths(paths)
                self._in_memory.append(rows.filter(rows.column("vector").is_valid()))
            self._maintain_if_due()

    def photo_at(self, path: str) -> Photo | None:
        """The stored record of the photo at ``path``, if indexed."""
        with self._reading():
            table = (self._table.search().select(list(METADATA_COLUMNS))
                     .where(f"path = {sql_string(path)}").limit(1).to_arrow())
        return photos_from_arrow(table)[0] if table.num_rows else None

    @property
    def version(self) -> int:
        """The table's version: it changes with every commit, by any process."""
        return self._table.version

    def vector_of(self, path: str) -> np.ndarray | None:
        with self._reading():
            table = (self._table.search().select(["vector"])
                     .where(f"path = {sql_string(path)} AND {HAS_VECTOR}").limit(1).to_arrow())
        return _vectors_of(table)[0] if table.num_rows else None

    def _matching(self, column: str, values: Iterable[str], *more: str) -> Iterator[str]:
        """The values of ``values`` found in ``column`` (of rows passing ``more``)."""
        for _, where in sql_in(column, sorted(set(values))):
            where = " AND ".join((where, *more))
            with self._reading():
                table = self._table.search().select([column]).where(where).limit(None).to_arrow()
            yield from table.column(column).to_pylist()

    def search(self, vector: np.ndarray, k: int, search_filter: SearchFilter | None = None,
               gates: tuple = ()) -> list[SearchHit]:
        """The k rows nearest to a unit vector, as cosine similarities (``gates``: see
        ``vector_index.Gate``)."""
        rows, scores = self.vectors_in_memory().search(vector, k, search_filter, gates)
        return [SearchHit(photo, score) for photo, score in zip(photos_from_arrow(rows), scores)]

    @property
    def has_vectors_in_memory(self) -> bool:
        return self._in_memory is not None

    def vectors_in_memory(self):
        """The in-memory search index, read from the table on first use and after another
        process's commit (about 1 s per million rows; writes here wait meanwhile)."""
        if self._in_memory is None or self._table.version != self._memory_version:
            with self._write_lock:
                version = self._table.version
                if self._in_memory is None or version != self._memory_version:
                    self._in_memory = self._load_in_memory()
                    self._memory_version = version
        return self._in_memory

    def _load_in_memory(self):
        if importable("torch"):
            from photofinder.vector_index import VectorIndex  # imports torch
        else:  # the torch-free install: the same interface in numpy, exact scans
            from photofinder.exact_index import ExactIndex as VectorIndex
        snapshot = self._fresh_snapshot()
        if snapshot is not None:
            return VectorIndex.from_snapshot(snapshot, pa.schema(METADATA_FIELDS))
        index = VectorIndex(self.dimension, pa.schema(METADATA_FIELDS))
        for rows in self._checked_rows(HAS_VECTOR):
            index.append(rows, partition=False)
        return_freed_memory()  # the read's buffers
        index.partition_in_background_if_due()
        threading.Thread(target=self._save_snapshot_when_partitioned, args=(index,),
                         name="pf-snapshot", daemon=True).start()
        return index

    def _check_contents_once(self) -> None:
        """Before the first read of the whole table in this process (the listing, an
        indexing run's survey, the vectors): every file must hold what was written."""
        if not self._contents_checked:
            check_table_files(self.table_dir, contents=True)
            self._contents_checked = True

    def verify(self) -> int:
        """Read every row, checking files and vectors (IndexDamaged if any is wrong);
        returns the number of rows."""
        return sum(rows.num_rows for rows in self._checked_rows())

    def _checked_rows(self, where: str | None = None) -> Iterator[pa.Table]:
        """The rows (``where`` they match), in batches, after checking that every file
        holds what was written; the vectors in them must be unit length."""
        self._check_contents_once()
        with self._translate_errors("read"):
            query = self._table.search().select([*METADATA_COLUMNS, "vector"])
            for batch in (query.where(where) if where else query).limit(None).to_batches(20_000):
                rows = pa.Table.from_batches([batch])
                with_vectors = rows.filter(rows.column("vector").is_valid())
                check_vectors(_vectors_of(with_vectors), str(self.table_dir))
                yield rows

    # --- the snapshot of the in-memory index (vector_snapshot) ------------------------

    @property
    def snapshot_folder(self) -> Path:
        return snapshot_folder(self._index_dir, self._table.name)

    def _fresh_snapshot(self):
        """The saved snapshot of this very table version, if there is one."""
        return open_snapshot(self.snapshot_folder, self._table.version, self.dimension,
                             METADATA_COLUMNS)

    def save_snapshot(self, soon: bool = False) -> None:
        """Save the in-memory index for the next process, unless the saved one is current
        (reads the table first if no search has yet). ``soon``: after an indexing run,
        whose writes may come every few seconds (the watcher): at most once a
        SNAPSHOT_EVERY, the last save of a burst left to a timer."""
        if soon:
            wait = self._last_snapshot + SNAPSHOT_EVERY - time.monotonic()
            if wait > 0:
                with self._snapshot_lock:
                    if self._snapshot_timer is None or not self._snapshot_timer.is_alive():
                        self._snapshot_timer = threading.Timer(wait, self._save_snapshot_quietly)
                        self._snapshot_timer.daemon = True
                        self._snapshot_timer.start()
                return
        with self._snapshot_lock:  # one saver at a time (they share a staging folder)
            if self._fresh_snapshot() is not None:
                return
            index = self.vectors_in_memory()
            with self._write_lock:  # no write between the version and the rows copied
                version = self._table.version
                vectors, metadata, partitions = index.snapshot_parts()
            try:
                save(self.snapshot_folder, version, vectors, metadata, partitions)
            except OSError as exc:  # only the next start's speed depends on it
                log.warning("cannot save the index snapshot in %s: %s", self.snapshot_folder, exc)
            self._last_snapshot = time.monotonic()

    def _save_snapshot_when_partitioned(self, index) -> None:
        index.wait_for_partitioning()
        self._save_snapshot_quietly()

    def _save_snapshot_quietly(self) -> None:
        """In a background thread: a failure (the index gone meanwhile) is only logged."""
        try:
            self.save_snapshot()
        except Exception as exc:  # noqa: BLE001 - nothing but the next start's speed is at stake
            log.warning("cannot save the index snapshot: %s", exc)

    def disk_bytes(self) -> int:
        root = Path(self._table.uri.removeprefix("file://")) if hasattr(self._table, "uri") else None
        if root is None or not root.exists():
            return 0
        with self._scans.read():  # no files deleted under the walk
            return sum(f.stat().st_size for f in root.rglob("*") if f.is_file())

    # --- helpers -------------------------------------------------------------

    def _to_arrow(self, photos: Sequence[Photo],
                  vectors: np.ndarray | Sequence[np.ndarray | None]) -> pa.Table:
        missing = [] if isinstance(vectors, np.ndarray) else [v is None for v in vectors]
        if any(missing):
            blank = np.zeros(self.dimension, np.float32)
            vectors = [blank if v is None else v for v in vectors]
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        if vectors.shape != (len(photos), self.dimension):
            raise ValueError(f"vectors shape {vectors.shape} does not fit {len(photos)} photos")
        flat = pa.array(vectors.reshape(-1), type=pa.float32())
        mask = pa.array(missing, pa.bool_()) if any(missing) else None
        return pa.table({
            "path": [p.path for p in photos],
            "folder": [p.folder for p in photos],
            "size": pa.array([p.size for p in photos], pa.int64()),
            "mtime_ns": pa.array([p.mtime_ns for p in photos], pa.int64()),
            "fingerprint": [p.fingerprint for p in photos],
            "width": pa.array([p.width for p in photos], pa.int32()),
            "height": pa.array([p.height for p in photos], pa.int32()),
            "taken_at": pa.array([p.taken_at for p in photos], pa.timestamp("us")),
            "model_id": [self.model_id] * len(photos),
            "camera": pa.array([p.camera for p in photos], pa.string()),
            "latitude": pa.array([p.location and p.location[0] for p in photos], pa.float64()),
            "longitude": pa.array([p.location and p.location[1] for p in photos], pa.float64()),
            "phash": pa.array([p.likeness and p.likeness.phash for p in photos], pa.int64()),
            "sharpness": pa.array([p.likeness and p.likeness.sharpness for p in photos], pa.float32()),
            "has_exif": pa.array([p.likeness and p.likeness.has_exif for p in photos], pa.bool_()),
            "vector": pa.FixedSizeListArray.from_arrays(flat, self.dimension, mask=mask),
        }, schema=photo_schema(self.dimension))

    class _translate_errors:
        """Turn OS-level failures (read-only folder, disk full) into one clear StoreError."""

        def __init__(self, verb: str):
            self.verb = verb

        def __enter__(self):
            return self

        def __exit__(self, exc_type, exc, tb):
            if exc is None or isinstance(exc, StoreError):
                return False
            text = str(exc)
            code = getattr(exc, "errno", None) or _os_error_code(text)
            if isinstance(exc, OSError) or code or any(
                s in text for s in ("No space left", "Read-only", "Permission denied")
            ):
                # LanceDB's errors carry Rust source paths; the OS error is what users need.
                reason = os.strerror(code) if code else text.splitlines()[0][:200]
                raise StoreError(f"cannot {self.verb} the index: {reason}") from exc
            if isinstance(exc, (RuntimeError, ValueError, KeyError)) and _from_lance(exc):
                raise damaged(f"LanceDB cannot {self.verb} it: {_lance_reason(text)}") from exc
            return False


def _index_lookup_columns(table) -> None:
    """B-tree indexes on LOOKUP_COLUMNS where missing (tables made before they existed)."""
    from lancedb.index import BTree

    indexed = {column for index in table.list_indices() for column in index.columns}
    for column in LOOKUP_COLUMNS:
        if column not in indexed:
            table.create_index(column, config=BTree())


def _from_lance(exc: BaseException) -> bool:
    """An error raised inside LanceDB (not a bug of ours passing through it)."""
    tb = exc.__traceback__
    while tb is not None:
        if "lancedb" in tb.tb_frame.f_code.co_filename:
            return True
        tb = tb.tb_next
    return "lance error" in str(exc).lower()


def _lance_reason(text: str) -> str:
    """LanceDB's message without its Rust source location."""
    first = text.splitlines()[0] if text else "unknown error"
    first = re.sub(r"^lance error: ", "", first.strip("'\""), flags=re.I)
    return re.split(r", /\S+\.rs:\d+", first)[0][:200]


def _os_error_code(text: str) -> int | None:
    found = re.search(r"\(os error (\d+)\)", text)
    return int(found.group(1)) if found else None

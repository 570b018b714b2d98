"""`photofinder repair`: a damaged index rolled back to its newest intact version, else
rebuilt from the photos on disk; the user store is never touched.

Nothing is deleted: the damaged files (newer manifests, or the whole table) are
moved to ``index/damaged-<time>/``. Every step leaves an index that opens — the
newest intact version, or a new table that fills up — and ends with an ordinary
indexing run that re-embeds only what the index lacks, so a repair killed half-way
is finished by running it again (or by the next indexing run).
"""

from __future__ import annotations

import logging
import os
import shutil
import threading
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Callable

from photofinder.embedder import embedding_dimension
from photofinder.errors import IndexDamaged, ReadOnlyError
from photofinder.index_health import FileChecksums, data_files_of, manifests
from photofinder.records import IndexChanges, IndexProgress
from photofinder.store import PhotoStore, table_name_for
from photofinder.user_data_backup import back_up
from photofinder.vector_snapshot import snapshot_folder

log = logging.getLogger("photofinder.repair")


@dataclass(frozen=True)
class RepairReport:
    """What ``repair_index`` found and did."""

    damage: str  # the damage found, one line ("" when the index was intact)
    method: str  # "none", "rollback" or "rebuild"
    version: int | None  # the table version rolled back to
    photos_kept: int  # rows the repaired table started with
    photos: int  # rows after the catch-up indexing run
    moved_aside: str  # where the damaged files are kept ("" when nothing moved)
    seconds: float


def diagnose(library) -> IndexDamaged | None:
    """The damage of the library's index, None when every file and row reads as written
    (reads the whole table)."""
    try:
        library.close_store()
        library.store.verify()
    except IndexDamaged as exc:
        return exc
    return None


def repair_index(library, progress: Callable[[IndexProgress], None] | None = None,
                 cancel: threading.Event | None = None,
                 on_commit: Callable[[IndexChanges], None] | None = None) -> RepairReport:
    """Roll back or rebuild the index if it is damaged, then index what it lacks (with
    ``progress``; ``on_commit`` sees each batch, so a window shows photos as they return)."""
    if library.read_only:
        raise ReadOnlyError(library.read_only_notice())
    started = time.monotonic()
    back_up(library.user_data, library.paths.backups, force=True)
    damage = diagnose(library)
    method, version, kept, aside = "none", None, 0, ""
    if damage:
        library.close_store()
        aside_dir = library.paths.index / f"damaged-{datetime.now():%Y%m%d-%H%M%S}"
        _set_snapshot_aside(library, aside_dir)
        version = _roll_back(library, aside_dir) if damage.can_roll_back else None
        if version is not None:
            method = "rollback"
        else:
            method = "rebuild"
            _set_aside_everything(library, aside_dir)
        aside = str(aside_dir)
        kept = library.store.count()
        log.info("index %s: %s, %d photos kept, damaged files in %s", method, damage, kept, aside)
    library.index(progress=progress, cancel=cancel, on_commit=on_commit)  # only what it lacks
    return RepairReport(str(damage or ""), method, version, kept, library.store.count(), aside,
                        time.monotonic() - started)


def _table_dir(library) -> Path:
    return library.paths.index / f"{table_name_for(library.embedder.spec.model_id)}.lance"


def _roll_back(library, aside_dir: Path) -> int | None:
    """Set newer manifests aside until the newest version left reads whole; its number,
    or None when none does (the manifests set aside are left where they went)."""
    table_dir = _table_dir(library)
    if not (table_dir / "_versions").is_dir():
        return None
    hint = table_dir / "_versions" / "latest_version_hint.json"
    for manifest in manifests(table_dir):
        if _files_intact(table_dir, data_files_of(manifest, FileChecksums(table_dir))):
            library.close_store()
            try:
                library.store.verify()
                return manifest.version
            except IndexDamaged as exc:
                log.info("version %d is damaged too: %s", manifest.version, exc)
        library.close_store()
        _move(manifest.file, aside_dir / "_versions" / manifest.file.name)
        if hint.exists():
            _move(hint, aside_dir / "_versions" / hint.name)
    return None


def _files_intact(table_dir: Path, names: set[str]) -> bool:
    """The files a version reads exist, with the recorded size (a cheap first look)."""
    entries = FileChecksums(table_dir).entries
    for name in names:
        path = table_dir / name
        if not path.exists() or (name in entries and path.stat().st_size != entries[name][0]):
            return False
    return bool(names) or not entries


def _set_aside_everything(library, aside_dir: Path) -> None:
    """The whole table (and a schema marker from a newer photofinder) goes aside; a new,
    empty table takes its place."""
    table_dir = _table_dir(library)
    for path in (table_dir, table_dir.with_name(table_dir.name + ".checksums.json")):
        if path.exists():
            _move(path, aside_dir / path.name)
    marker = library.paths.index / "schema.json"
    if marker.exists():
        _move(marker, aside_dir / marker.name)
        for other in library.paths.index.glob("*.lance"):  # other models' tables, same schema
            _move(other, aside_dir / other.name)
    library.close_store()
    PhotoStore(library.paths.index, library.embedder.spec.model_id,
               embedding_dimension(library.embedder.spec.arch))


def _set_snapshot_aside(library, aside_dir: Path) -> None:
    """The saved in-memory index of the damaged table: a rebuilt table counts its versions
    from 1 again, and must never be taken for it."""
    snapshot = snapshot_folder(library.paths.index, table_name_for(library.embedder.spec.model_id))
    if snapshot.exists():
        _move(snapshot, aside_dir / "snapshot")
    library.forget_snapshot()


def _move(path: Path, to: Path) -> None:
    to.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.replace(path, to)
    except OSError:  # another file system: copy, then remove
        shutil.move(str(path), str(to))

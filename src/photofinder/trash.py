"""Photos to the system trash and back again, never a hard delete.

``send2trash`` moves each file to the desktop's trash. Before the files go, their
index rows (vectors included) are saved in the data folder, so an undo puts
the files back where they were and their rows back in the index without a
decode or a model run. Restoring reads the freedesktop.org trash (Linux and
the BSDs: ``info/*.trashinfo`` names each file's old path); on macOS and
Windows photos are restored from the trash by hand, and the next scan indexes
them again.
"""

from __future__ import annotations

import logging
import os
import sys
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Callable, Iterator, Sequence
from urllib.parse import unquote

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.feather as feather

from photofinder.config import absolute_path
from photofinder.errors import PhotofinderError
from photofinder.records import FileProblem

log = logging.getLogger("photofinder.trash")


class NothingToUndo(PhotofinderError):
    """No trash action is left to undo."""


@dataclass(frozen=True)
class TrashResult:
    """What one trash action or its undo did: the paths done and the ones that failed."""

    done: tuple[str, ...]
    failed: tuple[FileProblem, ...] = ()


def undo_folder(data: Path) -> Path:
    return data / "trash-undo"


def trash_photos(library, paths: Sequence[str],
                 progress: Callable[[int, int], None] | None = None,
                 cancelled: Callable[[], bool] = lambda: False) -> TrashResult:
    """Move photo files to the system trash and their rows out of the index; remembered
    for ``undo_trash``. A file that cannot go stays where it is, with its row."""
    from send2trash import send2trash

    paths = [absolute_path(p) for p in paths]
    rows = library.store.rows_of(paths)
    done, failed = [], []
    for number, path in enumerate(paths):
        if cancelled():
            break
        try:
            send2trash(path)
            done.append(path)
        except OSError as exc:
            failed.append(FileProblem(path, os.strerror(exc.errno) if exc.errno else str(exc)))
        if progress:
            progress(number + 1, len(paths))
    if done:
        _save_undo(library.paths.data, rows.filter(pc.is_in(
            rows.column("path"), value_set=pa.array(done, pa.string()))))
        library.store.delete_paths(done)
    for problem in failed:
        log.warning("not moved to the trash: %s", problem)
    return TrashResult(tuple(done), tuple(failed))


def undo_trash(library) -> TrashResult:
    """Put back the photos of the last trash action not undone yet: files and index rows."""
    records = sorted(undo_folder(library.paths.data).glob("*.arrow"))
    if not records:
        raise NothingToUndo("nothing to undo: no photos were moved to the trash")
    record = records[-1]
    rows = feather.read_table(record)
    wanted = rows.column("path").to_pylist()
    trashed = _trashed_files(wanted)
    done, failed = [], []
    for path in wanted:
        problem = _restore(path, trashed.get(path))
        if problem:
            failed.append(FileProblem(path, problem))
        else:
            done.append(path)
    library.store.add_rows(rows.filter(pc.is_in(
        rows.column("path"), value_set=pa.array(done, pa.string()))))
    record.unlink()
    return TrashResult(tuple(done), tuple(failed))


def _save_undo(data: Path, rows: pa.Table) -> None:
    folder = undo_folder(data)
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{time.time_ns()}.arrow"
    partial = target.with_suffix(".partial")
    feather.write_feather(rows, partial)
    os.replace(partial, target)


def _restore(path: str, trashed: tuple[Path, Path] | None) -> str | None:
    """Move one file back from the trash; the reason when it cannot be."""
    if trashed is None:
        return "not found in the trash (emptied, or restored already?)"
    if os.path.lexists(path):
        return "a file of that name is there again; the trashed one is left in the trash"
    file, info = trashed
    try:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        os.rename(file, path)
        info.unlink(missing_ok=True)
    except OSError as exc:
        return exc.strerror or str(exc)
    return None


def _trashed_files(paths: Sequence[str]) -> dict[str, tuple[Path, Path]]:
    """The newest trashed file (and its .trashinfo) for each of these original paths."""
    wanted = set(paths)
    found: dict[str, tuple[str, Path, Path]] = {}
    for trash, top in _trash_folders(paths):
        for info in (trash / "info").glob("*.trashinfo"):
            original, deleted = _read_trash_info(info, top)
            if original in wanted and deleted >= found.get(original, ("",))[0]:
                found[original] = (deleted, trash / "files" / info.stem, info)
    return {path: (file, info) for path, (_, file, info) in found.items()}


def _trash_folders(paths: Sequence[str]) -> Iterator[tuple[Path, Path]]:
    """(trash folder, folder its relative paths start from): the home trash and those at
    the top of the drives of ``paths``, as send2trash chooses them."""
    if sys.platform in ("darwin", "win32"):
        return
    from send2trash import plat_other

    yield Path(os.fsdecode(plat_other.HOMETRASH_B)), Path(os.fsdecode(plat_other.XDG_DATA_HOME))
    uid = os.getuid()
    for top in {Path(os.fsdecode(plat_other.find_mount_point(os.path.dirname(p)))) for p in paths}:
        for trash in (top / ".Trash" / str(uid), top / f".Trash-{uid}"):
            if trash.is_dir():
                yield trash, top


def _read_trash_info(info: Path, top: Path) -> tuple[str | None, str]:
    original, deleted = None, ""
    try:
        for line in info.read_text(encoding="utf-8", errors="replace").splitlines():
            if line.startswith("Path="):
                original = absolute_path(top / unquote(line[5:]))
            elif line.startswith("DeletionDate="):
                deleted = line[13:]
    except OSError:
        return None, ""
    return original, deleted or datetime.min.isoformat()

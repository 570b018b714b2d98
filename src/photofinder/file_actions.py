"""Copy, move or export photos to a folder, with the index following and nothing lost.

Each file is written under a temporary name and renamed when complete, so a
failure (a read-only or full target, a file gone meanwhile) never leaves half a
photo; a moved photo's original is removed only once its copy is whole. A
failure is reported for that file and the others carry on. Copies and moves
into a library folder are indexed at once, reusing their vectors by
fingerprint (no model run); stars, favourites and albums follow moved photos.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator, Sequence

from photofinder.config import absolute_path
from photofinder.errors import QueryError
from photofinder.records import FileProblem


@dataclass(frozen=True)
class FileActionResult:
    """Files done (source, destination), files that failed and why, and whether it was cancelled."""

    done: tuple[tuple[str, str], ...]
    failed: tuple[FileProblem, ...] = ()
    cancelled: bool = False


def copy_photos(library, paths: Sequence[str], target: str, move: bool = False,
                max_side: int | None = None,
                progress: Callable[[int, int], None] | None = None,
                cancelled: Callable[[], bool] = lambda: False) -> FileActionResult:
    """Copy (or ``move``) photos into ``target``; with ``max_side`` export copies no
    larger than that many pixels on their longer side (JPEG, upright)."""
    results = []
    for step in copy_steps(library, paths, target, move, max_side, cancelled):
        results.append(step)
        if progress:
            progress(len(results), len(paths))
    return finish(library, results, target, move, cancelled())


def copy_steps(library, paths: Sequence[str], target: str, move: bool = False,
               max_side: int | None = None,
               cancelled: Callable[[], bool] = lambda: False) -> Iterator[tuple[str, str | FileProblem]]:
    """One (source, destination or problem) per file, as each is done: a worker yields them."""
    folder = absolute_path(target)
    if not os.path.isdir(folder):
        raise QueryError(f"not a folder: {folder}")
    for path in paths:
        if cancelled():
            return
        source = absolute_path(path)
        try:
            yield source, _one(source, folder, move, max_side)
        except OSError as exc:
            reason = os.strerror(exc.errno) if exc.errno else str(exc)
            yield source, FileProblem(source, reason)


def finish(library, results: Sequence[tuple[str, str | FileProblem]], target: str, move: bool,
           was_cancelled: bool) -> FileActionResult:
    """Bring the index in line with what was done."""
    done = tuple((s, d) for s, d in results if isinstance(d, str))
    failed = tuple(d for _, d in results if isinstance(d, FileProblem))
    folder = absolute_path(target)
    inside = any(folder == f or folder.startswith(f.rstrip("/") + "/") for f in library.folders())
    if done and inside:
        library.index([d for _, d in done])
    if done and move:
        library.store.delete_paths([s for s, _ in done])
    return FileActionResult(done, failed, was_cancelled)


def _one(source: str, folder: str, move: bool, max_side: int | None) -> str:
    if not os.path.isfile(source):
        raise FileNotFoundError(2, "No such file or directory", source)
    name = Path(source).name if max_side is None else Path(source).stem + ".jpg"
    destination = _free_name(Path(folder) / name)
    partial = destination.with_name(f".{destination.name}.partial")
    try:
        if max_side is not None:
            _export(source, partial, max_side)
        else:
            shutil.copy2(source, partial)
        os.replace(partial, destination)
    finally:
        partial.unlink(missing_ok=True)
    if move:
        if os.path.getsize(destination) != os.path.getsize(source):  # never lose the original
            raise OSError(f"the copy of {source} is incomplete; the original stays")
        os.unlink(source)
    return str(destination)


def _export(source: str, destination: Path, max_side: int) -> None:
    from PIL import Image, ImageOps

    with Image.open(source) as opened:
        picture = ImageOps.exif_transpose(opened).convert("RGB")
    picture.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
    picture.save(destination, "JPEG", quality=90)


def _free_name(wanted: Path) -> Path:
    """``wanted``, or ``name (2).ext`` and so on when a file has that name already."""
    candidate, number = wanted, 1
    while candidate.exists():
        number += 1
        candidate = wanted.with_name(f"{wanted.stem} ({number}){wanted.suffix}")
    return candidate

"""Copies of the user store: one a day, the last KEEP_BACKUPS kept, and a damaged store
replaced by the newest copy plus whatever can still be read from the damaged one.

A backup is SQLite's online backup of the open store into a temporary file, flushed
and renamed: a process killed while backing up leaves a stray ``.tmp``, never a half
backup under a backup's name.
"""

from __future__ import annotations

import logging
import os
import sqlite3
from datetime import date, datetime
from pathlib import Path

from photofinder.atomic_file import write_atomically
from photofinder.user_data import ITEM_TABLES, UserData, UserDataError

log = logging.getLogger("photofinder.user_data")

KEEP_BACKUPS = 7
PREFIX = "user_data-"


def backups(folder: Path) -> list[Path]:
    """The backups, newest first."""
    return sorted(folder.glob(f"{PREFIX}*.sqlite3"), reverse=True)


def back_up(user_data: UserData, folder: Path, force: bool = False,
            today: date | None = None) -> Path | None:
    """Today's backup, unless there is one (``force``: replace it); older ones beyond
    KEEP_BACKUPS are removed. Returns the new backup, or None."""
    target = folder / f"{PREFIX}{(today or date.today()).isoformat()}.sqlite3"
    if target.exists() and not force:
        return None
    folder.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(target.name + ".tmp")
    copy = sqlite3.connect(tmp)
    try:
        with user_data.lock:
            user_data.connection.backup(copy)
        copy.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
    finally:
        copy.close()
    _flush(tmp)
    os.replace(tmp, target)
    _flush(folder)
    for old in backups(folder)[KEEP_BACKUPS:]:
        old.unlink()
    log.info("user data backed up to %s", target)
    return target


def back_up_daily(user_data: UserData, folder: Path) -> None:
    """The daily backup, made at start-up; a failure (disk full) is logged, never fatal."""
    if user_data.read_only:
        return
    try:
        back_up(user_data, folder)
    except (OSError, sqlite3.Error) as exc:
        log.warning("could not back up the user data to %s: %s", folder, exc)


def open_or_restore(file: Path, folder: Path, read_only: bool = False,
                    reason: str = "") -> tuple[UserData, str]:
    """The user store, and a notice when it was damaged: the damaged file is moved
    aside, the newest backup put in its place, and every row still readable in the
    damaged file copied back in."""
    try:
        return UserData(file, read_only, reason), ""
    except UserDataError as exc:
        if read_only or "newer photofinder" in str(exc):
            raise
        damage = exc
    aside = file.with_name(f"{file.name}.broken-{datetime.now():%Y%m%d-%H%M%S}")
    for suffix in ("", "-wal", "-shm"):
        if Path(f"{file}{suffix}").exists():
            os.replace(f"{file}{suffix}", f"{aside}{suffix}")
    newest = next(iter(backups(folder)), None)
    if newest is not None:
        write_atomically(file, newest.read_bytes())
    store = UserData(file)
    salvaged = _salvage(store, aside)
    source = f"the backup {newest.name}" if newest else "nothing (no backup yet)"
    notice = (f"the user data {file} was damaged ({damage}); it was moved to {aside} and "
              f"restored from {source} plus {salvaged} items still readable in it")
    log.warning("%s", notice)
    return store, notice


def _salvage(store: UserData, damaged: Path) -> int:
    """Copy every row SQLite can still read from the damaged file (table by table)."""
    copied = 0
    try:
        source = sqlite3.connect(f"{damaged.absolute().as_uri()}?mode=ro", uri=True)
    except sqlite3.Error:
        return 0
    try:
        for table in ITEM_TABLES:
            try:
                rows = source.execute(f"SELECT * FROM {table}").fetchall()
            except sqlite3.Error as exc:
                log.info("nothing read from %s in the damaged user data: %s", table, exc)
                continue
            if rows:
                copied += store.insert_missing(table, rows)
    finally:
        source.close()
    return copied


def _flush(path: Path) -> None:
    flags = os.O_RDONLY | (getattr(os, "O_DIRECTORY", 0) if path.is_dir() else 0)
    try:
        handle = os.open(path, flags)
    except OSError:  # a folder on Windows cannot be opened: its rename is durable already
        return
    try:
        os.fsync(handle)
    finally:
        os.close(handle)

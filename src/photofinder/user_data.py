"""What people make by hand — library folders, exclusions, ratings, favourites, albums,
search feedback — kept apart from the index, which can always be rebuilt from the photos.

One SQLite file in the data folder (WAL mode, synchronous=FULL): every change is one
transaction, so a process killed mid-write keeps every committed change and none of
a half-made one, and two processes writing at once both keep theirs. Photos are keyed
by path and fingerprint: ``follow_moves`` carries a photo's items to its new path when
the indexer finds it moved or renamed, and a rebuilt or switched index loses nothing.
"""

from __future__ import annotations

import json
import logging
import os
import sqlite3
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Callable, Iterable, Iterator, Mapping, Protocol, Sequence

import numpy as np

from photofinder.errors import QueryError, ReadOnlyError, StoreError

log = logging.getLogger("photofinder.user_data")

SCHEMA_VERSION = 1
BUSY_TIMEOUT_MS = 10_000  # another process's transaction is waited for, not failed
SQL_LIST_MAX = 500


class UserDataError(StoreError):
    """The user store cannot be read or written (damaged, read-only, disk full)."""


class KeyedPhoto(Protocol):
    """Anything with a path and a fingerprint: ``records.Photo`` or ``PhotoKey``."""

    path: str
    fingerprint: str


@dataclass(frozen=True)
class PhotoKey:
    """A photo as the user store knows it; the fingerprint may be empty when unknown."""

    path: str
    fingerprint: str = ""


@dataclass(frozen=True)
class LibraryFolder:
    """A folder the user added; ``poll`` watches it by polling (network shares)."""

    path: str
    poll: bool = False


@dataclass(frozen=True)
class PhotoMark:
    """A photo's star rating (0 = none, 1-5) and favourite flag."""

    path: str
    fingerprint: str
    rating: int
    favourite: bool
    updated_at: datetime


@dataclass(frozen=True)
class Album:
    """A manual album (its items are listed) or a smart one (a saved query and filters)."""

    id: int
    name: str
    query: str | None
    filters: Mapping = field(default_factory=dict, compare=False)
    created_at: datetime = datetime.fromtimestamp(0)

    @property
    def is_smart(self) -> bool:
        return self.query is not None


@dataclass(frozen=True)
class AlbumItem:
    album_id: int
    path: str
    fingerprint: str
    added_at: datetime


@dataclass(frozen=True)
class Feedback:
    """A person's 1-10 judgement of one search result, for re-ranking later searches."""

    id: int
    query_id: str
    query_text: str
    query_vector: bytes  # float32, the vector the search ran with
    path: str
    fingerprint: str
    rating: int
    at: datetime

    @property
    def vector(self) -> np.ndarray:
        return np.frombuffer(self.query_vector, dtype=np.float32)


@dataclass(frozen=True)
class ForgottenPhoto:
    """A single photo the user asked the library to leave out (the file stays)."""

    path: str
    fingerprint: str
    forgotten_at: datetime


SCHEMA_V1 = """
CREATE TABLE folders (path TEXT PRIMARY KEY, poll INTEGER NOT NULL DEFAULT 0,
                      added_at REAL NOT NULL);
CREATE TABLE excluded_folders (path TEXT PRIMARY KEY, added_at REAL NOT NULL);
CREATE TABLE forgotten_photos (path TEXT PRIMARY KEY, fingerprint TEXT NOT NULL DEFAULT '',
                               forgotten_at REAL NOT NULL);
CREATE INDEX forgotten_photos_fingerprint ON forgotten_photos (fingerprint);
CREATE TABLE photo_marks (path TEXT PRIMARY KEY, fingerprint TEXT NOT NULL DEFAULT '',
                          rating INTEGER NOT NULL DEFAULT 0 CHECK (rating BETWEEN 0 AND 5),
                          favourite INTEGER NOT NULL DEFAULT 0 CHECK (favourite IN (0, 1)),
                          updated_at REAL NOT NULL);
CREATE INDEX photo_marks_fingerprint ON photo_marks (fingerprint);
CREATE TABLE albums (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, query TEXT,
                     filters TEXT NOT NULL DEFAULT '{}', created_at REAL NOT NULL);
CREATE TABLE album_items (album_id INTEGER NOT NULL REFERENCES albums (id) ON DELETE CASCADE,
                          path TEXT NOT NULL, fingerprint TEXT NOT NULL DEFAULT '',
                          added_at REAL NOT NULL, PRIMARY KEY (album_id, path));
CREATE INDEX album_items_fingerprint ON album_items (fingerprint);
CREATE TABLE feedback (id INTEGER PRIMARY KEY, query_id TEXT NOT NULL, query_text TEXT NOT NULL,
                       query_vector BLOB, path TEXT NOT NULL, fingerprint TEXT NOT NULL DEFAULT '',
                       rating INTEGER NOT NULL CHECK (rating BETWEEN 1 AND 10), at REAL NOT NULL);
CREATE INDEX feedback_query ON feedback (query_id);
CREATE INDEX feedback_fingerprint ON feedback (fingerprint);
"""

# Forward migrations: MIGRATIONS[n] turns schema n into n + 1, inside one transaction.
# (One statement at a time: executescript would commit the open transaction first.)
def _create_v1(db: sqlite3.Connection) -> None:
    for statement in SCHEMA_V1.split(";"):
        if statement.strip():
            db.execute(statement)


MIGRATIONS: dict[int, Callable[[sqlite3.Connection], None]] = {0: _create_v1}
# Every table of user items, parents first (album items need their albums).
ITEM_TABLES = ("folders", "excluded_folders", "forgotten_photos", "photo_marks", "albums",
               "album_items", "feedback")
# Tables whose rows name a photo by path and fingerprint (they follow moves).
PHOTO_TABLES = ("photo_marks", "album_items", "feedback", "forgotten_photos")


def _when(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds)


class UserData:
    """The user store of one library. Thread-safe; every method is one transaction."""

    def __init__(self, file: Path, read_only: bool = False, read_only_reason: str = ""):
        self.file = Path(file)
        self._lock = threading.RLock()
        self.read_only = read_only
        self.read_only_reason = read_only_reason
        try:
            self._db = self._connect()
            with self._lock:
                problem = self._db.execute("PRAGMA quick_check(1)").fetchone()[0]
                if problem != "ok":
                    raise sqlite3.DatabaseError(problem)
                self._migrate()
        except sqlite3.DatabaseError as exc:
            raise UserDataError(f"the user data file {self.file} is unreadable: {exc}") from exc

    def _connect(self) -> sqlite3.Connection:
        if not self.read_only:
            try:
                self.file.parent.mkdir(parents=True, exist_ok=True)
                db = sqlite3.connect(self.file, isolation_level=None, check_same_thread=False,
                                     timeout=BUSY_TIMEOUT_MS / 1000)
                db.execute("PRAGMA journal_mode=WAL")
                db.execute("PRAGMA synchronous=FULL")
                db.execute("PRAGMA foreign_keys=ON")
                return db
            except (OSError, sqlite3.OperationalError) as exc:
                if not _is_read_only_failure(exc):
                    raise UserDataError(f"cannot open the user data {self.file}: {exc}") from exc
                log.warning("user data %s is read-only (%s): changes are refused", self.file, exc)
                self.read_only, self.read_only_reason = True, str(exc)
        return self._connect_read_only()

    def _connect_read_only(self) -> sqlite3.Connection:
        if not self.file.exists():
            return sqlite3.connect(":memory:", isolation_level=None, check_same_thread=False)
        uri = self.file.absolute().as_uri()
        for mode in ("?mode=ro", "?immutable=1"):  # immutable: a WAL file on read-only media
            try:
                db = sqlite3.connect(uri + mode, uri=True, isolation_level=None,
                                     check_same_thread=False)
                db.execute("SELECT count(*) FROM sqlite_master").fetchone()
                return db
            except sqlite3.OperationalError:
                continue
        raise UserDataError(f"cannot read the user data {self.file}")

    def _migrate(self) -> None:
        version = self._db.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise UserDataError(f"the user data {self.file} was written by a newer photofinder "
                                f"(schema {version}, this one reads {SCHEMA_VERSION}); "
                                "please upgrade photofinder")
        if version == SCHEMA_VERSION:
            return
        if self.read_only:
            if version == 0 and not self.file.exists():
                _create_v1(self._db)  # an empty in-memory store to read from
                return
            raise ReadOnlyError(f"the user data {self.file} needs an upgrade but is read-only")
        with self.transaction() as db:
            version = db.execute("PRAGMA user_version").fetchone()[0]  # another process?
            while version < SCHEMA_VERSION:
                log.info("migrating the user data from schema %d to %d", version, version + 1)
                MIGRATIONS[version](db)
                version += 1
                db.execute(f"PRAGMA user_version={version}")

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """BEGIN IMMEDIATE ... COMMIT: all of the block or none of it, one writer at a time
        (an import, which writes several kinds of items at once, uses it too)."""
        with self._lock:
            if self.read_only:
                raise ReadOnlyError(read_only_message(self.file.parent, self.read_only_reason))
            db = self._db
            try:
                db.execute("BEGIN IMMEDIATE")
                yield db
                db.execute("COMMIT")
            except BaseException as exc:
                if db.in_transaction:
                    db.execute("ROLLBACK")
                if isinstance(exc, sqlite3.IntegrityError):
                    raise QueryError(_integrity_message(exc)) from exc
                if isinstance(exc, sqlite3.Error):
                    raise UserDataError(f"cannot save to the user data {self.file}: {exc}") from exc
                raise

    def _rows(self, sql: str, params: Sequence = ()) -> list[tuple]:
        with self._lock:
            try:
                return self._db.execute(sql, params).fetchall()
            except sqlite3.DatabaseError as exc:
                raise UserDataError(f"cannot read the user data {self.file}: {exc}") from exc

    def close(self) -> None:
        with self._lock:
            self._db.close()

    @property
    def connection(self) -> sqlite3.Connection:
        """The open connection (backups copy it with SQLite's backup API); hold ``lock``."""
        return self._db

    @property
    def lock(self) -> threading.RLock:
        return self._lock

    # --- library folders and exclusions --------------------------------------------------

    def folders(self) -> list[LibraryFolder]:
        """Library folders in the order they were added."""
        return [LibraryFolder(path, bool(poll)) for path, poll in
                self._rows("SELECT path, poll FROM folders ORDER BY added_at, rowid")]

    def add_folder(self, path: str, poll: bool = False) -> bool:
        """True when the folder was not in the library yet."""
        with self.transaction() as db:
            return db.execute("INSERT OR IGNORE INTO folders VALUES (?, ?, ?)",
                              (path, int(poll), time.time())).rowcount == 1

    def set_folder_poll(self, path: str, poll: bool) -> bool:
        with self.transaction() as db:
            return db.execute("UPDATE folders SET poll = ? WHERE path = ?",
                              (int(poll), path)).rowcount == 1

    def remove_folder(self, path: str) -> bool:
        with self.transaction() as db:
            return db.execute("DELETE FROM folders WHERE path = ?", (path,)).rowcount == 1

    def adopt_folders(self, folders: Sequence[Mapping], excluded: Sequence[str]) -> None:
        """Take in the folder lists an older photofinder kept in settings.json, in one
        transaction (adopting twice changes nothing)."""
        with self.transaction() as db:
            db.executemany("INSERT OR IGNORE INTO folders VALUES (?, ?, ?)",
                           [(f["path"], int(bool(f.get("poll"))), time.time()) for f in folders])
            db.executemany("INSERT OR IGNORE INTO excluded_folders VALUES (?, ?)",
                           [(path, time.time()) for path in excluded])

    def excluded_folders(self) -> list[str]:
        return [row[0] for row in
                self._rows("SELECT path FROM excluded_folders ORDER BY added_at, rowid")]

    def exclude_folder(self, path: str) -> bool:
        with self.transaction() as db:
            return db.execute("INSERT OR IGNORE INTO excluded_folders VALUES (?, ?)",
                              (path, time.time())).rowcount == 1

    def include_folder(self, path: str) -> bool:
        """Undo ``exclude_folder``."""
        with self.transaction() as db:
            return db.execute("DELETE FROM excluded_folders WHERE path = ?", (path,)).rowcount == 1

    def set_excluded_folders(self, paths: Sequence[str]) -> None:
        """Make the excluded folders exactly ``paths`` (the settings dialog's list)."""
        with self.transaction() as db:
            db.execute(f"DELETE FROM excluded_folders WHERE path NOT IN ({_marks(paths)})", paths)
            db.executemany("INSERT OR IGNORE INTO excluded_folders VALUES (?, ?)",
                           [(p, time.time()) for p in paths])

    def forget_photos(self, photos: Iterable[KeyedPhoto]) -> int:
        """Leave these single photos out of the library from now on."""
        rows = [(p.path, p.fingerprint or "", time.time()) for p in photos]
        with self.transaction() as db:
            return db.executemany("INSERT OR REPLACE INTO forgotten_photos VALUES (?, ?, ?)",
                                  rows).rowcount

    def unforget_photos(self, paths: Iterable[str]) -> int:
        return self._delete_paths("forgotten_photos", list(paths))

    def forgotten_photos(self) -> list[ForgottenPhoto]:
        return [ForgottenPhoto(path, fp, _when(at)) for path, fp, at in
                self._rows("SELECT path, fingerprint, forgotten_at FROM forgotten_photos ORDER BY path")]

    # --- ratings and favourites ----------------------------------------------------------

    def set_rating(self, photo: KeyedPhoto, rating: int) -> PhotoMark | None:
        """0 clears the rating. Returns the photo's mark afterwards (None when blank)."""
        if not 0 <= int(rating) <= 5:
            raise QueryError(f"a rating is 0 to 5 stars, not {rating}")
        return self._set_mark(photo, "rating", int(rating))

    def set_favourite(self, photo: KeyedPhoto, favourite: bool) -> PhotoMark | None:
        return self._set_mark(photo, "favourite", int(bool(favourite)))

    def _set_mark(self, photo: KeyedPhoto, column: str, value: int) -> PhotoMark | None:
        with self.transaction() as db:
            db.execute(f"INSERT INTO photo_marks (path, fingerprint, {column}, updated_at) "
                       f"VALUES (?, ?, ?, ?) ON CONFLICT (path) DO UPDATE SET {column} = excluded."
                       f"{column}, fingerprint = excluded.fingerprint, updated_at = excluded.updated_at",
                       (photo.path, photo.fingerprint or "", value, time.time()))
            db.execute("DELETE FROM photo_marks WHERE path = ? AND rating = 0 AND favourite = 0",
                       (photo.path,))
        return self.mark(photo.path)

    def mark(self, path: str) -> PhotoMark | None:
        return self.marks([path]).get(path)

    def marks(self, paths: Iterable[str] | None = None) -> dict[str, PhotoMark]:
        """Marks by path: of these paths, or every marked photo."""
        sql = "SELECT path, fingerprint, rating, favourite, updated_at FROM photo_marks"
        if paths is None:
            rows = self._rows(sql)
        else:
            rows = [row for chunk in _chunks(list(paths))
                    for row in self._rows(f"{sql} WHERE path IN ({_marks(chunk)})", chunk)]
        return {r[0]: PhotoMark(r[0], r[1], r[2], bool(r[3]), _when(r[4])) for r in rows}

    # --- albums ----------------------------------------------------------------------------

    def create_album(self, name: str, query: str | None = None,
                     filters: Mapping | None = None) -> Album:
        """A manual album, or a smart one when ``query`` is given (``filters``: JSON-able)."""
        name = name.strip()
        if not name:
            raise QueryError("an album needs a name")
        with self.transaction() as db:
            cursor = db.execute("INSERT INTO albums (name, query, filters, created_at) "
                                "VALUES (?, ?, ?, ?)",
                                (name, query, json.dumps(dict(filters or {})), time.time()))
            album_id = cursor.lastrowid
        return self.album(album_id)

    def albums(self) -> list[Album]:
        return [_album(row) for row in self._rows(
            "SELECT id, name, query, filters, created_at FROM albums ORDER BY name COLLATE NOCASE")]

    def album(self, album: int | str) -> Album:
        """An album by id or by name."""
        column = "id" if isinstance(album, int) else "name"
        rows = self._rows(f"SELECT id, name, query, filters, created_at FROM albums "
                          f"WHERE {column} = ?", (album,))
        if not rows:
            raise QueryError(f"no album {album!r}")
        return _album(rows[0])

    def rename_album(self, album_id: int, name: str) -> Album:
        if not name.strip():
            raise QueryError("an album needs a name")
        with self.transaction() as db:
            db.execute("UPDATE albums SET name = ? WHERE id = ?", (name.strip(), album_id))
        return self.album(album_id)

    def set_album_query(self, album_id: int, query: str | None,
                        filters: Mapping | None = None) -> Album:
        with self.transaction() as db:
            db.execute("UPDATE albums SET query = ?, filters = ? WHERE id = ?",
                       (query, json.dumps(dict(filters or {})), album_id))
        return self.album(album_id)

    def delete_album(self, album_id: int) -> bool:
        with self.transaction() as db:
            return db.execute("DELETE FROM albums WHERE id = ?", (album_id,)).rowcount == 1

    def add_to_album(self, album_id: int, photos: Iterable[KeyedPhoto]) -> int:
        """Returns how many photos were new to the album."""
        rows = [(album_id, p.path, p.fingerprint or "", time.time()) for p in photos]
        with self.transaction() as db:
            if not db.execute("SELECT 1 FROM albums WHERE id = ?", (album_id,)).fetchone():
                raise QueryError(f"no album {album_id}")
            before = db.total_changes
            db.executemany("INSERT OR IGNORE INTO album_items VALUES (?, ?, ?, ?)", rows)
            return db.total_changes - before

    def remove_from_album(self, album_id: int, paths: Iterable[str]) -> int:
        removed = 0
        with self.transaction() as db:
            for chunk in _chunks(list(paths)):
                removed += db.execute(f"DELETE FROM album_items WHERE album_id = ? AND path IN "
                                      f"({_marks(chunk)})", (album_id, *chunk)).rowcount
        return removed

    def album_items(self, album_id: int) -> list[AlbumItem]:
        """A manual album's photos, in the order they were added."""
        return [AlbumItem(album_id, path, fp, _when(at)) for path, fp, at in self._rows(
            "SELECT path, fingerprint, added_at FROM album_items WHERE album_id = ? "
            "ORDER BY added_at, rowid", (album_id,))]

    # --- search feedback --------------------------------------------------------------------

    def add_feedback(self, query_id: str, query_text: str, query_vector: np.ndarray | None,
                     photo: KeyedPhoto, rating: int) -> Feedback:
        if not 1 <= int(rating) <= 10:
            raise QueryError(f"feedback is rated 1 to 10, not {rating}")
        blob = (np.asarray(query_vector, dtype=np.float32).tobytes()
                if query_vector is not None else b"")
        with self.transaction() as db:
            cursor = db.execute("INSERT INTO feedback (query_id, query_text, query_vector, path, "
                                "fingerprint, rating, at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                                (query_id, query_text, blob, photo.path, photo.fingerprint or "",
                                 int(rating), time.time()))
            row_id = cursor.lastrowid
        return self.feedback(row_id=row_id)[0]

    def feedback(self, query_id: str | None = None, row_id: int | None = None) -> list[Feedback]:
        """All feedback, oldest first, or that of one search (``query_id``)."""
        sql = ("SELECT id, query_id, query_text, query_vector, path, fingerprint, rating, at "
               "FROM feedback")
        if row_id is not None:
            rows = self._rows(sql + " WHERE id = ?", (row_id,))
        elif query_id is not None:
            rows = self._rows(sql + " WHERE query_id = ? ORDER BY id", (query_id,))
        else:
            rows = self._rows(sql + " ORDER BY id")
        return [Feedback(r[0], r[1], r[2], bytes(r[3] or b""), r[4], r[5], r[6], _when(r[7]))
                for r in rows]

    # --- photos that moved ------------------------------------------------------------------

    def follow_moves(self, photos: Iterable[KeyedPhoto]) -> int:
        """Give items of a photo whose file is gone the path where its fingerprint turned up.

        Called with the photos an indexing run added: a copy (the old file still there)
        changes nothing; a move or rename carries ratings, albums and feedback along.
        """
        found = {p.fingerprint: p.path for p in photos if p.fingerprint}
        if not found:
            return 0
        moves: list[tuple[str, str, str]] = []
        for table in PHOTO_TABLES:
            for chunk in _chunks(list(found)):
                for old, fp in self._rows(f"SELECT DISTINCT path, fingerprint FROM {table} "
                                          f"WHERE fingerprint IN ({_marks(chunk)})", chunk):
                    if old != found[fp] and not os.path.exists(old):
                        moves.append((table, old, found[fp]))
        if not moves:
            return 0
        with self.transaction() as db:
            for table, old, new in moves:  # OR IGNORE: an item already at the new path wins
                db.execute(f"UPDATE OR IGNORE {table} SET path = ? WHERE path = ?", (new, old))
        log.info("user items of %d moved photos follow them", len({m[1] for m in moves}))
        return len(moves)

    def _delete_paths(self, table: str, paths: list[str]) -> int:
        removed = 0
        with self.transaction() as db:
            for chunk in _chunks(paths):
                removed += db.execute(f"DELETE FROM {table} WHERE path IN ({_marks(chunk)})",
                                      chunk).rowcount
        return removed

    def insert_missing(self, table: str, rows: Sequence[tuple]) -> int:
        """Rows of ``table`` (all columns, as stored) that are not here yet: used to copy
        back what a damaged or exported store still holds. Returns how many were new."""
        if table not in ITEM_TABLES or not rows:
            return 0
        with self.transaction() as db:
            before = db.total_changes
            db.executemany(f"INSERT OR IGNORE INTO {table} VALUES ({_marks(rows[0])})", rows)
            return db.total_changes - before

    def counts(self) -> dict[str, int]:
        """Rows per kind of item: what `status`, export and the damage checks report."""
        return {t: self._rows(f"SELECT count(*) FROM {t}")[0][0] for t in ITEM_TABLES}


def read_only_message(folder: Path, reason: str) -> str:
    because = f" ({reason})" if reason else ""
    return (f"the library in {folder} is read-only{because}: it can be browsed and "
            "searched, but nothing was changed")


def _album(row: tuple) -> Album:
    return Album(row[0], row[1], row[2], json.loads(row[3] or "{}"), _when(row[4]))


def _marks(values: Sequence) -> str:
    return ",".join("?" * len(values))


def _chunks(values: list) -> Iterator[list]:
    for start in range(0, len(values), SQL_LIST_MAX):
        yield values[start:start + SQL_LIST_MAX]


def _integrity_message(exc: sqlite3.IntegrityError) -> str:
    if "albums.name" in str(exc):
        return "an album with that name exists already"
    return f"not saved: {exc}"


def _is_read_only_failure(exc: Exception) -> bool:
    text = str(exc).lower()
    return (isinstance(exc, PermissionError) or getattr(exc, "errno", None) in (13, 28, 30)
            or any(s in text for s in ("readonly", "read-only", "unable to open", "disk is full",
                                       "disk i/o error")))

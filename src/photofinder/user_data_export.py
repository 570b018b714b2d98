"""`photofinder export-user-data` / `import-user-data`: the user store as one JSON file, to keep elsewhere or
to carry to another computer. Importing merges: nothing already here is changed or lost,
and importing the same file twice adds nothing the second time."""

from __future__ import annotations

import base64
import json
from datetime import datetime
from pathlib import Path

from photofinder.atomic_file import write_atomically
from photofinder.errors import QueryError
from photofinder.user_data import UserData

FORMAT = "photofinder-user-data"
FORMAT_VERSION = 1


def export_user_data(user_data: UserData) -> dict:
    db = user_data.connection
    with user_data.lock:
        rows = lambda sql: db.execute(sql).fetchall()  # noqa: E731
        albums = []
        for album_id, name, query, filters, created in rows(
                "SELECT id, name, query, filters, created_at FROM albums ORDER BY id"):
            items = db.execute("SELECT path, fingerprint, added_at FROM album_items WHERE "
                               "album_id = ? ORDER BY added_at, rowid", (album_id,)).fetchall()
            albums.append({"name": name, "query": query, "filters": json.loads(filters),
                           "created_at": created,
                           "items": [{"path": p, "fingerprint": f, "added_at": a} for p, f, a in items]})
        return {
            "format": FORMAT, "version": FORMAT_VERSION, "exported_at": datetime.now().isoformat(),
            "folders": [{"path": p, "poll": bool(poll), "added_at": a}
                        for p, poll, a in rows("SELECT path, poll, added_at FROM folders")],
            "excluded_folders": [{"path": p, "added_at": a}
                                 for p, a in rows("SELECT path, added_at FROM excluded_folders")],
            "forgotten_photos": [{"path": p, "fingerprint": f, "forgotten_at": a} for p, f, a in
                                 rows("SELECT path, fingerprint, forgotten_at FROM forgotten_photos")],
            "marks": [{"path": p, "fingerprint": f, "rating": r, "favourite": bool(fav),
                       "updated_at": a} for p, f, r, fav, a in
                      rows("SELECT path, fingerprint, rating, favourite, updated_at FROM photo_marks")],
            "albums": albums,
            "feedback": [{"query_id": q, "query_text": t,
                          "query_vector": base64.b64encode(v or b"").decode("ascii"),
                          "path": p, "fingerprint": f, "rating": r, "at": a}
                         for q, t, v, p, f, r, a in rows(
                             "SELECT query_id, query_text, query_vector, path, fingerprint, "
                             "rating, at FROM feedback ORDER BY id")],
        }


def import_user_data(user_data: UserData, data: dict) -> int:
    """Merge an export into the store in one transaction; returns how many items were new."""
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise QueryError("not a photofinder user data export")
    if data.get("version", 0) > FORMAT_VERSION:
        raise QueryError("this export was written by a newer photofinder: please upgrade")
    try:
        with user_data.transaction() as db:
            before = db.total_changes
            _merge(db, data)
            return db.total_changes - before
    except (KeyError, TypeError, ValueError) as exc:
        raise QueryError(f"the export is incomplete or damaged: {exc!r}") from exc


def _merge(db, data: dict) -> None:
    db.executemany("INSERT OR IGNORE INTO folders VALUES (?, ?, ?)",
                   [(f["path"], int(f["poll"]), f["added_at"]) for f in data["folders"]])
    db.executemany("INSERT OR IGNORE INTO excluded_folders VALUES (?, ?)",
                   [(f["path"], f["added_at"]) for f in data["excluded_folders"]])
    db.executemany("INSERT OR IGNORE INTO forgotten_photos VALUES (?, ?, ?)",
                   [(f["path"], f["fingerprint"], f["forgotten_at"]) for f in data["forgotten_photos"]])
    db.executemany("INSERT OR IGNORE INTO photo_marks VALUES (?, ?, ?, ?, ?)",
                   [(m["path"], m["fingerprint"], m["rating"], int(m["favourite"]), m["updated_at"])
                    for m in data["marks"]])
    for album in data["albums"]:
        db.execute("INSERT OR IGNORE INTO albums (name, query, filters, created_at) "
                   "VALUES (?, ?, ?, ?)", (album["name"], album["query"],
                                           json.dumps(album["filters"]), album["created_at"]))
        album_id = db.execute("SELECT id FROM albums WHERE name = ?", (album["name"],)).fetchone()[0]
        db.executemany("INSERT OR IGNORE INTO album_items VALUES (?, ?, ?, ?)",
                       [(album_id, i["path"], i["fingerprint"], i["added_at"]) for i in album["items"]])
    known = set(db.execute("SELECT query_id, path, at FROM feedback").fetchall())
    db.executemany("INSERT INTO feedback (query_id, query_text, query_vector, path, fingerprint, "
                   "rating, at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                   [(f["query_id"], f["query_text"], base64.b64decode(f["query_vector"]),
                     f["path"], f["fingerprint"], f["rating"], f["at"]) for f in data["feedback"]
                    if (f["query_id"], f["path"], f["at"]) not in known])


def write_export(user_data: UserData, file: Path) -> dict:
    data = export_user_data(user_data)
    write_atomically(file, json.dumps(data, indent=1).encode("utf-8"))
    return data


def read_export(file: Path) -> dict:
    try:
        return json.loads(Path(file).read_text(encoding="utf-8"))
    except OSError as exc:
        raise QueryError(f"cannot read {file}: {exc.strerror or exc}") from exc
    except ValueError as exc:
        raise QueryError(f"{file} is not a photofinder export (not JSON: {exc})") from exc

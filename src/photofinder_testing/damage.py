"""Ways to damage a real library, and how to score what photofinder makes of each:
detected (yes/no), the one line the CLI printed, repaired (yes/no), photos lost, user
items lost. tests/test_damage.py runs them small; benchmarks/bench_damage.py large.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from photofinder.config import Paths
from photofinder.index_health import manifests
from photofinder.user_data import UserData
from photofinder.user_data_export import export_user_data

DAMAGED_EXIT = 4


@dataclass(frozen=True)
class Outcome:
    damage: str
    detected: bool
    message: str  # the one line the CLI printed ("" when none)
    repaired: bool
    photos_lost: int
    user_items_lost: int
    how: str = ""  # what mended it: rollback, rebuild, backup copy, nothing needed

    def row(self) -> str:
        yes = lambda flag: "yes" if flag else "NO"  # noqa: E731
        return (f"| {self.damage} | {yes(self.detected)} | {self.message or '-'} | "
                f"{yes(self.repaired)} ({self.how}) | {self.photos_lost} | {self.user_items_lost} |")


TABLE_HEADER = ("| damage | detected | message (one line) | repaired (how) | photos lost | "
                "user items lost |\n|---|---|---|---|---|---|")


def table_dir(paths: Paths) -> Path:
    [table] = [t for t in paths.index.glob("*.lance") if t.is_dir()]
    return table


def data_files(paths: Paths) -> list[Path]:
    """Data files, largest first (the one most rows live in)."""
    return sorted((table_dir(paths) / "data").glob("*.lance"), key=lambda f: -f.stat().st_size)


# --- the index's damages -------------------------------------------------------------------

def delete_data_file(paths: Paths) -> None:
    data_files(paths)[0].unlink()


def zero_4k_of_data_file(paths: Paths) -> None:
    """4 KB of zeros in the middle of the biggest data file (a bad sector, a torn sync)."""
    file = data_files(paths)[0]
    with open(file, "r+b") as fh:
        fh.seek(file.stat().st_size // 2 - 2048)
        fh.write(b"\0" * 4096)


def truncate_data_file(paths: Paths) -> None:
    file = data_files(paths)[0]
    os.truncate(file, file.stat().st_size // 2)


def delete_manifests(paths: Paths) -> None:
    for manifest in manifests(table_dir(paths)):
        manifest.file.unlink()


def zero_newest_manifest(paths: Paths) -> None:
    newest = manifests(table_dir(paths))[0].file
    newest.write_bytes(b"\0" * newest.stat().st_size)


def delete_versions_folder(paths: Paths) -> None:
    shutil.rmtree(table_dir(paths) / "_versions")


def schema_from_the_future(paths: Paths) -> None:
    (paths.index / "schema.json").write_text(json.dumps({"version": 99}))


def vectors_of_the_wrong_size(paths: Paths) -> None:
    """The table replaced by one holding vectors of another size (a mixed-up copy)."""
    import lancedb
    import pyarrow as pa

    table = table_dir(paths)
    name = table.name.removesuffix(".lance")
    shutil.rmtree(table)
    table.with_name(f"{name}.lance.checksums.json").unlink(missing_ok=True)
    vectors = pa.FixedSizeListArray.from_arrays(pa.array([0.5] * 12, pa.float32()), 3)
    lancedb.connect(str(paths.index)).create_table(
        name, pa.table({"path": ["/x.jpg", "/y.jpg", "/z.jpg", "/w.jpg"], "vector": vectors}))


INDEX_DAMAGES: dict[str, Callable[[Paths], None]] = {
    "data file deleted": delete_data_file,
    "version manifests deleted": delete_manifests,
    "4 KB of a data file zeroed": zero_4k_of_data_file,
    "data file truncated": truncate_data_file,
    "newest manifest zeroed": zero_newest_manifest,
    "_versions folder deleted": delete_versions_folder,
    "schema from the future": schema_from_the_future,
    "vectors of the wrong size": vectors_of_the_wrong_size,
}


# --- what the user has, before and after ---------------------------------------------------

def user_items(paths: Paths) -> set[str]:
    """Every user item as one JSON line each (album items carry their album's name)."""
    store = UserData(paths.user_data_file, read_only=True)
    try:
        data = export_user_data(store)
    finally:
        store.close()
    items = set()
    for kind in ("folders", "excluded_folders", "forgotten_photos", "marks", "feedback"):
        items |= {f"{kind} {json.dumps(item, sort_keys=True)}" for item in data[kind]}
    for album in data["albums"]:
        items.add(f"album {album['name']} {album['query']} {json.dumps(album['filters'])}")
        items |= {f"album {album['name']} item {i['path']}" for i in album["items"]}
    return items


def indexed_photos(paths: Paths) -> set[str]:
    from photofinder.library import Library

    store = Library(paths).store
    store.verify()
    return {p.path for p in store.photos()}


def make_user_items(library, ratings: int = 20, albums: int = 2, per_album: int = 5) -> None:
    photos = library.store.photos()
    store = library.user_data
    for i, photo in enumerate(photos[:ratings]):
        store.set_rating(photo, i % 5 + 1)
        if i % 3 == 0:
            store.set_favourite(photo, True)
    for a in range(albums):
        album = store.create_album(f"album {a}")
        store.add_to_album(album.id, photos[a * per_album:(a + 1) * per_album])
    store.create_album("red things", query="red", filters={"after": "2020-01-01"})
    store.add_feedback("q-1", "a red circle", [1.0, 0.0, 0.0], photos[0], 9)
    store.exclude_folder(str(Path(photos[0].folder) / "private"))


def cli(*args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "photofinder", *args], capture_output=True,
                          text=True, timeout=timeout)


def one_line(result: subprocess.CompletedProcess) -> str:
    lines = result.stderr.strip().splitlines()
    return lines[0] if len(lines) == 1 else ""


def detecting_command(name: str, paths: Paths) -> tuple[str, ...]:
    """What the user runs: a search, or for changed file contents an indexing run (a
    search maps the snapshot of the vectors saved from the intact table, and answers
    right; what reads the table checks every file's CRC)."""
    if name == "4 KB of a data file zeroed":
        store = UserData(paths.user_data_file, read_only=True)
        return ("index", *(f.path for f in store.folders()))
    return ("search", "a red circle")


def damage_index(name: str, paths: Paths) -> Outcome:
    """Damage the index one way, ask the CLI, repair, and count what is left."""
    from photofinder.library import Library
    from photofinder.repair import diagnose, repair_index

    photos, items = indexed_photos(paths), user_items(paths)
    INDEX_DAMAGES[name](paths)
    result = cli(*detecting_command(name, paths))
    message = one_line(result)
    detected = result.returncode == DAMAGED_EXIT and "photofinder repair" in message
    report = repair_index(Library(paths))
    repaired = diagnose(Library(paths)) is None
    return Outcome(name, detected, message, repaired, len(photos - indexed_photos(paths)),
                   len(items - user_items(paths)), report.method)


# --- processes killed half-way -------------------------------------------------------------

RATING_WRITER = """
import sys
from photofinder.user_data import PhotoKey, UserData
store = UserData(sys.argv[1])
for i in range(100_000):
    photo = PhotoKey(f"/photos/{i}.jpg", f"fp{i}")
    store.set_rating(photo, i % 5 + 1)
    album = store.create_album(f"written {i}")
    store.add_to_album(album.id, [photo])
    print(i, flush=True)
"""

BACKER_UP = """
import sys
from pathlib import Path
from photofinder.user_data import UserData
from photofinder.user_data_backup import back_up
store = UserData(sys.argv[1])
print("ready", flush=True)
while True:
    back_up(store, Path(sys.argv[2]), force=True)
"""


def kill_after(command: list[str], lines: int) -> list[str]:
    """Start a process, kill -9 it once it printed ``lines`` lines; what it printed."""
    child = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    printed = []
    for line in child.stdout:
        printed.append(line.strip())
        if len(printed) >= lines:
            break
    child.send_signal(signal.SIGKILL)
    child.wait()
    return printed


def kill_during_user_writes(paths: Paths, writes: int = 60) -> Outcome:
    """kill -9 while ratings and albums are written: every write reported done is there."""
    done = kill_after([sys.executable, "-c", RATING_WRITER, str(paths.user_data_file)], writes)
    assert len(done) == writes, "the writer stopped by itself"
    store = UserData(paths.user_data_file)
    marks = store.marks()
    albums = {a.name: a.id for a in store.albums()}
    lost = sum(f"/photos/{i}.jpg" not in marks for i in map(int, done))
    lost += sum(f"written {i}" not in albums or not store.album_items(albums[f"written {i}"])
                for i in map(int, done))
    ok = store.connection.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    return Outcome("kill -9 during rating/album writes", True, "", ok, 0, lost, "SQLite journal")


def kill_during_backup(paths: Paths, seconds: float = 1.0) -> Outcome:
    """kill -9 while the user store is being backed up, over and over."""
    import sqlite3

    from photofinder.user_data_backup import backups

    items = user_items(paths)
    child = subprocess.Popen([sys.executable, "-c", BACKER_UP, str(paths.user_data_file),
                              str(paths.backups)], stdout=subprocess.PIPE, text=True)
    child.stdout.readline()
    time.sleep(seconds)
    child.send_signal(signal.SIGKILL)
    child.wait()
    whole = all(sqlite3.connect(b).execute("PRAGMA integrity_check").fetchone()[0] == "ok"
                for b in backups(paths.backups))
    return Outcome("kill -9 during a backup", True, "", whole and bool(backups(paths.backups)),
                   0, len(items - user_items(paths)), "temporary file, renamed when whole")


def half_written_user_store(paths: Paths) -> Outcome:
    """A transaction killed half-way through, its pages already in the WAL file."""
    writer = ("import sqlite3, sys, time\n"
              "db = sqlite3.connect(sys.argv[1], isolation_level=None)\n"
              "db.execute('PRAGMA cache_size=2')\n"  # spill the half transaction to the WAL
              "db.execute('BEGIN IMMEDIATE')\n"
              "for i in range(20000):\n"
              "    db.execute('INSERT INTO photo_marks VALUES (?, ?, 3, 0, 0)', (f'/half/{i}', ''))\n"
              "print('half', flush=True)\n"
              "time.sleep(60)\n")
    items = user_items(paths)
    kill_after([sys.executable, "-c", writer, str(paths.user_data_file)], 1)
    wal = Path(f"{paths.user_data_file}-wal")
    half = wal.exists() and wal.stat().st_size > 0
    store = UserData(paths.user_data_file)
    partial = sum(p.startswith("/half/") for p in store.marks())
    return Outcome("half-written user store (kill -9 mid-transaction)", half, "",
                   partial == 0, 0, len(items - user_items(paths)), "SQLite WAL rollback")


def kill_during_repair(paths: Paths, after_seconds: float) -> Outcome:
    """kill -9 while `photofinder repair` rebuilds; a second repair finishes the job."""
    from photofinder.library import Library
    from photofinder.repair import diagnose, repair_index

    photos, items = indexed_photos(paths), user_items(paths)
    delete_data_file(paths)
    child = subprocess.Popen([sys.executable, "-m", "photofinder", "repair"],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(after_seconds)
    child.send_signal(signal.SIGKILL)
    child.wait()
    result = cli("search", "a red circle")
    report = repair_index(Library(paths))
    repaired = diagnose(Library(paths)) is None
    return Outcome("kill -9 during repair", True, one_line(result) if result.returncode else "",
                   repaired, len(photos - indexed_photos(paths)), len(items - user_items(paths)),
                   f"repair run again: {report.method}")


def settings_typo(paths: Paths) -> Outcome:
    from photofinder.config import Settings
    from photofinder.library import Library

    Library(paths).settings.save(paths.settings_file)  # a good copy exists
    items = user_items(paths)
    text = paths.settings_file.read_text()
    paths.settings_file.write_text(text.replace(",", "", 1))  # the user's typo
    result = cli("status")
    message = one_line(result)
    restored = Settings.load(paths.settings_file).notice == "" and bool(
        list(paths.config.glob("settings.json.broken-*")))
    return Outcome("settings.json with a typo", "broken-" in message, message,
                   restored and result.returncode == 0, 0, len(items - user_items(paths)),
                   "moved aside, last good copy restored")


"""Damage to the index, found and named before it gives wrong results or a traceback.

LanceDB never rewrites a file once written: a data file, a deletion file and a
version manifest stay as they were until an optimisation deletes them. So the size
and CRC-32 of each are recorded once, when photofinder first sees them (beside the
table, in ``<table>.lance.checksums.json``), and checked again: sizes on every open
(a few stats), contents when the vectors are read into memory and by ``repair``.
A file that is missing, shorter or changed, version manifests that are gone or
unreadable, vectors that are not unit length: each is an ``IndexDamaged`` with one
line saying what, and ``photofinder repair`` as the way out.
"""

from __future__ import annotations

import json
import logging
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from photofinder.atomic_file import write_json_atomically
from photofinder.errors import IndexDamaged

log = logging.getLogger("photofinder.store")

CHECKED_FOLDERS = ("data", "_deletions")  # immutable files the rows live in
MAX_VERSION = 2**64 - 1  # LanceDB's v2 manifest names count down from here
UNIT_TOLERANCE = 0.05  # stored vectors are normalised: a norm off by more is damage
READ_CHUNK = 1 << 20


def table_folder(index_dir: Path, table_name: str) -> Path:
    return index_dir / f"{table_name}.lance"


def damaged(detail: str, can_roll_back: bool = True) -> IndexDamaged:
    return IndexDamaged(f"the photo index is damaged ({detail}); run `photofinder repair`",
                        can_roll_back)


@dataclass(frozen=True)
class Manifest:
    version: int
    file: Path


def manifests(table_dir: Path) -> list[Manifest]:
    """The table's version manifests, newest first."""
    found = []
    for file in (table_dir / "_versions").glob("*.manifest"):
        try:
            number = int(file.stem)
        except ValueError:
            continue
        found.append(Manifest(MAX_VERSION - number if number > 2**63 else number, file))
    return sorted(found, key=lambda m: m.version, reverse=True)


def crc32(path: Path) -> int:
    value = 0
    with open(path, "rb") as fh:
        while chunk := fh.read(READ_CHUNK):
            value = zlib.crc32(chunk, value)
    return value


class FileChecksums:
    """Size and CRC-32 of each immutable file of one table, recorded when first seen."""

    def __init__(self, table_dir: Path):
        self.table_dir = table_dir
        self.file = table_dir.with_name(table_dir.name + ".checksums.json")
        self.entries = self._load()

    def _files(self) -> dict[str, Path]:
        return {f"{folder}/{f.name}": f for folder in CHECKED_FOLDERS
                for f in (self.table_dir / folder).glob("*") if f.is_file()}

    def record_new(self, forget_missing: bool = False) -> None:
        """Record files written since the last call; ``forget_missing`` after an
        optimisation, which deletes the files of older versions. Read afresh first: another
        process may have recorded files meanwhile."""
        self.entries = self._load()
        on_disk = self._files()
        gone = set(self.entries) - set(on_disk) if forget_missing else set()
        for name in gone:
            del self.entries[name]
        new = {name: path for name, path in on_disk.items() if name not in self.entries}
        for name, path in new.items():
            try:
                self.entries[name] = [path.stat().st_size, crc32(path)]
            except OSError:
                continue
        if gone or new:
            self._save()

    def _load(self) -> dict[str, list[int]]:
        try:
            return json.loads(self.file.read_text())
        except (OSError, ValueError):
            return {}  # none yet, or unreadable: files are trusted as they are now

    def _save(self) -> None:
        try:
            write_json_atomically(self.file, self.entries)
        except OSError as exc:  # a read-only or full disk: checked against what is there
            log.info("checksums of %s not saved: %s", self.table_dir.name, exc)

    def check(self, contents: bool, needed: set[str]) -> None:
        """Raise IndexDamaged for the first recorded file that is shorter or (``contents``)
        changed, or missing though ``needed`` (a file an older version alone read may go)."""
        for name, (size, crc) in sorted(self.entries.items()):
            path = self.table_dir / name
            try:
                actual = path.stat().st_size
            except FileNotFoundError:
                if name in needed:
                    raise damaged(f"its file {path} is missing") from None
                continue
            if actual != size:
                raise damaged(f"its file {path} is {actual} bytes, it was written with {size}")
            if contents and crc32(path) != crc:
                raise damaged(f"the contents of {path} changed since it was written")


def check_table_files(table_dir: Path, contents: bool = False) -> None:
    """What can be checked without LanceDB: the version manifests and recorded files."""
    if not table_dir.exists():
        return
    versions = manifests(table_dir)
    if not versions:
        raise damaged(f"its version files in {table_dir / '_versions'} are missing")
    newest = versions[0].file
    if not newest.read_bytes().strip(b"\0"):
        raise damaged(f"its newest version file {newest} is empty")
    checksums = FileChecksums(table_dir)
    checksums.check(contents, needed=data_files_of(versions[0], checksums))


def data_files_of(manifest: Manifest, checksums: FileChecksums) -> set[str]:
    """The data files a version reads: the fragments' files its manifest lists. A
    manifest also carries the transaction that made it, which names the fragments an
    optimisation replaced (and deleted): those are not read, so not needed."""
    try:
        text = manifest.file.read_bytes()
    except OSError:
        return set()
    listed = fragment_files(text)
    if listed is not None:
        return {f"data/{name}" for name in listed}
    names = {f.name for f in (checksums.table_dir / "data").glob("*.lance")}
    names |= {n.split("/", 1)[1] for n in checksums.entries if n.startswith("data/")}
    return {f"data/{n}" for n in names if n.encode() in text}  # a layout we cannot parse


def fragment_files(manifest: bytes) -> set[str] | None:
    """Data file names of the fragments in a Lance manifest file, or None if its layout is
    not the one known here. The file ends with the manifest's offset, a version and b"LANC";
    at that offset, a length and the protobuf Manifest, whose field 2 lists the fragments
    (DataFragment: field 2, its DataFile messages; DataFile: field 1, the path)."""
    if len(manifest) < 16 or manifest[-4:] != b"LANC":
        return None
    start = int.from_bytes(manifest[-16:-8], "little")
    try:
        length = int.from_bytes(manifest[start:start + 4], "little")
        message = manifest[start + 4:start + 4 + length]
        if len(message) != length:
            return None
        return {bytes(path).decode()
                for fragment in _protobuf_fields(message, 2)
                for data_file in _protobuf_fields(fragment, 2)
                for path in _protobuf_fields(data_file, 1)}
    except (ValueError, IndexError, UnicodeDecodeError):
        return None


def _protobuf_fields(message: bytes, wanted: int) -> list[bytes]:
    """The length-delimited values of one field number in a protobuf message."""
    found, i = [], 0
    while i < len(message):
        key, i = _varint(message, i)
        number, wire = key >> 3, key & 7
        if wire == 0:
            _, i = _varint(message, i)
        elif wire == 1:
            i += 8
        elif wire == 5:
            i += 4
        elif wire == 2:
            size, i = _varint(message, i)
            if number == wanted:
                found.append(message[i:i + size])
            i += size
        else:
            raise ValueError(f"protobuf wire type {wire}")
    if i != len(message):
        raise ValueError("protobuf message overruns")
    return found


def _varint(data: bytes, i: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        byte = data[i]
        i += 1
        value |= (byte & 0x7F) << shift
        if byte < 0x80:
            return value, i
        shift += 7


def check_vectors(vectors: np.ndarray, where: str) -> None:
    """Stored vectors are unit length: zeros or garbage read from a damaged file are not."""
    if not len(vectors):
        return
    norms = np.linalg.norm(vectors, axis=1)
    bad = ~np.isfinite(norms) | (np.abs(norms - 1.0) > UNIT_TOLERANCE)
    if bad.any():
        raise damaged(f"{int(bad.sum())} photo vectors in {where} are unreadable")

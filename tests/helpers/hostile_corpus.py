"""A folder of the files real photo libraries hold and naive indexers choke on.

``make_hostile_corpus(folder)`` writes it in a fraction of a second (tiny images,
a bomb made of a header) and says what each file must give: an upright size, or
the word a skipped file's reason must contain.
"""

from __future__ import annotations

import io
import os
import struct
import zlib
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from PIL import Image

from photofinder.indexing.scanner import OPTIONAL_DECODERS

ROTATED_TAKEN_AT = datetime(2019, 7, 14, 15, 30, 5)
SIZE = (64, 48)  # every good photo is stored this size unless said otherwise
UPRIGHT = SIZE
TURNED = (SIZE[1], SIZE[0])


@dataclass
class HostileCorpus:
    """What each file under ``root`` must give when scanned and loaded."""

    root: Path
    # load_image succeeds with this upright (width, height)
    good: dict[Path, tuple[int, int]] = field(default_factory=dict)
    # load_image raises ImageError whose reason contains this word
    bad: dict[Path, str] = field(default_factory=dict)
    # scan reports these paths, with this word in the reason
    scan_problems: dict[Path, str] = field(default_factory=dict)
    # named like photos, but in hidden or system places: scan must leave them out
    hidden: list[Path] = field(default_factory=list)
    # False where chmod 000 does not stop reading (root, Windows)
    reads_blocked: bool = False
    rotated: Path | None = None

    @property
    def scanned(self) -> set[Path]:
        """The files scan must yield: photo-named, not empty, in a visible folder."""
        return set(self.good) | (set(self.bad) - set(self.scan_problems))

    def unlock(self) -> None:
        """Give back the permissions taken away, so the folder can be deleted."""
        for path in (self.root / "unreadable.jpg", self.root / "locked"):
            path.chmod(0o755)


def photo(size: tuple[int, int] = SIZE, mode: str = "RGB") -> Image.Image:
    """Red grows to the right, green downwards: each corner has its own colour."""
    down = Image.linear_gradient("L")
    right = down.transpose(Image.Transpose.ROTATE_90)
    rgb = Image.merge("RGB", (right, down, Image.new("L", down.size, 60))).resize(size)
    return rgb.convert(mode)


def encoded(image: Image.Image, fmt: str, **options) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


def claimed_size_png(width: int, height: int) -> bytes:
    """A PNG of a few bytes whose header claims ``width`` x ``height`` pixels."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00" * 64))
        + chunk(b"IEND", b"")
    )


def rotated_jpeg(size: tuple[int, int] = SIZE) -> bytes:
    """A JPEG stored sideways with EXIF orientation 6 (turn 90 degrees clockwise) and a date."""
    exif = Image.Exif()
    exif[0x0112] = 6  # Orientation
    exif[0x0132] = "2001:01:01 00:00:00"  # DateTime: the later edit, not the capture
    exif.get_ifd(0x8769)[0x9003] = ROTATED_TAKEN_AT.strftime("%Y:%m:%d %H:%M:%S")
    return encoded(photo(size), "JPEG", exif=exif)


def make_hostile_corpus(folder: Path) -> HostileCorpus:
    """Write the corpus into ``folder`` (made if missing); call ``unlock()`` before deleting it."""
    folder.mkdir(parents=True, exist_ok=True)
    corpus = HostileCorpus(root=folder)
    _add_good(corpus)
    _add_bad(corpus)
    _add_hidden(corpus)
    _add_permission_traps(corpus)
    # a link back to the root: a scanner that follows it blindly never ends
    (folder / "loop").mkdir()
    (folder / "loop" / "back").symlink_to("..", target_is_directory=True)
    _write(corpus.good, folder / "loop" / "inside_loop.jpg", encoded(photo(), "JPEG"))
    for name in ("notes.txt", "IMG_0001.jpg.xmp", "Thumbs.db"):
        (folder / name).write_text("not a photo, not a problem")
    return corpus


def _write(into: dict, path: Path, data: bytes, expected: object = UPRIGHT) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    into[path] = expected


def _add_good(corpus: HostileCorpus) -> None:
    root, good = corpus.root, corpus.good
    for name, fmt in (("plain.jpg", "JPEG"), ("plain.png", "PNG"), ("plain.gif", "GIF"),
                      ("plain.tif", "TIFF"), ("plain.webp", "WEBP"), ("plain.bmp", "BMP"),
                      ("UPPER.JPG", "JPEG"), ("Mixed.JpEg", "JPEG"), ("old.jpe", "JPEG")):
        _write(good, root / name, encoded(photo(), fmt))
    for name, fmt in (("phone.heic", "HEIF"), ("modern.avif", "AVIF")):
        if fmt in OPTIONAL_DECODERS:
            _write(good, root / name, encoded(photo(), fmt))
    _write(good, root / "gray16.png", encoded(Image.new("I;16", SIZE, 50_000), "PNG"))
    _write(good, root / "cmyk.jpg", encoded(photo(mode="CMYK"), "JPEG"))
    _write(good, root / "palette_alpha.png", encoded(photo(mode="P"), "PNG", transparency=0))
    _write(good, root / "gray_alpha.png", encoded(photo(mode="LA"), "PNG"))
    _write(good, root / "alpha.webp", encoded(photo(mode="RGBA"), "WEBP"))
    # only the first frame or page counts; later TIFF pages have other sizes
    frames = [Image.new("RGB", SIZE, colour) for colour in ("red", "blue")]
    pages = [Image.new("RGB", (16, 16), colour) for colour in ("red", "blue")]
    for name, fmt, more in (("animated.gif", "GIF", frames), ("animated.webp", "WEBP", frames),
                            ("multipage.tiff", "TIFF", pages)):
        _write(good, root / name, encoded(photo(), fmt, save_all=True, append_images=more))
    corpus.rotated = root / "rotated.jpg"
    _write(good, corpus.rotated, rotated_jpeg(), TURNED)
    for name in ("café 写真.jpg", "🐱 cat 🎉.png", "é" * 125 + "x.jpg", "new\nline.jpg"):
        _write(good, root / "names" / name, encoded(photo(), "PNG" if name.endswith("png") else "JPEG"))
    # a folder named like a photo is a folder: what is inside counts
    _write(good, root / "folder.jpg" / "inside.jpg", encoded(photo(), "JPEG"))


def _add_bad(corpus: HostileCorpus) -> None:
    root, bad = corpus.root, corpus.bad
    formats = {"jpg": "JPEG", "png": "PNG", "gif": "GIF", "tiff": "TIFF", "webp": "WEBP"}
    for name, fmt in formats.items():
        data = encoded(photo((200, 150)), fmt)
        _write(bad, root / "broken" / f"truncated.{name}", data[: len(data) // 2], "corrupt")
    headers = {
        "jpg": b"\xff\xd8\xff\xe0", "png": b"\x89PNG\r\n\x1a\n", "gif": b"GIF89a", "tiff": b"II*\x00"
    }
    for name, header in headers.items():
        _write(bad, root / "broken" / f"corrupt.{name}", header + bytes(range(256)) * 2, "corrupt")
    png = bytearray(encoded(photo(), "PNG"))
    start = png.find(b"IDAT") + 8
    png[start : start + 24] = bytes(byte ^ 0x55 for byte in png[start : start + 24])
    _write(bad, root / "broken" / "scrambled.png", bytes(png), "corrupt")
    _write(bad, root / "broken" / "text.jpg", b"this is a shopping list, not a photo\n", "not an image")
    _write(bad, root / "broken" / "page.png", b"<!DOCTYPE html><html></html>", "not an image")
    _write(bad, root / "bomb.png", claimed_size_png(30_000, 30_000), "too large")
    for name in ("empty.jpg", "empty.PNG"):
        _write(bad, root / name, b"", "empty")
        corpus.scan_problems[root / name] = "empty"
    broken_link = root / "gone.jpg"
    broken_link.symlink_to(root / "never_there.jpg")
    bad[broken_link] = "vanished"
    corpus.scan_problems[broken_link] = "broken link"


def _add_hidden(corpus: HostileCorpus) -> None:
    root = corpus.root
    places = (
        ".hidden/photo.jpg", ".hidden_photo.jpg", "._AppleDouble.jpg",
        "@eaDir/plain.jpg/SYNOPHOTO_THUMB_M.jpg",
        ".thumbnails/normal/abc.png", ".Trash-1000/files/deleted.jpg", "$RECYCLE.BIN/deleted.jpg",
        "System Volume Information/x.jpg", "lost+found/#1234.jpg", "__MACOSX/._plain.jpg",
        "nested/@EADIR/thumb.jpg",
    )
    data = encoded(photo(), "JPEG")
    for place in places:
        path = root / place
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        corpus.hidden.append(path)


def _add_permission_traps(corpus: HostileCorpus) -> None:
    """An unreadable file and folder; as root they read fine and count as good."""
    root = corpus.root
    unreadable = root / "unreadable.jpg"
    unreadable.write_bytes(encoded(photo(), "JPEG"))
    hidden_inside = root / "locked" / "inside_locked.jpg"
    hidden_inside.parent.mkdir()
    hidden_inside.write_bytes(encoded(photo(), "JPEG"))
    unreadable.chmod(0)
    hidden_inside.parent.chmod(0)
    corpus.reads_blocked = not os.access(unreadable, os.R_OK)
    if corpus.reads_blocked:
        corpus.bad[unreadable] = "permission denied"
        corpus.scan_problems[hidden_inside.parent] = "permission denied"
    else:
        corpus.good[unreadable] = UPRIGHT
        corpus.good[hidden_inside] = UPRIGHT

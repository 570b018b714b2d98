"""A folder of known near-duplicates among distinct photos, to measure the duplicate finder.

Each original (a real photo) gets copies as people make them: re-encoded,
resized to 50%, cropped by 5%, rotated by its EXIF orientation tag, and the
next shot of a burst (shifted a little, a touch brighter). The distinct
photos are the other real photos plus generated scenes (shapes on gradients),
many of them alike in layout, which is what trips a hash alone.
"""

from __future__ import annotations

import random
import shutil
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

VARIANTS = ("reencoded", "resized", "cropped", "rotated", "burst")


def make_duplicate_set(photos: list[Path], folder: Path, originals: int,
                       generated: int = 60, seed: int = 0) -> list[set[str]]:
    """Write the set into ``folder``; returns the true groups (sets of paths). Photos
    ``photos[:originals]`` get copies, the rest stay single, as do ``generated`` scenes."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    groups = []
    for number, source in enumerate(photos):
        original = folder / f"photo{number:03d}.jpg"
        shutil.copyfile(source, original)
        if number < originals:
            groups.append({str(original), *(str(p) for p in _copies(original, rng))})
    for number in range(generated):
        _scene(rng).save(folder / f"scene{number:03d}.png")
    return groups


def _copies(original: Path, rng: random.Random) -> list[Path]:
    with Image.open(original) as opened:
        exif = opened.info.get("exif", b"")
        image = opened.convert("RGB")
    stem = original.with_suffix("")
    out = {name: Path(f"{stem}-{name}.jpg") for name in VARIANTS}
    image.save(out["reencoded"], quality=70, exif=exif)
    image.resize((image.width // 2, image.height // 2), Image.Resampling.LANCZOS).save(
        out["resized"], quality=90)
    width, height = image.size
    dx, dy = round(width * 0.05), round(height * 0.05)
    left, top = rng.randint(0, dx), rng.randint(0, dy)  # 5% off the sides, split at random
    image.crop((left, top, width - (dx - left), height - (dy - top))).save(out["cropped"], quality=90)
    rotated_exif = Image.Exif()
    rotated_exif[0x0112] = 6  # Orientation: rotate 90 clockwise to display
    image.transpose(Image.Transpose.ROTATE_90).save(out["rotated"], quality=90, exif=rotated_exif)
    _burst_neighbour(image, rng).save(out["burst"], quality=90, exif=exif)
    return list(out.values())


def _burst_neighbour(image: Image.Image, rng: random.Random) -> Image.Image:
    """The next frame of a burst: the camera moved a little, the light changed a little."""
    width, height = image.size
    shift = (round(width * rng.uniform(0.01, 0.025)), round(height * rng.uniform(0.0, 0.015)))
    moved = image.crop((shift[0], shift[1], width, height)).resize((width, height),
                                                                  Image.Resampling.BICUBIC)
    pixels = np.asarray(moved, dtype=np.float32) * rng.uniform(1.02, 1.08)
    return Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8))


def _scene(rng: random.Random) -> Image.Image:
    """A generated scene: a gradient and a few shapes, in one of a few similar layouts."""
    size = (rng.choice((640, 480)), rng.choice((480, 360)))
    top, bottom = (np.array([rng.randrange(256) for _ in range(3)]) for _ in range(2))
    ramp = np.linspace(0, 1, size[1])[:, None, None]
    sky = (top * (1 - ramp) + bottom * ramp).astype(np.uint8).repeat(size[0], axis=1)
    image = Image.fromarray(sky)
    draw = ImageDraw.Draw(image)
    for _ in range(rng.randint(1, 4)):
        x, y = rng.randrange(size[0]), rng.randrange(size[1])
        r = rng.randint(20, 160)
        colour = tuple(rng.randrange(256) for _ in range(3))
        shape = rng.choice((draw.ellipse, draw.rectangle))
        shape((x - r, y - r, x + r, y + r), fill=colour)
    return image

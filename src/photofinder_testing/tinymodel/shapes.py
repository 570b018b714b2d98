"""Generated pictures of coloured shapes, each with a caption that says what it shows.

The tiny test model learns from these, and tests index them as photos, so one
deterministic generator serves both: same seed, same pictures.
"""

from __future__ import annotations

from dataclasses import dataclass
from math import cos, radians, sin
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

COLOURS: dict[str, tuple[int, int, int]] = {
    "red": (220, 30, 30),
    "green": (30, 160, 50),
    "blue": (30, 70, 220),
    "yellow": (240, 220, 40),
    "purple": (135, 40, 175),
    "orange": (245, 135, 20),
    "white": (245, 245, 245),
    "black": (15, 15, 15),
}
SHAPES = ("circle", "square", "triangle", "star", "cross")
SIZES = ("small", "large")
NOISY = "noisy"
BACKGROUNDS = (*COLOURS, NOISY)

# Shape diameter as a fraction of the picture side, per size: big enough to tell
# a star from a cross once the model shrinks the picture to 48 pixels.
_EXTENT = {"small": (0.45, 0.55), "large": (0.75, 0.9)}
_COLOUR_JITTER = 15
_NOISE_BLOCKS = 16


@dataclass(frozen=True)
class ShapeSpec:
    """What one generated picture shows: the ground truth behind its caption."""

    colour: str
    shape: str
    size: str
    background: str

    def caption(
        self, *, colour: bool = True, shape: bool = True, size: bool = True, background: bool = True
    ) -> str:
        """'a small red circle on a blue background'; flags leave words out."""
        words = ([self.size] if size else []) + ([self.colour] if colour else [])
        words.append(self.shape if shape else "shape")
        if background:
            words += ["on", _article(self.background), self.background, "background"]
        return " ".join([_article(words[0]), *words])


def _article(word: str) -> str:
    return "an" if word[0] in "aeiou" else "a"


def random_shape(rng: np.random.Generator) -> ShapeSpec:
    """A uniformly chosen spec whose shape colour differs from its background."""
    colour = str(rng.choice(list(COLOURS)))
    background = str(rng.choice([b for b in BACKGROUNDS if b != colour]))
    return ShapeSpec(colour, str(rng.choice(SHAPES)), str(rng.choice(SIZES)), background)


def draw(spec: ShapeSpec, size_px: int, rng: np.random.Generator) -> Image.Image:
    """A square RGB picture of ``spec`` with jittered position, extent and tones."""
    image = _background(spec.background, size_px, rng)
    low, high = _EXTENT[spec.size]
    radius = rng.uniform(low, high) * size_px / 2
    centre = rng.uniform(radius, size_px - radius, size=2)
    fill = _jitter(COLOURS[spec.colour], rng)
    canvas = ImageDraw.Draw(image)
    if spec.shape == "circle":
        canvas.ellipse([*(centre - radius), *(centre + radius)], fill=fill)
    else:
        canvas.polygon(_outline(spec.shape, centre, radius), fill=fill)
    return image


def _background(name: str, size_px: int, rng: np.random.Generator) -> Image.Image:
    if name != NOISY:
        return Image.new("RGB", (size_px, size_px), _jitter(COLOURS[name], rng))
    # Coarse grey blocks, so the noise looks the same at any resolution.
    blocks = rng.integers(70, 190, size=(_NOISE_BLOCKS, _NOISE_BLOCKS), dtype=np.uint8)
    grey = Image.fromarray(blocks).resize((size_px, size_px), Image.Resampling.NEAREST)
    return grey.convert("RGB")


def _jitter(rgb: tuple[int, int, int], rng: np.random.Generator) -> tuple[int, ...]:
    shifted = np.asarray(rgb) + rng.integers(-_COLOUR_JITTER, _COLOUR_JITTER + 1, size=3)
    return tuple(int(c) for c in np.clip(shifted, 0, 255))


def _outline(shape: str, centre: np.ndarray, radius: float) -> list[tuple[float, float]]:
    """Polygon corners, from (angle in degrees, fraction of radius) around ``centre``."""
    if shape == "square":
        corners = [(45 + 90 * k, 1.0) for k in range(4)]
    elif shape == "triangle":
        corners = [(-90 + 120 * k, 1.0) for k in range(3)]
    elif shape == "star":
        corners = [(-90 + 36 * k, 1.0 if k % 2 == 0 else 0.42) for k in range(10)]
    elif shape == "cross":
        corners = _cross_corners()
    else:
        raise ValueError(f"unknown shape {shape!r}")
    return [
        (centre[0] + radius * r * cos(radians(a)), centre[1] + radius * r * sin(radians(a)))
        for a, r in corners
    ]


def _cross_corners(half_arm: float = 0.3) -> list[tuple[float, float]]:
    """A plus sign: for each of the four arms, its two outer corners and one inner corner."""
    corners = []
    for k in range(4):
        a = 90 * k
        outer = np.hypot(1.0, half_arm)
        spread = np.degrees(np.arctan(half_arm))
        corners += [(a - spread, outer), (a + spread, outer), (a + 45, half_arm * np.sqrt(2))]
    return corners


def write_photos(
    folder: Path, count: int, seed: int, size_px: int = 256, fmt: str = "jpg"
) -> list[tuple[Path, ShapeSpec]]:
    """Save ``count`` pictures as real image files, for tests that index a folder of photos."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    written = []
    for index in range(count):
        spec = random_shape(rng)
        path = folder / f"shape-{index:04d}.{fmt}"
        draw(spec, size_px, rng).save(path)
        written.append((path, spec))
    return written

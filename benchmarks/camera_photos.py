"""Camera-size test JPEGs (12 MP, with EXIF) for the benchmarks, made once and cached."""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
from PIL import Image

from photofinder_testing.camera_exif import exif_block, preview_jpeg

CACHE = Path(os.environ.get("PHOTOFINDER_BENCH_CACHE",
                            Path(__file__).resolve().parents[1] / ".cache" / "bench"))
CAMERA_SIZE = (4000, 3000)


def camera_photo(seed: int, size: tuple[int, int] = CAMERA_SIZE) -> Image.Image:
    """Smooth colour fields plus sensor-like noise: decodes like a real photo, not like a flat one."""
    rng = np.random.default_rng(seed)
    coarse = Image.fromarray(rng.integers(0, 255, (6, 8, 3), dtype=np.uint8)).resize(size, Image.BICUBIC)
    pixels = np.asarray(coarse, dtype=np.int16)
    pixels += rng.normal(0, 12, (size[1], size[0], 1)).astype(np.int16)
    return Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8))


def camera_exif(seed: int, picture: Image.Image) -> bytes:
    """Model, orientation, date taken and a 160x120 preview, as most cameras write them."""
    return exif_block("Benchmark Camera", 1, f"2024:05:{1 + seed % 28:02d} 12:00:00",
                      preview_jpeg(picture))


def camera_photos(count: int, folder: Path | None = None,
                  size: tuple[int, int] = CAMERA_SIZE, workers: int = 1) -> list[Path]:
    """``count`` JPEGs of ``size`` (12 MP by default, quality 90), generated on first use
    into the cache folder, by ``workers`` threads."""
    folder = folder or CACHE / "camera-12mp-with-preview"
    folder.mkdir(parents=True, exist_ok=True)

    def made(i: int) -> Path:
        path = folder / f"IMG_{i:04d}.jpg"
        if not path.exists():
            tmp = path.with_suffix(f".{i}.tmp")
            picture = camera_photo(i, size)
            picture.save(tmp, "JPEG", quality=90, exif=camera_exif(i, picture))
            os.replace(tmp, path)
        return path

    with ThreadPoolExecutor(workers) as pool:
        return list(pool.map(made, range(count)))

"""RAW photos decoded through their embedded JPEG preview, against the same pictures as
camera JPEGs (the full-decode path: libjpeg at reduced DCT scale) and against rawpy's
demosaicing, in one run.

No RAW samples ship with the project, so the files are generated
(photofinder_testing.raw_files): 12 MP DNGs (16-bit RGGB mosaic, 24 MB) whose IFD0
holds a JPEG preview, as cameras write them, of the picture the JPEG set holds. Rates
are decode+preprocess photos/s for the model (bench_indexing's D: the decode pool,
all cores), and end-to-end indexing photos/s (scan, fingerprint, decode, embed, store)
with --e2e.

    python benchmarks/bench_raw.py [--photos 24] [--preview 4000x3000] [--demosaic 3] [--e2e]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import rawpy

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_indexing import decode_only, end_to_end
from camera_photos import CACHE, camera_exif, camera_photo, camera_photos

from photofinder.embedder import RANDOM_WEIGHTS, Embedder, ModelSpec
from photofinder.hardware import Placement
from photofinder_testing.raw_files import write_dng


def dng_photos(count: int, preview: tuple[int, int]) -> list[Path]:
    """The camera JPEG set's pictures as DNGs with a ``preview``-sized JPEG preview."""
    folder = CACHE / f"dng-12mp-preview-{preview[0]}x{preview[1]}"
    folder.mkdir(parents=True, exist_ok=True)
    made = []
    for i in range(count):
        path = folder / f"IMG_{i:04d}.dng"
        if not path.exists():
            picture = camera_photo(i)
            tmp = path.with_suffix(".tmp")
            write_dng(tmp, picture, preview, model="Benchmark Camera",
                      exif=camera_exif(i, picture), taken=f"2024:05:{1 + i % 28:02d} 12:00:00")
            tmp.rename(path)
        made.append(path)
    return made


def demosaic_rate(photos: list[Path]) -> float:
    """rawpy's full processing (AHD demosaic, one thread per photo): what a RAW costs
    without its preview."""
    started = time.perf_counter()
    for path in photos:
        with rawpy.imread(str(path)) as raw:
            raw.postprocess()
    return len(photos) / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--photos", type=int, default=24)
    parser.add_argument("--preview", default="4000x3000", help="the DNGs' preview size")
    parser.add_argument("--demosaic", type=int, default=3, help="photos demosaiced (0: skip)")
    parser.add_argument("--e2e", action="store_true", help="also index each set end to end")
    args = parser.parse_args()
    preview = tuple(int(n) for n in args.preview.split("x"))
    jpegs = camera_photos(args.photos, workers=2)
    dngs = dng_photos(args.photos, preview)
    embedder = Embedder(ModelSpec("ViT-B-32", RANDOM_WEIGHTS), Path(tempfile.mkdtemp()),
                        Placement("cpu", "fp32", 32), backend="torch-fp32")
    embedder.load()
    workers = 2
    print(f"{args.photos} pictures 4000x3000: camera JPEGs "
          f"({sum(p.stat().st_size for p in jpegs) / len(jpegs) / 1e6:.1f} MB) and DNGs with a "
          f"{preview[0]}x{preview[1]} preview ({dngs[0].stat().st_size / 1e6:.1f} MB)")
    jpeg_rate = decode_only(embedder, jpegs, workers)
    raw_rate = decode_only(embedder, dngs, workers)
    print(f"decode+preprocess, {workers} workers: JPEG {jpeg_rate:.1f} photos/s, "
          f"RAW via preview {raw_rate:.1f} photos/s: ratio {raw_rate / jpeg_rate:.2f}")
    if args.demosaic:
        demosaic = demosaic_rate(dngs[:args.demosaic])
        print(f"rawpy demosaic (postprocess), 1 thread: {demosaic:.2f} photos/s; "
              f"preview path / demosaic {raw_rate / demosaic:.0f}x (per core "
              f"{raw_rate / workers / demosaic:.0f}x)")
    if args.e2e:
        jpeg_e2e, raw_e2e = end_to_end(embedder, jpegs), end_to_end(embedder, dngs)
        print(f"end to end ({embedder.info.backend}): JPEG {jpeg_e2e:.1f} photos/s, RAW "
              f"{raw_e2e:.1f} photos/s: ratio {raw_e2e / jpeg_e2e:.2f}")


if __name__ == "__main__":
    main()

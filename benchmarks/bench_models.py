"""Indexing speed of the models the settings list, measured here against ViT-B-32 in the
same run: photos/s through each image tower, fp32 on the CPU, random weights (the cost
does not depend on them). The ratios go into photofinder/model_catalog.py.

    python benchmarks/bench_models.py [--batch 8] [--batches 2]
"""

from __future__ import annotations

import argparse
import time

import open_clip
import torch

from photofinder.model_catalog import KNOWN_MODELS


def photos_per_second(arch: str, batch: int, batches: int) -> float:
    model = open_clip.create_model(arch).eval()
    size = model.visual.image_size
    size = size[0] if isinstance(size, (tuple, list)) else size
    images = torch.randn(batch, 3, size, size)
    with torch.inference_mode():
        model.encode_image(images)  # warm-up
        started = time.perf_counter()
        for _ in range(batches):
            model.encode_image(images)
    return batch * batches / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--batches", type=int, default=2)
    args = parser.parse_args()
    rates: dict[str, float] = {}
    for arch in dict.fromkeys(m.arch for m in KNOWN_MODELS):
        rates[arch] = photos_per_second(arch, args.batch, args.batches)
    base = rates["ViT-B-32"]
    print(f"{'model':28} {'photos/s':>9} {'vs ViT-B-32':>12}")
    for arch, rate in rates.items():
        print(f"{arch:28} {rate:9.1f} {rate / base:11.2f}x")


if __name__ == "__main__":
    main()

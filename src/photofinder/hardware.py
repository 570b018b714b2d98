"""Which device and number format to run the model in, decided at run time.

bf16 weights make CLIP several times faster than fp32 on CPUs with AVX-512-BF16
or AMX, but most laptops have neither, where bf16 is emulated and slow. So the
CPU's flags decide, the embedder checks bf16 against fp32 before trusting it,
and ``PHOTOFINDER_DEVICE`` / ``PHOTOFINDER_PRECISION`` override both.
"""

from __future__ import annotations

import importlib.util
import logging
import os
from dataclasses import dataclass
from functools import lru_cache

log = logging.getLogger("photofinder.embed")

FAST_BF16_CPU_FLAGS = ("amx_bf16", "avx512_bf16")
PRECISIONS = ("fp32", "bf16", "fp16")


@dataclass(frozen=True)
class Placement:
    """Where the model runs: a torch device name and a precision name."""

    device: str
    precision: str
    batch_size: int


@lru_cache(maxsize=1)
def cpu_flags() -> frozenset[str]:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fh:
            for line in fh:
                if line.startswith("flags"):
                    return frozenset(line.split(":", 1)[1].split())
    except OSError:
        pass
    return frozenset()


@lru_cache(maxsize=1)
def cpu_name() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fh:
            for line in fh:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    import platform

    return platform.processor() or platform.machine()


@lru_cache(maxsize=None)
def importable(module: str) -> bool:
    """Whether ``module`` is installed (found, not imported). The torch-free bundle has
    neither torch nor open_clip: a model then runs from its published ONNX export in ONNX
    Runtime, and the search index is numpy's (``exact_index``)."""
    return importlib.util.find_spec(module) is not None


def cpu_has_fast_bf16() -> bool:
    return any(flag in cpu_flags() for flag in FAST_BF16_CPU_FLAGS)


def pick_device() -> str:
    wanted = os.environ.get("PHOTOFINDER_DEVICE", "").strip().lower()
    if wanted:
        return wanted
    try:
        import torch
    except ImportError:  # the torch-free install: ONNX Runtime on the CPU
        return "cpu"
    if torch.cuda.is_available():
        return "cuda"
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        return "mps"
    return "cpu"


def pick_placement() -> Placement:
    """The preferred placement; the embedder may still fall back to fp32 after its check."""
    device = pick_device()
    wanted = os.environ.get("PHOTOFINDER_PRECISION", "").strip().lower()
    if wanted and wanted not in PRECISIONS:
        log.warning("PHOTOFINDER_PRECISION=%s is not one of %s; ignoring it", wanted, PRECISIONS)
        wanted = ""
    if device.startswith("cuda") or device == "mps":
        return Placement(device, wanted or "fp16", batch_size=128)
    precision = wanted or ("bf16" if cpu_has_fast_bf16() else "fp32")
    return Placement(device, precision, batch_size=32)

"""Giving freed memory back to the system after a big, one-off load.

glibc keeps blocks freed by Python, torch and LanceDB's worker threads in its
heaps: its mmap threshold rises after the first large free, and every thread
gets its own arena. After loading the model or reading the whole index that
left hundreds of MB resident but unused (250 MB after casting ViT-B-32's fp32
weights to bf16; ~300 MB after reading 100,000 vectors); ``malloc_trim``
returns them.
"""

from __future__ import annotations

import ctypes
import ctypes.util
from functools import lru_cache


@lru_cache(maxsize=1)
def _libc():
    name = ctypes.util.find_library("c")
    try:
        return ctypes.CDLL(name) if name else None
    except OSError:
        return None


def return_freed_memory() -> None:
    """Trim glibc's heaps; a no-op on other C libraries (macOS, Windows, musl)."""
    libc = _libc()
    if libc is not None and hasattr(libc, "malloc_trim"):
        libc.malloc_trim(0)

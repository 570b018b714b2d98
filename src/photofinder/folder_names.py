"""Library folders found by name: ``in:holidays`` and queries that name a folder.

Names match as words, whatever their case, accents, separators and plurals:
"holidays 2023", "Holiday_2023" and "Hólidays-2023" are the same folder name.
"""

from __future__ import annotations

import os
import re
import unicodedata
from typing import Iterable, Sequence

from photofinder.config import absolute_path
from photofinder.errors import NotFoundError, QueryError

# Folder names too generic to stand for a place in the library when a query says them.
GENERIC_NAMES = {("photo",), ("picture",), ("image",), ("pic",), ("img",), ("dcim",),
                 ("camera",), ("misc",), ("new", "folder"), ("download",)}
_LINKING = {"from", "in", "of", "at", "on", "during"}


def name_words(text: str) -> tuple[str, ...]:
    """Case-, accent-, separator- and plural-free words of a name or a query."""
    plain = unicodedata.normalize("NFKD", text)
    plain = "".join(c for c in plain if not unicodedata.combining(c)).casefold()
    return tuple(_singular(w) for w in re.findall(r"[^\W_]+", plain))


def _singular(word: str) -> str:
    if len(word) <= 3 or word.isdigit():
        return word
    if word.endswith("ies"):
        return word[:-3] + "y"
    if word.endswith(("ches", "shes", "xes", "sses", "zes")):
        return word[:-2]
    if word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


def folders_below_roots(indexed_folders: Iterable[str], roots: Sequence[str]) -> set[str]:
    """Every folder between a library root and a folder holding photos (roots excluded)."""
    found = set()
    for folder in indexed_folders:
        root = next((r for r in roots if folder.startswith(r.rstrip("/") + "/")), None)
        while root is not None and folder.startswith(root.rstrip("/") + "/"):
            found.add(folder)
            folder = os.path.dirname(folder)
    return found


def resolve_folder(name: str, roots: Sequence[str], folders: set[str]) -> tuple[str, ...]:
    """The library folders ``name`` means: a path (absolute, or relative to a library
    root), else every folder with that name. A path outside the library is an error."""
    if os.path.isabs(os.path.expanduser(name)):
        path = absolute_path(name)
        if not any(path == r or path.startswith(r.rstrip("/") + "/") for r in roots):
            raise QueryError(f"{path} is not in the library (its folders: {', '.join(roots)})")
        return (path,)
    below = [os.path.join(r, name) for r in roots]
    existing = tuple(absolute_path(p) for p in below if os.path.isdir(p) or absolute_path(p) in folders)
    if existing:
        return existing
    wanted = name_words(name)
    named = tuple(sorted(f for f in folders if name_words(os.path.basename(f)) == wanted))
    if not named:
        raise NotFoundError(f"no folder named “{name}” in the library")
    return named


def folders_named_in(text: str, folders: set[str]) -> tuple[tuple[str, ...], str]:
    """The folders whose name a query's text says, and the text without that name (and
    a word like "from" before it). The longest name wins; generic names never match."""
    words = text.split()
    normal = [name_words(w) for w in words]
    flat = [(i, part) for i, parts in enumerate(normal) for part in parts]
    best: tuple[int, int, tuple[str, ...]] | None = None
    by_name: dict[tuple[str, ...], list[str]] = {}
    for folder in folders:
        key = name_words(os.path.basename(folder))
        if key and key not in GENERIC_NAMES:
            by_name.setdefault(key, []).append(folder)
    for key in by_name:
        for start in range(len(flat) - len(key) + 1):
            if tuple(p for _, p in flat[start:start + len(key)]) == key:
                first, last = flat[start][0], flat[start + len(key) - 1][0]
                if best is None or len(key) > len(best[2]):
                    best = (first, last, key)
    if best is None:
        return (), text
    first, last, key = best
    if first > 0 and words[first - 1].casefold() in _LINKING:
        first -= 1
    rest = " ".join(words[:first] + words[last + 1:])
    return tuple(sorted(by_name[key])), rest

"""A one-off ``photofinder search`` answers from the mapped snapshot and the saved text
tower (no torch, open_clip or lancedb), with the hits the full path gives, filters and
+/- gates included (these alone import pyarrow.compute)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
import torch

from photofinder.library import Library
from photofinder_testing.tinymodel.shapes import write_photos

HEAVY = ("torch", "open_clip", "lancedb", "ftfy")
SEEN = (*HEAVY, "pyarrow.compute")
CLI_IN_A_NEW_PROCESS = f"""
import json, runpy, sys
sys.argv = ["photofinder", *json.loads(sys.argv[1])]
try:
    runpy.run_module("photofinder", run_name="__main__")
except SystemExit as exit:
    assert not exit.code, exit.code
print(json.dumps([m for m in {SEEN!r} if m in sys.modules]), file=sys.stderr)
"""
QUERIES = [  # (CLI words, whether filters or gates need pyarrow.compute)
    (["a red circle"], False),  # below the relevance cut-off: left out
    (["a blue square", "--all"], False),
    (["circle -red", "--all", "-k", "40"], True),  # gates: red circles dropped
    (["square +green", "--all", "-k", "40"], True),
    (["2:red +large square"], True),
    (["square in garden"], True),  # scoped to the folder the text names
    (["a red circle", "--no-auto-folder", "--all", "-k", "40"], False),
    (["circle", "--type", "png", "--all"], True),
    (["blue in:beach", "--all"], True),
    (["triangle", "--after", "2020-01", "--all", "-k", "30"], True),
    (["triangle", "--before", "2020-01", "--all"], True),  # none taken before
]


@pytest.fixture
def library(tiny_model, tmp_path, monkeypatch):
    import photofinder.vector_index as vector_index

    # the window's index in float32, as the snapshot scans: scores then agree to 1e-4
    monkeypatch.setattr(vector_index, "fastest_search_dtype", lambda dimension: torch.float32)
    root = tmp_path / "photos"
    write_photos(root / "beach", 40, seed=77)
    write_photos(root / "garden", 30, seed=78, fmt="png")
    library = Library()
    library.add_folder(root)
    library.index()  # reads the table into memory and saves the snapshot
    assert library.store.has_vectors_in_memory
    return library


def cli_search(words: list[str]) -> tuple[list[dict], list[str]]:
    done = subprocess.run([sys.executable, "-c", CLI_IN_A_NEW_PROCESS,
                           json.dumps(["search", *words, "--json"])],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout), json.loads(done.stderr.strip().splitlines()[-1])


def test_a_new_process_finds_what_the_full_path_finds(library):
    from photofinder.cli import build_parser, cmd_search

    expected = []
    library.search = _recording(library.search, expected)
    for words, filtered in QUERIES:
        cmd_search(library, build_parser().parse_args(["search", *words, "--json"]))  # full path
        truth = expected[-1].hits
        hits, imported = cli_search(words)
        assert [h["path"] for h in hits] == [h.photo.path for h in truth], words
        assert max((abs(h["score"] - t.score) for h, t in zip(hits, truth)), default=0) < 1e-4, words
        assert imported == (["pyarrow.compute"] if filtered else []), (words, imported)
    assert expected[0].weaker and expected[1].weaker == 0  # the cut-off was tried both ways
    assert sum(len(r.hits) for r in expected) > 60  # and most queries found photos


def _recording(search, results: list):
    def recorded(*args, **kwargs):
        results.append(search(*args, **kwargs))
        return results[-1]
    return recorded

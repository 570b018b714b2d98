"""The command line as a script uses it: real subprocesses, JSON out, exit codes."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from photofinder_testing.tinymodel.shapes import write_photos


def photofinder(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    result = subprocess.run([sys.executable, "-m", "photofinder", *args],
                            capture_output=True, text=True, timeout=300)
    if check:
        assert result.returncode == 0, result.stderr[-2000:]
    return result


@pytest.fixture(scope="module")
def shapes(tmp_path_factory):
    folder = tmp_path_factory.mktemp("cli-shapes")
    return folder, write_photos(folder, 80, seed=77)


def test_index_search_similar_status_forget(tiny_model, shapes):
    folder, photos = shapes
    truth = {str(p): s for p, s in photos}
    summary = json.loads(photofinder("index", str(folder), "--json").stdout)
    assert summary["added"] == 80 and summary["photos"] == 80

    hits = json.loads(photofinder("search", "a", "red", "circle", "-k", "3", "--all", "--json").stdout)
    assert len(hits) == 3 and {"path", "score", "width", "height", "taken_at"} <= set(hits[0])
    assert truth[hits[0]["path"]].colour == "red"

    query = hits[0]["path"]
    similar = json.loads(photofinder("similar", query, "-k", "5", "--all", "--json").stdout)
    assert len(similar) == 5 and query not in [h["path"] for h in similar]

    status = json.loads(photofinder("status", "--json").stdout)
    assert status["photos"] == 80 and status["folders"] == [str(folder)]
    assert status["model"].startswith("pf-tiny-shapes/file-")
    assert status["device"] == "cpu" and status["precision"] in ("fp32", "bf16")
    assert status["backend"] == f"torch-{status['precision']}"  # conftest: PHOTOFINDER_BACKEND=torch

    human = photofinder("search", "blue square", "-k", "2", "--all").stdout.splitlines()
    assert len(human) == 2 and human[0].split()[1] in truth

    forgot = json.loads(photofinder("forget", str(photos[0][0]), "--json").stdout)
    assert forgot == {"removed": 1}
    assert json.loads(photofinder("status", "--json").stdout)["photos"] == 79


def test_failures_exit_non_zero_with_one_line(tiny_model, tmp_path):
    missing = photofinder("--weights", str(tmp_path / "nope.pt"), "search", "cat", check=False)
    assert missing.returncode == 1
    assert missing.stderr.strip().count("\n") == 0 and "weights file not found" in missing.stderr

    junk = tmp_path / "junk.pt"
    junk.write_bytes(b"definitely not a state dict")
    bad = photofinder("--weights", str(junk), "index", str(tmp_path), check=False)
    assert bad.returncode == 1 and "cannot load" in bad.stderr

    not_folder = photofinder("index", str(tmp_path / "absent"), check=False)
    assert not_folder.returncode == 3 and "not a folder" in not_folder.stderr


def test_shared_photos_end_to_end(tiny_model, shared_photos):
    summary = json.loads(photofinder("index", str(shared_photos), "--json").stdout)
    assert summary["photos"] == len(list(shared_photos.glob("*.jpg")))
    hits = json.loads(photofinder("search", "a dog", "--all", "--json").stdout)
    assert len(hits) == 20
    similar = json.loads(photofinder("similar", hits[0]["path"], "--all", "--json").stdout)
    assert len(similar) == 20


def test_search_json_fields_cut_off_and_exit_codes(tiny_model, shapes, tmp_path):
    folder, photos = shapes
    empty = photofinder("search", "a red circle", "--json")
    assert json.loads(empty.stdout) == [] and "nothing indexed yet" in empty.stderr
    photofinder("index", str(folder))
    hits = json.loads(photofinder("search", "-k", "40", "--json", "--", "circle -red").stdout)
    assert hits and {"id", "path", "folder", "score", "distance", "query_id"} <= set(hits[0])
    assert hits[0]["folder"] == str(folder) and len(hits[0]["id"]) == 16
    every = json.loads(photofinder("search", "circle -red", "-k", "40", "--all", "--json").stdout)
    assert len(every) == 40 > len(hits)
    nonsense = photofinder("search", "xqzv invoice spreadsheet", "-k", "40")
    assert "weaker matches hidden (--all shows them)" in nonsense.stderr

    for args, code in ((("search", "cat", "-k", "0"), 2), (("search", "cat", "-k", "1001"), 2),
                       (("search", "cat after:2023-13"), 2), (("search", "cat", "--bogus"), 2),
                       (("similar", str(tmp_path / "absent.jpg")), 3),
                       (("search", "cat", "--folder", str(tmp_path)), 2),
                       (("search", "cat in:nowhere"), 3)):
        failed = photofinder(*args, "--json", check=False)
        assert failed.returncode == code, (args, failed.stdout, failed.stderr)
        error = json.loads(failed.stdout)["error"]
        assert error["exit_code"] == code and error["message"] in failed.stderr
        assert failed.stderr.strip().count("\n") == 0


def bad_photo(folder):
    """A file that is not a photo, old enough not to look like one still being copied."""
    bad = folder / "bad.jpg"
    bad.write_bytes(b"not a jpeg")
    os.utime(bad, (time.time() - 3600,) * 2)
    return bad


def test_index_names_each_skipped_file_once_and_status_uses_human_units(tiny_model, tmp_path):
    write_photos(tmp_path, 2, seed=5)
    bad_photo(tmp_path)
    index = photofinder("index", str(tmp_path))
    assert index.stderr.count("bad.jpg") == 1, index.stderr
    assert "1 skipped" in index.stdout
    size = re.search(r"^index size: (.*) in ", photofinder("status").stdout, re.M).group(1)
    assert re.fullmatch(r"\d+ bytes|\d+\.\d (KB|MB|GB)", size) and size != "0.0 MB", size


def test_watch_prints_changes_and_names_a_bad_file_once(tiny_model, tmp_path):
    folder = tmp_path / "lib"
    write_photos(folder, 1, seed=6)
    bad_photo(folder)
    staged = write_photos(tmp_path / "staging", 2, seed=7)
    watch = subprocess.Popen([sys.executable, "-m", "photofinder", "watch", str(folder)],
                             stderr=subprocess.PIPE, text=True)
    lines = []
    deadline = threading.Timer(240, watch.kill)  # a watch that never says it ends the reads
    deadline.start()

    def read_until(text: str) -> None:
        while True:
            line = watch.stderr.readline()
            assert line, f"watch ended before saying {text!r}: {lines}"
            lines.append(line)
            if text in line:
                return

    try:
        read_until("watching")
        for i, (photo, _) in enumerate(staged):  # each change rescans the bad file's folder
            os.replace(photo, folder / f"moved-in-{i}.jpg")
            read_until(" added, ")
    finally:
        deadline.cancel()
        watch.terminate()
        watch.wait(timeout=30)
    text = "".join(lines)
    assert text.count("bad.jpg") == 1, text
    assert "WARNING" not in text and text.count(" 1 added, 0 updated, 0 removed") == 2, text


def test_similar_each_and_feedback(tiny_model, shapes):
    folder, photos = shapes
    photofinder("index", str(folder))
    a, b = str(photos[0][0]), str(photos[1][0])
    each = json.loads(photofinder("similar", a, b, "--each", "-k", "5", "--all", "--json").stdout)
    assert len(each) == 2 and [len(hits) for hits in each] == [5, 5]
    assert a not in [h["path"] for h in each[0]] and b not in [h["path"] for h in each[1]]

    hits = json.loads(photofinder("search", "a red circle", "-k", "3", "--all", "--json").stdout)
    query_id, photo = hits[0]["query_id"], hits[1]["id"]
    rated = json.loads(photofinder("feedback", query_id, photo, "--rating", "8", "--json").stdout)
    assert rated == {"query_id": query_id, "path": hits[1]["path"], "rating": 8}
    for args, code in (((query_id, photo, "--rating", "0"), 2),
                       (("0000000000000000", photo, "--rating", "8"), 3),
                       ((query_id, "/no/such.jpg", "--rating", "8"), 3)):
        failed = photofinder("feedback", *args, check=False)
        assert failed.returncode == code, failed.stderr


def test_sort_orders_the_same_results_by_date_or_name(tiny_model, shapes):
    folder, _photos = shapes
    photofinder("index", str(folder))
    ask = ("search", "a circle", "-k", "30", "--all", "--json")
    ranked = json.loads(photofinder(*ask).stdout)
    by_name = json.loads(photofinder(*ask, "--sort", "name").stdout)
    by_date = json.loads(photofinder(*ask, "--sort", "date").stdout)
    assert [h["score"] for h in ranked] == sorted((h["score"] for h in ranked), reverse=True)
    assert sorted(h["path"] for h in by_name) == sorted(h["path"] for h in ranked)
    names = [Path(h["path"]).name.casefold() for h in by_name]
    assert names == sorted(names) and names != [Path(h["path"]).name.casefold() for h in ranked]
    taken = [h["taken_at"] for h in by_date]
    assert taken == sorted(taken, reverse=True) and len(by_date) == 30
    wrong = photofinder(*ask, "--sort", "size", check=False)
    assert wrong.returncode == 2 and "invalid choice" in wrong.stderr


def test_without_pyside6_the_window_says_so_in_one_line():
    no_qt = Path(__file__).parent / "helpers" / "no_qt"  # its PySide6 fails to import
    path = [str(no_qt), *filter(None, os.environ.get("PYTHONPATH", "").split(os.pathsep))]
    window = subprocess.run([sys.executable, "-m", "photofinder"], capture_output=True, text=True,
                            timeout=120, env={**os.environ, "PYTHONPATH": os.pathsep.join(path)})
    assert window.returncode == 1 and window.stderr.count("\n") == 1, window.stderr
    assert "the window needs PySide6" in window.stderr


def test_offline_index_lists_the_photos_without_the_model(tmp_path, monkeypatch):
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    monkeypatch.setenv("PHOTOFINDER_DOWNLOAD_BASE", f"http://127.0.0.1:{port}")  # nobody there
    monkeypatch.setenv("no_proxy", "*")
    write_photos(tmp_path / "photos", 6, seed=8)
    index = photofinder("index", str(tmp_path / "photos"), "--json", check=False)
    assert index.returncode == 1
    assert "no internet connection" in index.stderr and "listing the photos" in index.stderr
    assert index.stderr.count("\n") == 1, index.stderr
    summary = json.loads(index.stdout)
    assert summary["added"] == 6 and summary["without_vectors"] == 6
    assert "(6 waiting for the model)" in photofinder("status").stdout


def test_camera_and_place_filters_as_options_and_in_the_text(tiny_model, tmp_path):
    from helpers.geotagged import write_geotagged

    kinds = write_geotagged(tmp_path / "trips", per_kind=4)
    assert json.loads(photofinder("index", str(tmp_path / "trips"), "--json").stdout)["added"] == 16

    def paths(*args, text="a shape"):
        hits = json.loads(photofinder("search", text, "-k", "50", "--all", "--json", *args).stdout)
        return {h["path"] for h in hits}, hits

    pixels, hits = paths("--camera", "PIXEL")
    assert pixels == kinds.pixels
    assert {h["camera"] for h in hits} == {"Google Pixel 7", "Google Pixel 6a"}
    near_paris, hits = paths("--near", "paris~10km")
    assert near_paris == set(kinds.paris) and all(h["location"][0] > 48 for h in hits)
    assert paths("--has-location")[0] == set(kinds.paris) | set(kinds.new_york)
    assert paths("--camera", "nikon", text='a shape near:"new york"')[0] == set(kinds.new_york)
    failed = photofinder("search", "a shape", "--near", "xqzvburg", "--json", check=False)
    assert failed.returncode == 2 and "no city called “xqzvburg”" in failed.stderr
    assert json.loads(failed.stdout)["error"]["exit_code"] == 2

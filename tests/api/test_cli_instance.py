"""`photofinder serve` as a user starts it, and the CLI handing its work to it."""

from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import sys
import time

import pytest
import requests

from photofinder.api.server import NOTE_FILE
from photofinder_testing.tinymodel.shapes import write_photos


def photofinder(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "photofinder", *args], capture_output=True,
                          text=True, timeout=300)


def _wait_for_note(home, server) -> dict:
    note = home / NOTE_FILE
    deadline = time.monotonic() + 180
    while not note.exists():
        assert server.poll() is None, server.stderr.read()
        assert time.monotonic() < deadline, "serve did not start"
        time.sleep(0.2)
    return json.loads(note.read_text())


@pytest.mark.slow
def test_serve_and_the_cli_through_it(tiny_model, private_home, tmp_path):
    first, second = tmp_path / "first", tmp_path / "second"
    write_photos(first, 30, seed=5)
    write_photos(second, 30, seed=6)
    assert photofinder("index", str(first), "--json").returncode == 0

    server = subprocess.Popen([sys.executable, "-m", "photofinder", "serve", "--port", "0"],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        note = _wait_for_note(private_home, server)
        assert note["pid"] == server.pid and note["url"].startswith("http://127.0.0.1:")
        assert stat.S_IMODE((private_home / NOTE_FILE).stat().st_mode) == 0o600
        token = photofinder("api-token").stdout.strip()
        assert len(token) >= 43
        assert stat.S_IMODE((private_home / "api-token").stat().st_mode) == 0o600
        status = requests.get(note["url"] + "/api/status", timeout=60,
                              headers={"Authorization": f"Bearer {token}"}).json()
        assert status["photos"] == 30

        indexed = photofinder("-v", "index", str(second), "--json")  # handed to serve
        assert indexed.returncode == 0, indexed.stderr
        assert "asking the running photofinder" in indexed.stderr
        assert json.loads(indexed.stdout)["photos"] == 60
        assert sorted(status["folders"] + [str(second)]) == sorted(
            requests.get(note["url"] + "/api/status", timeout=60,
                         headers={"Authorization": f"Bearer {token}"}).json()["folders"])

        found = photofinder("-v", "search", "circle", "-k", "60", "--all", "--json")
        assert found.returncode == 0 and "asking the running photofinder" in found.stderr
        paths = [hit["path"] for hit in json.loads(found.stdout)]
        assert len(paths) == 60 and any(p.startswith(str(second)) for p in paths)

        for options in (("--camera", "pixel"), ("--near", "paris~5km"), ("--has-location",)):
            filtered = photofinder("-v", "search", "circle", "-k", "60", "--all", "--json", *options)
            assert "asking the running photofinder" in filtered.stderr  # no shape has EXIF:
            assert json.loads(filtered.stdout) == [], options  # the filter went along
        nowhere = photofinder("search", "circle", "--near", "xqzvburg", "--json")
        assert nowhere.returncode == 2 and "no city called" in nowhere.stderr

        query = str(sorted(second.glob("*.jpg"))[0])
        similar = photofinder("-v", "similar", query, "-k", "3", "--json")
        assert similar.returncode == 0, similar.stderr
        hits = json.loads(similar.stdout)
        assert len(hits) == 3 and query not in [h["path"] for h in hits]

        missing = photofinder("similar", str(tmp_path / "absent.jpg"), "--json")
        assert missing.returncode in (2, 3) and missing.stderr.count("\n") == 1
    finally:
        server.send_signal(signal.SIGKILL)  # a crash: the note stays behind, stale
        server.communicate(timeout=60)
    assert (private_home / NOTE_FILE).exists()
    alone = photofinder("-v", "search", "circle", "--json")
    assert alone.returncode == 0 and "asking the running photofinder" not in alone.stderr


def test_serve_refuses_a_taken_port_in_one_line(tiny_model):
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        result = photofinder("serve", "--port", str(port))
    assert result.returncode != 0
    assert result.stderr.strip().count("\n") == 0 and f"cannot listen on 127.0.0.1:{port}" in result.stderr
    assert os.environ.get("PHOTOFINDER_HOME")


def test_a_non_loopback_bind_warns_and_loopback_is_the_default(caplog):
    import inspect

    from photofinder.api.server import ApiServer
    from photofinder.library import Library

    assert inspect.signature(ApiServer).parameters["host"].default == "127.0.0.1"
    quiet = ApiServer(Library(), port=0)
    quiet.socket.close()
    assert not [r for r in caplog.records if r.levelname == "WARNING"]
    everywhere = ApiServer(Library(), host="0.0.0.0", port=0)
    everywhere.socket.close()
    assert any("other computers on the network can reach it" in r.getMessage() for r in caplog.records)
    assert everywhere.url.startswith("http://127.0.0.1:")  # the CLI connects via loopback

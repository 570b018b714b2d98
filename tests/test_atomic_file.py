"""One helper replaces small files whole, from many threads at once."""

import json
import stat
import threading

import pytest

from photofinder.atomic_file import write_atomically, write_json_atomically


def test_threads_saving_at_once_each_leave_a_whole_file_and_no_temporary_files(tmp_path):
    target = tmp_path / "cache.json"
    errors = []

    def save(n):
        try:
            for i in range(50):
                write_json_atomically(target, {"writer": n, "i": i, "pad": "x" * (1000 * n)})
        except OSError as exc:  # a rename of a temporary file another thread renamed first
            errors.append(exc)

    threads = [threading.Thread(target=save, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    saved = json.loads(target.read_text())
    assert saved["pad"] == "x" * (1000 * saved["writer"])
    assert [p.name for p in tmp_path.iterdir()] == ["cache.json"]


def test_a_failed_write_keeps_the_old_contents_and_cleans_up(tmp_path):
    target = tmp_path / "settings.json"
    write_atomically(target, b"old")

    with pytest.raises(TypeError):
        write_atomically(target, "not bytes")  # fails after the temporary file is open
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["settings.json"]


def test_a_private_file_is_never_readable_by_others(tmp_path):
    note = tmp_path / "sub" / "note.json"
    write_json_atomically(note, {"token": "secret"}, mode=0o600)
    assert stat.S_IMODE(note.stat().st_mode) == 0o600
    assert json.loads(note.read_text()) == {"token": "secret"}

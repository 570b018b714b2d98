"""A first run that never dead-ends: without the model the library is listed and browsable;
the model dialog downloads (with speed, time left, pause and resume) from a Hub-like
server on 127.0.0.1, or explains what to get when offline and checks a chosen file;
a failure never pops up again while the user types."""

from __future__ import annotations

import json
import socket

import pytest
from PySide6.QtWidgets import QFileDialog

from helpers.hub_server import running_hub
from photofinder.ui.index_controller import IndexState
from photofinder.ui.photo_model import PhotoRole
from photofinder_testing.tinymodel import MODEL_NAME, register_config
from photofinder_testing.tinymodel.shapes import write_photos

PAGE = "https://huggingface.co/laion/CLIP-ViT-B-32-laion2B-s34B-b79K"


@pytest.fixture
def offline(monkeypatch):
    """Downloads go to a port where nothing listens, as with no internet."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    monkeypatch.setenv("PHOTOFINDER_DOWNLOAD_BASE", f"http://127.0.0.1:{port}")
    monkeypatch.setenv("no_proxy", "*")


def listed(window) -> list:
    model = window.library_ctl.model
    return [model.index(row, 0).data(PhotoRole) for row in range(model.rowCount())]


def wait_listed(qtbot, window, count: int) -> None:
    qtbot.waitUntil(lambda: window.indexer.state == IndexState.IDLE
                    and not window.library_ctl.reading and len(listed(window)) == count,
                    timeout=120_000)


def test_offline_the_library_is_browsable_and_the_failure_never_pops_up_again(
        qtbot, make_window, offline, tmp_path):
    photos = write_photos(tmp_path / "photos", 12, seed=21)
    window = make_window()
    opened = []
    window.download_ui.opened.connect(lambda: opened.append(True))
    window.add_folder(str(tmp_path / "photos"))
    wait_listed(qtbot, window, len(photos))
    shown = listed(window)
    assert [p.taken_at for p in shown] == sorted((p.taken_at for p in shown), reverse=True)
    assert window.library.status()["photos_without_vectors"] == len(photos)

    dialog = window.download_ui.dialog
    assert dialog.isVisible() and opened == [True]
    assert "no internet connection" in dialog.detail.text()
    assert "<b>open_clip_model.safetensors</b>" in dialog.detail.text()
    assert PAGE in dialog.detail.text() and dialog.choose_button.isVisible()
    dialog.close()

    loads = []
    window.loader.loading.connect(lambda: loads.append(True))
    for text in ("d", "do", "dog"):
        window.search_box.setText(text)
        window.search.set_text(text)
        window.search.search_now()
    assert loads == [] and opened == [True] and not dialog.isVisible()
    assert window.content.notice.text.startswith("Search waits for the model. cannot download")
    assert window.content.notice.action.isVisible()
    window.content.notice.action.click()  # "Get the search model…" brings the dialog back
    assert dialog.isVisible() and opened == [True, True]
    dialog.close()


def test_the_download_shows_size_speed_and_time_left_and_pauses_and_resumes(
        qtbot, make_window, monkeypatch):
    with running_hub() as hub:
        hub.seconds_per_chunk = 0.15  # 3 MB in about 4.5 s
        monkeypatch.setenv("PHOTOFINDER_DOWNLOAD_BASE", hub.base)
        monkeypatch.setenv("no_proxy", "*")
        window = make_window()
        window.search.set_text("dog")
        window.search.search_now()
        qtbot.waitUntil(lambda: window.download_ui.dialog is not None
                        and "left" in window.download_ui.dialog.detail.text(), timeout=30_000)
        dialog = window.download_ui.dialog
        assert dialog.model_label.text() == "ViT-B/32 LAION-2B (recommended) (605 MB)"
        assert "of 3 MB" in dialog.detail.text() and "MB/s" in dialog.detail.text()
        assert window.content.notice.text.startswith("Search starts as soon as the model")

        with qtbot.waitSignal(window.loader.failed, timeout=10_000):
            dialog.pause_button.click()
        assert dialog.heading.text() == "The download is paused"
        assert dialog.pause_button.text() == "Resume" and not dialog.choose_button.isVisible()
        assert window.content.notice.text == "Search waits for the model: its download is paused."
        folder = window.library.paths.models / "ViT-B-32" / "laion2b_s34b_b79k"
        kept = (folder / "open_clip_model.safetensors.part").stat().st_size
        assert kept > 0
        asked = len(hub.requests)

        hub.seconds_per_chunk = 0.0
        with qtbot.waitSignal(window.loader.failed, timeout=120_000):
            dialog.pause_button.click()  # Resume: the file completes, but it is no model
    assert hub.requests[asked][1] == f"bytes={kept}-"  # carried on where it stopped
    assert "cannot load ViT-B-32 weights" in dialog.detail.text()
    assert dialog.retry_button.isVisible()
    dialog.close()


def test_offline_a_chosen_weights_file_is_checked_then_indexes_the_listed_photos(
        qtbot, make_window, offline, tiny_weights, tmp_path, monkeypatch, private_home):
    from open_clip import pretrained

    register_config()  # the tiny model, listed as if the Hub had pretrained weights for it
    monkeypatch.setitem(pretrained._PRETRAINED, MODEL_NAME,
                        {"shapes": pretrained._pcfg(hf_hub="photofinder/tiny-shapes/")})
    (private_home / "settings.json").write_text(json.dumps({"model": MODEL_NAME,
                                                            "pretrained": "shapes"}))
    photos = write_photos(tmp_path / "photos", 12, seed=22)
    window = make_window()
    window.add_folder(str(tmp_path / "photos"))
    wait_listed(qtbot, window, len(photos))
    dialog = window.download_ui.dialog
    assert dialog.isVisible() and dialog.choose_button.isVisible()

    wrong = tmp_path / "not-a-model.bin"
    wrong.write_bytes(b"no state dict in here")
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *args, **kw: (str(wrong), ""))
    with qtbot.waitSignal(window.loader.failed, timeout=60_000):
        dialog.choose_button.click()
    assert f"cannot load {MODEL_NAME} weights" in dialog.detail.text()

    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **kw: (str(tiny_weights), ""))
    with qtbot.waitSignal(window.loader.ready, timeout=60_000):
        dialog.choose_button.click()
    assert not dialog.isVisible()
    qtbot.waitUntil(lambda: window.indexer.state == IndexState.IDLE
                    and window.library.status()["photos_without_vectors"] == 0, timeout=120_000)
    with qtbot.waitSignal(window.search.results, timeout=30_000) as found:
        window.search.set_text("a red circle")
        window.search.search_now()
    assert found.args[0].hits

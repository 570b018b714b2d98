"""Choosing another model in Settings re-embeds the library in the background; search keeps
the old vectors until the new ones are complete, then switches."""

from __future__ import annotations

import threading

import pytest
from PySide6.QtWidgets import QMessageBox

from photofinder.config import Settings
from photofinder.ui.crash import ErrorDialog
from photofinder.ui.index_controller import IndexState
from photofinder.ui.settings_dialog import SettingsDialog


@pytest.fixture
def other_weights(tiny_weights, tmp_path):
    """The tiny model with slightly different weights: another model id, same architecture."""
    import torch

    other = tmp_path / "retrained.pt"
    state = torch.load(tiny_weights, weights_only=True)
    torch.save({k: v * 1.01 if v.is_floating_point() else v for k, v in state.items()}, other)
    return other


@pytest.fixture
def held_switch(monkeypatch):
    """Makes the window's model switch stop at its first progress report until released."""
    release, held = threading.Event(), threading.Event()

    def hold(window):
        switch = window.library.switch_model

        def held_switch_model(spec, progress=None, cancel=None):
            def report(step):
                progress(step)
                if not release.is_set():
                    held.set()
                    release.wait(30)
            return switch(spec, progress=report, cancel=cancel)

        monkeypatch.setattr(window.library, "switch_model", held_switch_model)
        return held, release

    yield hold
    release.set()


def choose_weights(window, weights) -> None:
    window.open_settings()
    dialog = window.findChild(SettingsDialog)
    assert dialog.weights.text() == window.library.embedder.spec.weights  # the model in use
    dialog.weights.setText(str(weights))
    dialog.accept()


def search(qtbot, window, text: str) -> list:
    window.search_box.setText(text)
    window.search.set_text(text)
    window.search.search_now()
    qtbot.waitUntil(lambda: window.results_model.rowCount() > 0, timeout=30_000)
    return window.results_model.photos


def test_search_uses_the_old_model_until_the_new_one_is_complete(
        qtbot, indexed_window, other_weights, held_switch, wait_until_indexed, shape_folder):
    window = indexed_window
    library = window.library
    old_id = library.store.model_id
    held, release = held_switch(window)
    choose_weights(window, other_weights)
    qtbot.waitUntil(held.is_set, timeout=30_000)

    assert window.indexer.state == IndexState.SWITCHING
    qtbot.waitUntil(lambda: "New model: re-indexing" in window.index_status.label.text())
    assert window.index_status.isVisible()
    assert search(qtbot, window, "a red circle") and library.store.model_id == old_id
    assert Settings.load(library.paths.settings_file).weights == ""  # saved only once complete

    window.search_box.clear()
    window.search.clear()
    with qtbot.waitSignal(window.indexer.switched, timeout=60_000):
        release.set()
    assert library.store.model_id != old_id and library.store.count() == len(shape_folder[1])
    assert library.embedder.spec.weights == str(other_weights)
    assert Settings.load(library.paths.settings_file).weights == str(other_weights)
    wait_until_indexed(window, len(shape_folder[1]))  # the rescan after the switch
    assert search(qtbot, window, "a red circle")


def test_cancelled_switch_keeps_the_current_model(qtbot, indexed_window, other_weights,
                                                  held_switch):
    window = indexed_window
    old_id = window.library.store.model_id
    held, release = held_switch(window)
    choose_weights(window, other_weights)
    qtbot.waitUntil(held.is_set, timeout=30_000)
    window.index_status.cancel.click()
    release.set()
    qtbot.waitUntil(lambda: window.indexer.state == IndexState.IDLE, timeout=30_000)
    assert window.indexer.switching_to is None
    assert window.library.store.model_id == old_id
    assert "cancelled" in window.statusBar().currentMessage()
    assert search(qtbot, window, "a blue square")


def test_failed_switch_says_why_and_keeps_the_current_model(qtbot, indexed_window, tmp_path):
    window = indexed_window
    old_id = window.library.store.model_id
    choose_weights(window, tmp_path / "missing.pt")
    qtbot.waitUntil(lambda: window.findChild(QMessageBox) is not None, timeout=30_000)
    box = window.findChild(QMessageBox)
    assert "keeps using the current one" in box.text()
    assert "missing.pt" in box.informativeText()
    assert window.findChild(ErrorDialog) is None  # an expected problem, not a bug
    box.close()
    qtbot.waitUntil(lambda: window.indexer.state == IndexState.IDLE, timeout=30_000)
    assert window.library.store.model_id == old_id
    assert search(qtbot, window, "a green triangle")

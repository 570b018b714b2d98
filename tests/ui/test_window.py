"""The window with a real library: first run, indexing into the grid, type-to-search."""

from __future__ import annotations

import gc
import os
import sys
import threading
from collections import Counter

import pytest
from PySide6.QtCore import Qt

from photofinder.library import Library
from photofinder.ui.index_controller import IndexState
from photofinder.ui.photo_model import PhotoRole
from photofinder.ui.workers import BACKGROUND_NICENESS


def test_first_run_invites_a_folder(make_window):
    window = make_window()
    assert window.content.pages.currentWidget() is window.content.empty
    assert window.content.empty.button.isVisible()
    assert not window.folders.isVisible()
    assert window.windowTitle() == "photofinder"
    assert not window.windowIcon().isNull()


def test_added_folder_is_indexed_into_the_grid(qtbot, make_window, tiny_model, shape_folder,
                                               wait_until_indexed):
    folder, photos = shape_folder
    window = make_window()
    commits = []
    window.indexer.committed.connect(lambda changed, removed: commits.append(len(changed)))
    states = []
    window.indexer.state_changed.connect(states.append)
    window.add_folder(str(folder))
    wait_until_indexed(window, len(photos))
    assert sum(commits) == len(photos)  # photos reached the grid batch by batch, during the run
    assert IndexState.RUNNING in states
    model = window.library_ctl.model
    shown = {model.index(r).data(PhotoRole).path for r in range(model.rowCount())}
    assert shown == {str(p) for p, _ in photos}
    assert window.content.pages.currentWidget() is window.content.library_grid
    qtbot.waitUntil(lambda: window.folders.list.item(0).text().endswith("120 photos"))  # counted in a worker
    assert Library().folders() == [str(folder)]  # the choice persists


def test_typing_a_query_shows_matching_photos_first(qtbot, indexed_window, shape_folder):
    window = indexed_window
    truth = {str(p): s for p, s in shape_folder[1]}
    pairs = Counter((s.colour, s.shape) for s in truth.values())
    (colour, shape), count = pairs.most_common(1)[0]
    query = f"{colour} {shape}"
    with qtbot.waitSignal(window.search.results, timeout=30_000):
        qtbot.keyClicks(window.search_box, query)
    assert window.content.pages.currentWidget() is window.content.results_grid
    shown = [window.results_model.photo_at(r).path for r in range(window.results_model.rowCount())]
    expected = window.library.search_text(query, len(shown))
    assert shown == [hit.photo.path for hit in expected]  # the grid shows the ranking as it is
    matching = {p for p, s in truth.items() if (s.colour, s.shape) == (colour, shape)}
    first = shown[:count]
    assert count >= 4 and len(matching & set(first)) >= 0.8 * count, [truth[p].caption() for p in first]
    assert query in window.content.heading.text()

    qtbot.keyClick(window.search_box, Qt.Key.Key_Escape)
    assert window.content.pages.currentWidget() is window.content.library_grid
    assert window.search_box.text() == ""


def test_latest_query_wins(qtbot, indexed_window):
    window = indexed_window
    shown = []
    window.search.results.connect(lambda result: shown.append(result.query.text))
    window.search_box.setText("red circle")
    window.search.set_text("red circle")
    window.search.search_now()  # Enter: at once
    window.search_box.setText("blue square")
    window.search.set_text("blue square")
    with qtbot.waitSignal(window.search.results, timeout=30_000,
                          check_params_cb=lambda r: r.query.text == "blue square"):
        window.search.search_now()
    qtbot.wait(300)
    assert shown == ["blue square"]  # the red circle results, if they came, were dropped
    assert "blue square" in window.content.heading.text()


def test_no_match_and_model_loading_are_said_plainly(qtbot, make_window, tiny_model):
    window = make_window()
    notices = []
    window.search.status.connect(lambda text, busy: notices.append(text))
    with qtbot.waitSignal(window.search.results, timeout=30_000):
        qtbot.keyClicks(window.search_box, "cat")
        qtbot.keyClick(window.search_box, Qt.Key.Key_Return)
    assert notices[0] == "Loading the search model…"
    assert window.content.pages.currentWidget() is window.content.notice
    assert "no photos to search yet" in window.content.notice.text


def test_pause_resume_and_cancel(make_window, tiny_model, shape_folder, wait_until_indexed, qtbot):
    folder, photos = shape_folder
    window = make_window()
    window.add_folder(str(folder))
    qtbot.waitUntil(lambda: window.indexer.state == IndexState.RUNNING, timeout=30_000)
    window.index_status.pause.click()
    assert window.indexer.state == IndexState.PAUSED
    assert window.index_status.pause.text() == "Resume"
    window.index_status.pause.click()
    wait_until_indexed(window, len(photos))

    window.indexer.request()
    window.index_status.cancel.click()
    assert window.indexer.state == IndexState.IDLE
    assert not window.index_status.isVisible()


def test_search_works_while_indexing(qtbot, make_window, tiny_model, shape_folder,
                                     wait_until_indexed):
    folder, photos = shape_folder
    window = make_window()
    window.add_folder(str(folder))
    window.search_box.setText("red circle")
    window.search.set_text("red circle")
    window.search.search_now()  # before a single photo is indexed
    window.search.show_weaker()  # all of them, below the relevance cut-off too
    wait_until_indexed(window, len(photos))
    qtbot.waitUntil(lambda: window.results_model.rowCount() == len(photos), timeout=30_000)
    assert window.content.pages.currentWidget() is window.content.results_grid


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="per-thread nice values are Linux's")
def test_indexing_runs_below_the_windows_priority(qtbot, make_window, tiny_model, shape_folder,
                                                  wait_until_indexed, monkeypatch):
    """Its decode threads and torch's start from the indexing thread and inherit its value."""
    seen = []
    index = Library.index

    def recording(self, *args, **kwargs):
        seen.append(os.getpriority(os.PRIO_PROCESS, threading.get_native_id()))
        return index(self, *args, **kwargs)

    monkeypatch.setattr(Library, "index", recording)
    folder, photos = shape_folder
    window = make_window()
    window.add_folder(str(folder))
    wait_until_indexed(window, len(photos))
    assert seen and min(seen) >= BACKGROUND_NICENESS
    assert os.getpriority(os.PRIO_PROCESS, threading.get_native_id()) < BACKGROUND_NICENESS


def test_the_library_is_kept_out_of_full_collections_while_the_window_is_open(indexed_window):
    """A full collection walks every object not frozen and stops every thread meanwhile: with
    100,000 photo records in memory one took 250-400 ms."""
    model = indexed_window.library_ctl.model
    assert gc.get_freeze_count() >= model.rowCount()
    indexed_window.close()
    assert gc.get_freeze_count() == 0  # the last collections at exit see everything again


def test_a_rescan_that_finds_nothing_new_does_not_re_read_the_library(qtbot, indexed_window):
    window = indexed_window
    reads = []
    window.library_ctl.reload = lambda: reads.append(1)
    with qtbot.waitSignal(window.indexer.finished, timeout=30_000) as finished:
        window.indexer.request()
    assert finished.args[0].is_empty and reads == []


def test_the_library_listing_waits_for_search_to_be_ready(qtbot, indexed_window):
    """Both are Python-heavy: side by side on two cores they slowed each other several-fold."""
    indexed_window.close()
    from photofinder.library import Library
    from photofinder.ui.main_window import MainWindow

    window = MainWindow(Library(), indexed_window.messages)
    qtbot.addWidget(window)
    order = []
    window.loader.ready.connect(lambda: order.append("search ready"))
    window.library_ctl.loaded.connect(lambda: order.append("listing"))
    window.show()
    window.start()
    qtbot.waitUntil(lambda: len(order) == 2, timeout=30_000)
    assert order == ["search ready", "listing"]


@pytest.fixture
def release_at_once(monkeypatch):
    from photofinder.ui import index_controller

    monkeypatch.setattr(index_controller, "RELEASE_AFTER_MS", 0)


def test_the_image_model_is_released_after_indexing_and_loads_again_for_new_photos(
        qtbot, release_at_once, indexed_window, tmp_path):
    from photofinder_testing.tinymodel.shapes import write_photos

    window = indexed_window
    embedder = window.library.embedder
    qtbot.waitUntil(lambda: not embedder.is_loaded, timeout=30_000)
    more = tmp_path / "more"
    more.mkdir()
    write_photos(more, 5, seed=99)
    with qtbot.waitSignal(window.indexer.finished, timeout=60_000) as finished:
        window.add_folder(str(more))
    assert len(finished.args[0].added) == 5
    assert window.library.store.count_without_vectors() == 0  # embedded, not just listed
    hits = window.library.search_text("a red circle", 200)
    assert {str(more)} <= {h.photo.folder for h in hits}  # the new photos have vectors
    qtbot.waitUntil(lambda: not embedder.is_loaded, timeout=30_000)  # and it is freed again


def test_the_image_model_stays_while_indexing_was_idle_only_briefly(qtbot, indexed_window):
    """The default wait: a burst of small runs (a camera import) keeps the model loaded."""
    embedder = indexed_window.library.embedder
    with qtbot.waitSignal(indexed_window.indexer.finished, timeout=30_000):
        indexed_window.indexer.request()
    qtbot.wait(500)
    assert embedder.is_loaded

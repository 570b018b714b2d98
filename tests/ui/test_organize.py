"""Organizing in the window: stars and favourites by key, albums in the side panel, exclude."""

from __future__ import annotations

import os

from PySide6.QtCore import Qt

from photofinder.ui.photo_model import MarkRole


def test_keys_rate_and_favourite_the_selected_tiles_and_albums_show_them(
        qtbot, indexed_window, shape_folder):
    window = indexed_window
    grid = window.content.library_grid
    model = window.library_ctl.model
    grid.setFocus()
    grid.selectionModel().select(model.index(0), grid.selectionModel().SelectionFlag.Select)
    grid.selectionModel().select(model.index(2), grid.selectionModel().SelectionFlag.Select)
    chosen = [model.index(r).data() for r in (0, 2)]
    paths = [model.photo_at(r).path for r in (0, 2)]
    qtbot.keyClick(grid, Qt.Key.Key_4)
    qtbot.keyClick(grid, Qt.Key.Key_F)
    assert model.index(0).data(MarkRole) == (4, True) and model.index(1).data(MarkRole) == (0, False)
    qtbot.waitUntil(lambda: all(window.library.user_data.mark(p) is not None
                                and window.library.user_data.mark(p).favourite for p in paths),
                    timeout=20_000)
    assert window.library.user_data.mark(paths[1]).rating == 4

    album = window.library.user_data.create_album("Trip")
    window.albums.photos_dropped.emit(album.id, paths[:1])  # what a drop on the album does
    entries = window.albums.list
    qtbot.waitUntil(lambda: entries.count() == 3 and entries.item(2).text() == "Trip\n1 photo",
                    timeout=20_000)
    assert entries.item(0).text() == "♥ Favourites\n2 photos"
    window.organize.show_entry("favourites")
    qtbot.waitUntil(lambda: window.content.pages.currentWidget() is window.content.results_grid,
                    timeout=20_000)
    shown = {window.results_model.photo_at(r).name for r in range(window.results_model.rowCount())}
    assert shown == set(chosen)
    assert window.content.heading.text() == "♥ Favourites · 2 photos"


def test_forget_from_the_menu_leaves_the_photo_out_after_a_rescan(
        qtbot, indexed_window, shape_folder, wait_until_indexed):
    window = indexed_window
    folder, photos = shape_folder
    model = window.library_ctl.model
    photo = model.photo_at(0)
    window.organize.forget([photo.path])
    wait_until_indexed(window, len(photos) - 1)
    window.indexer.request([str(folder)])
    qtbot.waitUntil(lambda: not window.indexer.busy, timeout=30_000)
    wait_until_indexed(window, len(photos) - 1)
    assert window.library.include(photo.path)


def test_move_to_a_folder_runs_in_a_worker_and_the_grid_follows(
        qtbot, make_window, tiny_model, tmp_path, wait_until_indexed):
    from photofinder_testing.tinymodel.shapes import write_photos

    photos = [str(p) for p, _ in write_photos(tmp_path / "lib" / "in", 6, seed=8)]
    (tmp_path / "lib" / "out").mkdir()
    window = make_window()
    window.add_folder(str(tmp_path / "lib"))
    wait_until_indexed(window, 6)
    chosen = [window.library_ctl.model.photo_at(r) for r in range(3)]
    worker = window.organize.run_copy(chosen, str(tmp_path / "lib" / "out"), move=True)
    with qtbot.waitSignal(worker.returned, timeout=30_000) as finished:
        pass
    assert len(finished.args[0].done) == 3 and not finished.args[0].failed
    qtbot.waitUntil(lambda: not window.library_ctl.reading and sum(
        window.library_ctl.model.photo_at(r).folder.endswith("out")
        for r in range(window.library_ctl.model.rowCount())) == 3, timeout=30_000)
    assert len(os.listdir(tmp_path / "lib" / "in")) == len(photos) - 3


def test_the_rating_filter_narrows_the_library_and_searches(qtbot, indexed_window):
    window = indexed_window
    model = window.library_ctl.model
    rated = [model.photo_at(r) for r in (1, 5)]
    window.marks.rate(rated, 3)
    qtbot.waitUntil(lambda: window.library.user_data.mark(rated[1].path) is not None, timeout=20_000)
    window.rating_filter.setCurrentIndex(3)  # three stars and up
    qtbot.waitUntil(lambda: window.content.pages.currentWidget() is window.content.results_grid,
                    timeout=20_000)
    assert {window.results_model.photo_at(r).path for r in range(window.results_model.rowCount())} \
        == {p.path for p in rated}
    window.search_box.setText("a red circle")
    with qtbot.waitSignal(window.search.results, timeout=30_000) as searched:
        window.search.set_text("a red circle")
        window.search.search_now()
    result = searched.args[0]
    assert {h.photo.path for h in result.hits} <= {p.path for p in rated}
    assert len(result.hits) + result.found.weaker == len(rated)  # only the rated were searched


def test_the_library_has_a_header_row_per_month_and_the_heading_follows_the_scroll(
        qtbot, make_window, tmp_path, wait_until_indexed, tiny_model):
    from datetime import datetime

    from photofinder_testing.tinymodel.shapes import write_photos

    photos = [p for p, _ in write_photos(tmp_path / "lib", 30, seed=9)]
    for number, path in enumerate(photos):  # 10 photos in each of three months
        moment = datetime(2024, 3 - number // 10, 20 - number % 10).timestamp()
        os.utime(path, (moment, moment))
    window = make_window()
    window.add_folder(str(tmp_path / "lib"))
    wait_until_indexed(window, 30)
    grid = window.content.library_grid
    sections = grid.grid_layout().sections
    assert [(s.start, s.title) for s in sections] == [
        (0, "March 2024 · 10 photos"), (10, "February 2024 · 10 photos"),
        (20, "January 2024 · 10 photos")]
    assert grid.grid_layout().header > 0
    assert window.content.heading.text() == "All photos · 30, newest first · March 2024"
    assert window.results_model.sections() == []  # results are by relevance
    window.content.library_grid.scrollToBottom()
    qtbot.waitUntil(lambda: window.content.heading.text().endswith("January 2024")
                    or window.content.heading.text().endswith("February 2024"))


def test_tiles_dragged_from_the_grid_onto_an_album_join_it(tiny_model, shape_folder):
    """A real drag, with the window system's mouse events: pressed on a selected tile,
    moved past the drag distance (Qt starts a QDrag), moved over the album in the side
    panel and released there. The offscreen platform has no drag and drop, so the window
    runs in a subprocess on the minimal platform."""
    import subprocess
    import sys
    from pathlib import Path

    from photofinder import organizing
    from photofinder.library import Library

    folder, _photos = shape_folder
    library = Library()
    library.add_folder(folder)
    library.index()
    album = library.user_data.create_album("Trip")
    helper = [sys.executable, str(Path(__file__).parents[1] / "helpers" / "drag_onto_album.py")]
    done = subprocess.run(helper, env=dict(os.environ, QT_QPA_PLATFORM="minimal"),
                          capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stdout + done.stderr
    dragged = done.stdout.split()
    assert len(dragged) == 2
    assert organizing.album_paths(Library(), album.id) == set(dragged)

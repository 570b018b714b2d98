"""The window's search beyond the grid: weaker matches, chips, thumbs, folder scope."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QPointF, Qt
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import QApplication

from photofinder_testing.tinymodel.shapes import write_photos


def search(qtbot, window, text: str):
    window.search_box.setText(text)
    with qtbot.waitSignal(window.search.results, timeout=30_000) as blocker:
        window.search.set_text(text)
        window.search.search_now()
    return blocker.args[0]


def shown(window) -> list[str]:
    return [window.results_model.photo_at(r).path for r in range(window.results_model.rowCount())]


def test_only_real_matches_show_and_weaker_ones_are_one_click_away(qtbot, indexed_window):
    window = indexed_window
    result = search(qtbot, window, "a red circle")
    assert 0 < len(shown(window)) < 30 and result.found.weaker > 0
    link = window.content.weaker_link
    assert link.isVisible() and f"Show {result.found.weaker} weaker matches" in link.text()
    with qtbot.waitSignal(window.search.results, timeout=30_000):
        link.linkActivated.emit("#")
    assert len(shown(window)) == 120 and not window.content.weaker_link.isVisible()

    search(qtbot, window, "xqzv invoice spreadsheet")
    assert window.content.pages.currentWidget() is window.content.notice
    assert window.content.weaker_link.isVisible()


def test_compound_queries_show_removable_chips(qtbot, indexed_window):
    window = indexed_window
    search(qtbot, window, "circle -red")
    chips = window.content.part_chips
    assert chips.isVisible() and chips.keys() == ["text:circle", "text:-red"]
    with qtbot.waitSignal(window.search.results, timeout=30_000):
        chips.remove("text:-red")
    assert window.search_box.text() == "circle" and not chips.isVisible()

    search(qtbot, window, "a circle type:jpg")
    assert window.content.part_chips.keys() == ["text:a circle", "text:type:jpg"]
    search(qtbot, window, "a red circle")
    assert not window.content.part_chips.isVisible()  # one description: the box says it all


def test_thumbs_on_hover_and_plus_minus_rate_results(qtbot, indexed_window):
    window = indexed_window
    search(qtbot, window, "a circle")
    with qtbot.waitSignal(window.search.results, timeout=30_000) as blocker:
        window.search.show_weaker()
    result = blocker.args[0]
    grid = window.content.results_grid
    rating = window.search_view.rating
    tile = grid.visualRect(grid.model().index(1, 0))
    hover = QMouseEvent(QEvent.Type.MouseMove, QPointF(tile.center()),
                        QPointF(grid.viewport().mapToGlobal(tile.center())),
                        Qt.MouseButton.NoButton, Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(grid.viewport(), hover)  # the mouse over a tile
    assert rating.thumbs.isVisible() and tile.contains(rating.thumbs.geometry())
    with qtbot.waitSignal(window.search.results, timeout=30_000):
        qtbot.mouseClick(rating.good, Qt.MouseButton.LeftButton)
    rated = window.library.user_data.feedback(result.found.query_id)
    assert [(r.path, r.rating) for r in rated] == [(result.hits[1].photo.path, 10)]

    grid.setFocus()
    grid.setCurrentIndex(grid.model().index(0, 0))
    first = window.results_model.photo_at(0).path
    with qtbot.waitSignal(window.search.results, timeout=30_000):
        qtbot.keyClick(grid, Qt.Key.Key_Minus)
    rated = window.library.user_data.feedback(result.found.query_id)
    assert (first, 1) in [(r.path, r.rating) for r in rated]


def test_a_folder_clicked_in_the_side_panel_scopes_browsing_and_search(
        qtbot, make_window, tiny_model, tmp_path, wait_until_indexed):
    trips, work = tmp_path / "trips", tmp_path / "work"
    write_photos(trips, 15, seed=11)
    write_photos(work, 15, seed=12)
    window = make_window()
    window.add_folder(str(trips))
    window.add_folder(str(work))
    wait_until_indexed(window, 30)
    items = window.folders.list
    row = next(r for r in range(items.count()) if items.item(r).text().startswith("trips"))
    rect = items.visualItemRect(items.item(row))
    qtbot.mouseClick(items.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert window.search.scope == str(trips)
    assert len(shown(window)) == 15 and all(p.startswith(str(trips)) for p in shown(window))
    assert window.content.part_chips.keys() == ["scope"]

    search(qtbot, window, "a circle")
    window.search.show_weaker()
    qtbot.waitUntil(lambda: len(shown(window)) == 15)
    assert all(p.startswith(str(trips)) for p in shown(window))
    assert "scope" in window.content.part_chips.keys()
    with qtbot.waitSignal(window.search.results, timeout=30_000):
        window.content.part_chips.remove("scope")
    qtbot.waitUntil(lambda: len(shown(window)) == 30 or window.search.scope is None)
    assert window.search.scope is None

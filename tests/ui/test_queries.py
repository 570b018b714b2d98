"""Queries by image: drops, paste, the context menu, the preview."""

from __future__ import annotations

from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent, QGuiApplication, QImage
from PySide6.QtWidgets import QApplication, QMenu

from photofinder.ui.photo_model import PhotoRole
from photofinder.ui.preview import PreviewDialog


def drop(window, mime: QMimeData) -> None:
    """Deliver a drag-enter and a drop to the window, as a drag from another app would."""
    position = QPoint(window.width() // 2, window.height() // 2)
    enter = QDragEnterEvent(position, Qt.DropAction.CopyAction, mime,
                            Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(window, enter)
    assert enter.isAccepted()
    event = QDropEvent(QPointF(position), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                       Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(window, event)


def file_urls(*paths) -> QMimeData:
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
    return mime


def test_dropped_files_run_a_similar_search(qtbot, indexed_window, shape_folder):
    window = indexed_window
    queries = [str(p) for p, _ in shape_folder[1][:2]]
    with qtbot.waitSignal(window.search.results, timeout=30_000) as blocker:
        drop(window, file_urls(*queries))
    result = blocker.args[0]
    assert [i.path for i in result.query.images] == queries
    assert [c.image.path for c in window.content.chips.chips()] == queries
    with qtbot.waitSignal(window.search.results, timeout=30_000):
        window.search.show_weaker()  # two unlike shapes: few photos are like both
    shown = [window.results_model.photo_at(r).path for r in range(window.results_model.rowCount())]
    assert shown and not set(shown) & set(queries)
    scores = [window.results_model.score_at(r) for r in range(len(shown))]
    assert scores == sorted(scores, reverse=True)

    with qtbot.waitSignal(window.search.results, timeout=30_000):
        window.content.chips.chips()[0].removed.emit(window.content.chips.chips()[0].image)
    assert [c.image.path for c in window.content.chips.chips()] == queries[1:]


def test_dropped_image_data_and_pasted_images_are_queries(qtbot, indexed_window, shape_folder):
    window = indexed_window
    image = QImage(str(shape_folder[1][0][0]))
    mime = QMimeData()
    mime.setImageData(image)
    with qtbot.waitSignal(window.search.results, timeout=30_000) as blocker:
        drop(window, mime)
    assert blocker.args[0].query.images[0].data  # encoded bytes, searched by search_image_data

    QGuiApplication.clipboard().setImage(image)
    window.content.results_grid.setFocus()
    with qtbot.waitSignal(window.search.results, timeout=30_000) as blocker:
        qtbot.keyClick(window.content.results_grid, Qt.Key.Key_V, Qt.KeyboardModifier.ControlModifier)
    assert blocker.args[0].query.images[0].label == "dropped image"


def test_non_images_are_refused_plainly_and_folders_added(qtbot, make_window, tmp_path, messages):
    window = make_window()
    notes = tmp_path / "notes.txt"
    notes.write_text("hello")
    folder = tmp_path / "holiday"
    folder.mkdir()
    said = []
    messages.shown.connect(said.append)
    drop(window, file_urls(notes))
    qtbot.waitUntil(lambda: bool(said))
    assert said[-1].startswith("Not a photo: notes.txt")
    window.indexer.request = lambda folders=None: None  # adding is the point here, not indexing
    drop(window, file_urls(folder))
    assert window.library.folders() == [str(folder)]


def test_remote_image_that_cannot_be_fetched_says_so(qtbot, make_window, messages):
    window = make_window()
    said = []
    messages.shown.connect(said.append)
    mime = QMimeData()
    mime.setUrls([QUrl("http://127.0.0.1:9/cat.jpg")])  # nothing listens on port 9
    drop(window, mime)
    qtbot.waitUntil(lambda: any("could not download" in s for s in said), timeout=20_000)


def test_context_menu_copy_path_and_find_similar(qtbot, indexed_window):
    window = indexed_window
    grid = window.content.library_grid
    first = grid.model().index(0, 0)
    grid.selectionModel().select(first, grid.selectionModel().SelectionFlag.ClearAndSelect)
    photos = grid.selected_photos()
    menu = window.actions.menu(photos, window)
    actions = {a.text(): a for a in menu.actions() if a.text()}
    assert {"Find similar photos", "Open", "Show in folder", "Copy path", "Copy image"} <= set(actions)
    actions["Copy path"].trigger()
    assert QGuiApplication.clipboard().text() == photos[0].path
    with qtbot.waitSignal(window.search.results, timeout=30_000) as blocker:
        actions["Find similar photos"].trigger()
    assert [i.path for i in blocker.args[0].query.images] == [photos[0].path]

    actions["Copy image"].trigger()
    qtbot.waitUntil(lambda: not QGuiApplication.clipboard().image().isNull(), timeout=10_000)
    assert QGuiApplication.clipboard().image().size() == QImage(photos[0].path).size()


def test_menu_for_a_multi_selection(qtbot, indexed_window):
    window = indexed_window
    grid = window.content.library_grid
    grid.selectAll()
    photos = grid.selected_photos()
    menu: QMenu = window.actions.menu(photos, window)
    actions = {a.text(): a for a in menu.actions() if a.text()}
    assert actions[f"Open {len(photos)} photos"].isEnabled()
    assert not actions["Copy image"].isEnabled()
    with qtbot.waitSignal(window.search.results, timeout=30_000) as blocker:
        actions["More like these"].trigger()  # one query of all the selected photos
    assert [i.path for i in blocker.args[0].query.images] == [p.path for p in photos]
    actions["Copy paths"].trigger()
    assert QGuiApplication.clipboard().text().splitlines() == [p.path for p in photos]
    mime = grid.model().mimeData(grid.selectionModel().selectedIndexes())
    assert len(mime.urls()) == len(photos)  # what a drag out of the grid carries


def test_space_opens_a_preview_that_steps_with_arrows(qtbot, indexed_window):
    window = indexed_window
    grid = window.content.library_grid
    grid.setFocus()
    grid.setCurrentIndex(grid.model().index(0, 0))
    qtbot.keyClick(grid, Qt.Key.Key_Space)
    dialog = window.findChild(PreviewDialog)
    assert dialog is not None and dialog.isVisible()
    qtbot.waitUntil(lambda: dialog.picture.pixmap() is not None and not dialog.picture.pixmap().isNull())
    qtbot.keyClick(dialog, Qt.Key.Key_Right)
    assert dialog.index.row() == 1
    assert grid.currentIndex().row() == 1
    assert dialog.windowTitle() == grid.model().index(1, 0).data(PhotoRole).name
    qtbot.keyClick(dialog, Qt.Key.Key_Escape)
    assert not dialog.isVisible()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window)  # the keyboard is back
    assert grid.hasFocus()

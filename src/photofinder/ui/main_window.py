"""The main window: builds the widgets and connects them to the controllers.

The controllers (library, indexing, search, model, thumbnails) do the work;
this class only wires signals and decides which page to show.
"""

from __future__ import annotations

import logging
import os

from PySide6.QtCore import QChildEvent, QEvent, QModelIndex, QSettings, Qt, QTimer
from PySide6.QtGui import (
    QAction, QCloseEvent, QDragEnterEvent, QDropEvent, QKeySequence,
)
from PySide6.QtWidgets import (
    QFileDialog, QLabel, QMainWindow, QMessageBox, QPushButton, QSplitter, QVBoxLayout, QWidget,
)

from photofinder.units import photo_count
from photofinder.records import IndexChanges, Photo
from photofinder.ui import drops, help_dialogs
from photofinder.ui.api_serving import ApiServing
from photofinder.ui.content import ContentArea
from photofinder.ui.albums_panel import AlbumPanel
from photofinder.ui.crash import ErrorDialog
from photofinder.ui.duplicate_review import DuplicateReview
from photofinder.ui.focus_return import FocusReturn
from photofinder.ui.folder_opener import open_folder
from photofinder.ui.folders_panel import FolderPanel
from photofinder.ui.grid import MAX_TILE, MIN_TILE, TILE_STEP
from photofinder.ui.index_controller import IndexController, IndexState
from photofinder.ui.gui_thread_tuning import freeze_long_lived, unfreeze_for_exit
from photofinder.ui.index_repair import IndexRepairUi
from photofinder.ui.issues import IssuesDock
from photofinder.ui.library_controller import LibraryController
from photofinder.ui.model_dialog import ModelDownloadUi, model_title
from photofinder.ui.model_loader import ModelLoader
from photofinder.ui.model_switch import ModelSwitchUi
from photofinder.ui.notices import show_notices
from photofinder.ui.photo_actions import PhotoActions
from photofinder.ui.photo_model import LibraryModel, PhotoListModel
from photofinder.ui.folder_presence import FolderPresence
from photofinder.ui.preview import PreviewDialog
from photofinder.ui.resources import app_icon
from photofinder.ui.search import SearchController
from photofinder.ui.search_bar import SearchBox
from photofinder.ui.search_view import SearchView
from photofinder.ui.settings_dialog import SettingsDialog
from photofinder.ui.sort_choice import SortChoice
from photofinder.ui.status_bar import IndexStatus, TileSlider
from photofinder.ui.style import STYLE_SHEET
from photofinder.ui.thumbnails import ThumbnailCache
from photofinder.ui.live_updates import LiveUpdates
from photofinder.ui.marks import MarkCache, mark_actions
from photofinder.ui.organize_controller import OrganizeController
from photofinder.ui.workers import wait_for_pools

log = logging.getLogger("photofinder.ui")

SHUTDOWN_WAIT_MS = 15_000
LISTING_WAIT_MS = 4000  # the longest the grid waits for search to get ready first
STATUS_MS = 8000


class MainWindow(QMainWindow):
    """photofinder's window over one Library."""

    def __init__(self, library, messages, log_file: str = ""):
        super().__init__()
        self.focus_return = FocusReturn(self)
        self.library = library
        self.messages = messages
        self.log_file = log_file
        self.setWindowTitle("photofinder")
        self.setWindowIcon(app_icon())
        self.setAcceptDrops(True)
        self.setStyleSheet(STYLE_SHEET)
        tile = min(max(library.settings.thumbnail_size, MIN_TILE), MAX_TILE)
        self.thumbnails = ThumbnailCache(library.paths.thumbnails, tile, self)
        self.loader = ModelLoader(library, messages, self)
        self._listing_wait = QTimer(self, singleShot=True, interval=LISTING_WAIT_MS)
        self.indexer = IndexController(library, self.loader, messages, self)
        self.search = SearchController(library, self.loader, messages, self)
        self.sort_choice = SortChoice(library.settings, self)
        self.library_ctl = LibraryController(library, LibraryModel(self.thumbnails, self), messages,
                                             self, self.sort_choice.browse_order)
        self.results_model = PhotoListModel(self.thumbnails, self)
        self.actions = PhotoActions(messages, self)
        self.download_ui = ModelDownloadUi(self.loader, self, model_title(library.embedder.spec))
        self.live = LiveUpdates(library, messages, self)
        self.presence = FolderPresence(library, messages, self)
        self.api = ApiServing(library, messages, self)
        self.model_switch = ModelSwitchUi(library, self.indexer, self.presence, self.search,
                                          messages, self)
        self.repair_ui = IndexRepairUi(self.indexer, self.loader, self.library_ctl, messages,
                                       self.open_log_folder, self)
        self._error_dialog: ErrorDialog | None = None
        self._build(tile)
        self.marks = MarkCache(library, messages, self)
        self.organize = OrganizeController(library, messages, self.albums, self.marks, self)
        self.rating_filter = self.organize.rating_filter()
        self.statusBar().insertPermanentWidget(2, self.rating_filter)
        self.query_input = drops.QueryInput(self.search, self.search_box, messages, self)
        self.search_view = SearchView(self.search, self.search_box, self.content, self.folders,
                                      self.library_ctl, messages, self)
        self._build_menus()
        self._connect()
        self._window_settings = QSettings(str(library.paths.data / "window.ini"), QSettings.Format.IniFormat)
        self._restore_geometry()
        self.set_tile_size(tile)

    # --- building ---------------------------------------------------------------

    def _build(self, tile: int) -> None:
        central = QWidget()
        layout = QVBoxLayout(central)
        layout.setContentsMargins(10, 10, 10, 0)
        layout.setSpacing(8)
        self.search_box = SearchBox()
        layout.addWidget(self.search_box)
        self.splitter = QSplitter()
        self.folders = FolderPanel()
        self.albums = AlbumPanel()
        self.side = QSplitter(Qt.Orientation.Vertical)
        self.side.addWidget(self.folders)
        self.side.addWidget(self.albums)
        self.content = ContentArea(self.library_ctl.model, self.results_model, tile)
        self.splitter.addWidget(self.side)
        self.splitter.addWidget(self.content)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setSizes([240, 900])
        layout.addWidget(self.splitter, 1)
        self.setCentralWidget(central)
        self.issues = IssuesDock(self)
        self.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, self.issues)
        self.issues.hide()
        self.index_status = IndexStatus()
        self.issues_button = QPushButton()
        self.issues_button.setFlat(True)
        self.issues_button.setVisible(False)
        self.tile_slider = TileSlider(tile)
        self.size_label = QLabel("Size")
        self.size_label.setObjectName("dimLabel")
        for widget in (self.index_status, self.issues_button, self.size_label, self.tile_slider):
            self.statusBar().addPermanentWidget(widget)
        self.resize(1100, 700)

    def _build_menus(self) -> None:
        def action(menu, text, slot, shortcut=None) -> QAction:
            act = menu.addAction(text)
            act.triggered.connect(slot)
            if shortcut is not None:
                act.setShortcuts(shortcut if isinstance(shortcut, list) else [shortcut])
            return act

        bar = self.menuBar()
        files = bar.addMenu("&File")
        action(files, "&Add folder…", self.choose_folder, QKeySequence("Ctrl+O"))
        action(files, "&Settings…", self.open_settings, QKeySequence("Ctrl+,"))
        files.addSeparator()
        action(files, "&Quit", self.close, QKeySequence.StandardKey.Quit)
        edit = bar.addMenu("&Edit")
        action(edit, "&Find", self.focus_search, [QKeySequence.StandardKey.Find, QKeySequence("/")])
        action(edit, "&Paste image as query", self.query_input.paste, QKeySequence.StandardKey.Paste)
        action(edit, "&Back to all photos", self.search.clear, QKeySequence(Qt.Key.Key_Escape))
        edit.addSeparator()
        action(edit, "Find &duplicates…", self.review_duplicates)
        action(edit, "&Undo move to trash", self.organize.undo_trash)
        view = bar.addMenu("&View")
        view.addAction(self.issues.toggleViewAction())
        view.addMenu(self.sort_choice.menu)
        action(view, "&Bigger thumbnails", lambda: self.zoom(1), QKeySequence.StandardKey.ZoomIn)
        action(view, "&Smaller thumbnails", lambda: self.zoom(-1), QKeySequence.StandardKey.ZoomOut)
        helps = bar.addMenu("&Help")
        action(helps, "Get the search &model…", self.download_ui.open)
        action(helps, "&Keyboard shortcuts", self.show_shortcuts, QKeySequence.StandardKey.HelpContents)
        action(helps, "Open the &log folder", self.open_log_folder)
        helps.addSeparator()
        action(helps, "&About photofinder", self.show_about)

    def _connect(self) -> None:
        messages = self.messages
        messages.shown.connect(self._show_status)
        messages.file_problem.connect(self.issues.add)
        messages.bug.connect(self.show_bug)
        self.issues.count_changed.connect(self._on_issue_count)
        self.issues_button.clicked.connect(self.issues.show)
        self.content.empty.add_requested.connect(self.choose_folder)
        self.content.back_requested.connect(self.search.clear)
        self.content.chips.removed.connect(self.search.remove_image)
        self.folders.add_requested.connect(self.choose_folder)
        self.folders.remove_requested.connect(self.remove_folder)
        self.folders.rescan_requested.connect(lambda folder: self.indexer.request([folder]))
        self.search_box.textEdited.connect(self.search.set_text)
        self.search_box.submitted.connect(self.search.search_now)
        self.search_box.paste_requested.connect(self.query_input.paste)
        self.query_input.folder_given.connect(self.add_folder)
        self.search.results.connect(self._on_results)
        self.search.results.connect(lambda _result: self.sort_choice.set_searching(True))
        self.search.cleared.connect(lambda: self.sort_choice.set_searching(False))
        self.sort_choice.browse_changed.connect(self.library_ctl.set_order)
        self.sort_choice.search_changed.connect(self.content.set_results_order)
        self.content.set_results_order(self.sort_choice.search_order)
        self.search.status.connect(self.content.show_notice)
        self.search.status.connect(self._offer_the_model)
        self.search.cleared.connect(self._show_library)
        self.search.images_changed.connect(self._on_query_images)
        self.thumbnails.errored.connect(messages.error)
        self.library_ctl.loaded.connect(self._on_library_loaded)
        self.loader.ready.connect(freeze_long_lived)  # the model and the vectors stay
        self.library_ctl.folders_changed.connect(self._on_folders_changed)
        self.library_ctl.folder_removed.connect(self._on_folder_removed)
        self.indexer.state_changed.connect(self._on_index_state)
        self.indexer.progress.connect(self.index_status.show_progress)
        self.indexer.committed.connect(self._on_committed)
        self.indexer.finished.connect(self._on_index_finished)
        self.indexer.switched.connect(self.library_ctl.reload)  # the new model's table
        self.live.changed.connect(self._on_disk_changes)
        self.presence.returned.connect(self._on_folder_returned)
        self.presence.changed.connect(self._on_presence_changed)
        self.index_status.pause_requested.connect(self.indexer.pause)
        self.index_status.resume_requested.connect(self.indexer.resume)
        self.index_status.cancel_requested.connect(self.indexer.cancel)
        self.content.notice.action.clicked.connect(self.download_ui.open)
        self.tile_slider.valueChanged.connect(self.set_tile_size)
        self.actions.find_similar.connect(self.find_similar)
        self.actions.preview.connect(self._preview_photo)
        self.folders.exclude_requested.connect(self.organize.exclude_inside)
        self.organize.library_changed.connect(self.library_ctl.reload)
        self.organize.collection_ready.connect(self.content.show_collection)
        self.organize.filter_ready.connect(self._on_rating_filter)
        self.marks.changed.connect(lambda _paths: self.organize.refresh_albums())
        for model in (self.library_ctl.model, self.results_model):
            model.set_marks(self.marks)
        for grid in self.content.grids:
            grid.addActions(mark_actions(self.marks, grid.selected_photos, grid))
            grid.menu_requested.connect(self._show_menu)
            grid.preview_requested.connect(self.preview)
            grid.zoom_requested.connect(self.zoom)

    # --- starting and stopping ------------------------------------------------------

    def start(self) -> None:
        """Read the library (in a worker); called once the window is on screen."""
        self.content.show_notice("Opening your library…", busy=True, back=False)
        self.library_ctl.start()
        if self.library.folders():
            self.loader.ensure_loaded()  # in a worker: the first search then waits the least
            # The listing builds 100k photos in Python: after search is ready, so the two
            # do not halve each other's share of two cores (a first-ever model load may be
            # long: then the grid goes ahead after LISTING_WAIT_MS anyway).
            for signal in (self.loader.ready, self.loader.failed, self._listing_wait.timeout):
                signal.connect(self._read_listing)
            self._listing_wait.start()
        self.presence.start()
        self.marks.load()
        self.organize.refresh_albums()
        self.api.apply(self.library.settings.allow_other_apps)
        self.search_box.setFocus()
        read_only = [self.library.read_only_notice()] if self.library.read_only else []
        self.notices_box = show_notices(self, self.library.notices + read_only)
        if read_only:
            self.setWindowTitle("photofinder (read-only)")

    def _read_listing(self) -> None:
        """Once, whichever comes first."""
        self._listing_wait.stop()
        for signal in (self.loader.ready, self.loader.failed, self._listing_wait.timeout):
            signal.disconnect(self._read_listing)
        self.library_ctl.reload()

    def childEvent(self, event: QChildEvent) -> None:
        if event.type() == QEvent.Type.ChildPolished:  # a dialog is polished before it shows
            self.focus_return.watch(event.child())
        super().childEvent(event)

    def closeEvent(self, event: QCloseEvent) -> None:
        self.shutdown()
        super().closeEvent(event)

    def shutdown(self) -> None:
        """Stop every timer and worker, and wait for the pool: nothing outlives the window."""
        self.setUpdatesEnabled(False)  # late signals must not repaint a window on its way out
        self._listing_wait.stop()
        self.search.stop()
        self.indexer.stop()
        self.loader.stop()
        self.live.stop()
        self.presence.stop()
        self.api.stop()
        self.library_ctl.stop()
        self.thumbnails.stop()
        self._save_state()
        if not wait_for_pools(SHUTDOWN_WAIT_MS):
            log.warning("background work still running after %d s", SHUTDOWN_WAIT_MS // 1000)
        unfreeze_for_exit()

    def _restore_geometry(self) -> None:
        settings = self._window_settings
        if settings.value("geometry"):
            self.restoreGeometry(settings.value("geometry"))
            self.restoreState(settings.value("state"))
            self.splitter.restoreState(settings.value("splitter"))

    def _save_state(self) -> None:
        self._window_settings.setValue("geometry", self.saveGeometry())
        self._window_settings.setValue("state", self.saveState())
        self._window_settings.setValue("splitter", self.splitter.saveState())
        self._window_settings.sync()
        try:
            self.library.settings.save(self.library.paths.settings_file)
        except Exception as exc:  # noqa: BLE001 - shown, never fatal on the way out
            self.messages.error(exc, "saving the settings")

    # --- the library -----------------------------------------------------------------

    def _on_library_loaded(self) -> None:
        self._show_library()
        if self.library.folders():
            self.indexer.request()

    def _show_library(self) -> None:
        self.search_box.clear()
        if not self.library_ctl.is_loaded:
            return
        count = self.library_ctl.model.rowCount()
        if count == 0 and not self.library.folders():
            self.content.show_empty()
        elif count == 0:
            busy = self.indexer.busy
            self.content.show_notice("Looking at your photos: they appear here as they are indexed."
                                     if busy else "No photos indexed yet.", busy=busy, back=False)
        else:
            self.content.show_library(count)

    def _on_folders_changed(self, counts: dict) -> None:
        self.folders.set_folders(counts, self.presence.offline)
        for widget in (self.side, self.size_label, self.tile_slider):
            widget.setVisible(bool(counts))  # no folders: the invitation has the whole window
        if not self.search.is_active:
            self._show_library()

    def _on_presence_changed(self, offline: frozenset[str]) -> None:
        """Folders went offline or came back: their tiles are dimmed or shown again."""
        self.library_ctl.model.set_offline_folders(offline)
        self.results_model.set_offline_folders(offline)
        self.library_ctl.update_counts()

    def _on_folder_returned(self, folder: str) -> None:
        """Catch up with what changed on it elsewhere, and follow it again."""
        self.thumbnails.retry_below(folder)
        self.indexer.request([folder])
        if self.live.running:
            self.live.restart()

    def _on_index_state(self, state: IndexState) -> None:
        self.index_status.set_state(state)
        if not self.search.is_active and self.library_ctl.model.rowCount() == 0:
            self._show_library()  # the "appear as they are indexed" notice follows the state

    def _on_folder_removed(self, _folder: str) -> None:
        self.indexer.request()  # carry on with the other folders (removing one cancelled the run)
        if self.live.running:
            self.live.restart()

    def _on_committed(self, changed: list[Photo], removed: list[str]) -> None:
        self.thumbnails.forget(p.path for p in changed)
        self.library_ctl.apply_commit(changed, removed)
        if not self.search.is_active and self.content.pages.currentWidget() is self.content.notice:
            self._show_library()  # the first photos replace "they appear here as they are indexed"
        if self.results_model.rowCount() == 0:
            self.search.refresh()  # a query typed before any photo was indexed: try it now

    def _on_disk_changes(self, changes: IndexChanges) -> None:
        """The watcher indexed files changed on disk: show them."""
        self._on_committed(list(changes.photos), list(changes.removed))

    def _on_index_finished(self, changes: IndexChanges) -> None:
        if not self.live.running:
            self.live.restart()  # the start-up scan is done: from now on, follow the disk
        if not changes.is_empty:  # an unchanged library needs no re-read: 100k Photos in Python
            self.library_ctl.reload()
            self.search.refresh()
        done = len(changes.added) + len(changes.updated)
        if self.indexer.state == IndexState.LISTING and not changes.cancelled:
            self.messages.info(f"Listed {photo_count(done)}; search waits for the model")
        elif changes.cancelled and self.indexer.state == IndexState.PAUSED:
            self.messages.info(f"Indexing paused after {photo_count(done)}")
        elif changes.cancelled and self.indexer.switching_to is None:  # a switch says its own
            self.messages.info(f"Indexing stopped after {photo_count(done)}; a rescan carries on")
        elif not changes.cancelled and (done or changes.removed):
            self.messages.info(f"Indexed {photo_count(done)}, removed {len(changes.removed):,}")
        if changes.problems:
            self.messages.warning(f"{len(changes.problems):,} files skipped: see View ▸ Issues")

    def choose_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Add a folder of photos", os.path.expanduser("~"))
        if folder:
            self.add_folder(folder)

    def add_folder(self, path: str) -> None:
        folder = self.library_ctl.add_folder(path)
        if folder:
            self.messages.info(f"Added {os.path.basename(folder) or folder}; indexing its photos…")
            self.indexer.request([folder])
            if self.live.running:
                self.live.restart()

    def remove_folder(self, folder: str) -> None:
        answer = QMessageBox.question(
            self, "Remove folder", f"Remove {folder} from the library?\n\n"
            "Its photos leave the index; the files on disk are not touched.")
        if answer == QMessageBox.StandardButton.Yes:
            self.indexer.cancel()
            self.library_ctl.remove_folder(folder)

    # --- queries ------------------------------------------------------------------------

    def focus_search(self) -> None:
        self.search_box.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.search_box.selectAll()

    def find_similar(self, photos: list[Photo]) -> None:
        self.search.search_images([drops.image_from_file(p.path) for p in photos])

    def _offer_the_model(self) -> None:
        """Search waits for a model that failed to come: say where to get it."""
        if self.loader.is_failed:
            self.content.notice.offer("Get the search model…")

    def _on_results(self, result) -> None:
        if not result.hits and self.library_ctl.model.rowCount() == 0:
            self.content.show_notice("There are no photos to search yet.\n"
                                     "Add a folder of photos first (File ▸ Add folder…).")
        else:
            self.content.show_results(result, self.search.scope)

    def _on_query_images(self, images: list) -> None:
        self.content.chips.set_images(images)
        if images:
            self.search_box.clear()

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if drops.can_accept(event.mimeData()):
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        event.acceptProposedAction()
        self.query_input.use(drops.read_drop(event.mimeData()))

    # --- photos ----------------------------------------------------------------------------

    def _show_menu(self, photos: list[Photo], position) -> None:
        menu = self.actions.menu(photos, self)
        self.organize.extend_menu(menu, photos)
        menu.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        menu.popup(position)

    def preview(self, index: QModelIndex) -> None:
        grid = self.content.current_grid()
        dialog = PreviewDialog(index, self)
        if grid is not None:
            dialog.current_changed.connect(grid.setCurrentIndex)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()

    def _preview_photo(self, photo: Photo) -> None:
        grid = self.content.current_grid()
        row = grid.photo_model().row_of(photo.path) if grid else None
        if row is not None:
            self.preview(grid.model().index(row, 0))

    def zoom(self, steps: int) -> None:
        self.tile_slider.setValue(self.tile_slider.value() + steps * TILE_STEP)

    def set_tile_size(self, tile_px: int) -> None:
        self.thumbnails.set_tile_size(tile_px, self.devicePixelRatioF())
        self.content.set_tile_size(tile_px)
        self.library.settings.thumbnail_size = tile_px
        self._size_ram_cache()

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._size_ram_cache()

    def _size_ram_cache(self) -> None:
        """Keep about three screens of tiles in memory."""
        self.thumbnails.set_capacity(3 * self.content.library_grid.visible_tiles())

    def _on_rating_filter(self, search_filter, name: str) -> None:
        """Searches show only the photos rated so; with no search, the grid shows them all."""
        self.search.set_filter(search_filter)
        if self.search.is_active:
            return
        if search_filter is None:
            self._show_library()
        else:
            self.content.show_collection(name, self.library_ctl.model.photos_in(search_filter.paths))

    def review_duplicates(self) -> None:
        dialog = DuplicateReview(self.library, self.messages, parent=self)
        dialog.library_changed.connect(self.library_ctl.reload)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()

    def open_settings(self) -> None:
        info = self.library.embedder.info  # how photos are embedded: backend and agreement
        dialog = SettingsDialog(self.library.settings, self.model_switch.chosen,
                                self.library.user_data.excluded_folders(), self,
                                info.describe_backend() if info else "")
        dialog.accepted.connect(lambda: self._apply_settings(dialog))
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()

    def _apply_settings(self, dialog: SettingsDialog) -> None:
        changed = dialog.apply(self.library.settings)
        self.library.settings.save(self.library.paths.settings_file)
        self.library.user_data.set_excluded_folders(dialog.excluded_folders())
        self.api.apply(self.library.settings.allow_other_apps)
        if "thumbnail_size" in changed:
            self.tile_slider.setValue(self.library.settings.thumbnail_size)
        self.model_switch.request(dialog.chosen_model())

    # --- messages ----------------------------------------------------------------------

    def open_log_folder(self) -> None:
        open_folder(str(self.library.paths.logs), self)

    def show_about(self) -> None:
        help_dialogs.show_about(self.library, self)

    def show_shortcuts(self) -> None:
        help_dialogs.show_shortcuts(self.menuBar(), self)

    def _show_status(self, text: str) -> None:
        self.statusBar().showMessage(text, STATUS_MS)

    def show_bug(self, summary: str, details: str) -> None:
        if self._error_dialog is not None and self._error_dialog.isVisible():
            self._error_dialog.details.appendPlainText("\n" + details)
            return
        self._error_dialog = ErrorDialog(summary, details, self.log_file, self)
        self._error_dialog.open()

    def _on_issue_count(self, count: int) -> None:
        self.issues_button.setText(f"⚠ {count:,} skipped file{'s' if count != 1 else ''}")
        self.issues_button.setVisible(count > 0)

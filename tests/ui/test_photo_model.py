"""The grid's list models: Qt's model contract, newest-first order, changes without resets."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

from PySide6.QtCore import QItemSelectionModel, Qt

from photofinder.records import Photo
from photofinder.ui.photo_model import (
    LibraryListing, LibraryModel, OfflineRole, PhotoListModel, PhotoRole, ScoreRole, count_below,
)

BASE = datetime(2024, 5, 1, 12, 0)


def photo(n: int, days: int | None = None) -> Photo:
    return Photo(path=f"/photos/trip/p{n:05d}.jpg", folder="/photos/trip", size=1_200_000 + n,
                 mtime_ns=n, fingerprint=f"f{n}", width=4000, height=3000,
                 taken_at=BASE + timedelta(days=n if days is None else days))


def paths(model) -> list[str]:
    return [p.path for p in model.photos]


def test_models_pass_qtmodeltester(qtmodeltester):
    results = PhotoListModel()
    results.set_photos([photo(n) for n in range(20)], [1 - n / 100 for n in range(20)])
    qtmodeltester.check(results)
    library = LibraryModel()
    library.set_photos([photo(n) for n in range(0, 40, 2)])
    qtmodeltester.check(library)
    library.upsert([photo(n) for n in range(1, 40, 4)])  # inserts in the middle
    library.remove_paths([photo(n).path for n in (0, 2, 4, 5)])
    library.sync(LibraryListing.of([photo(n, days=-n) for n in range(30)]))  # new order, some in, some out
    qtmodeltester.check(library)


def test_library_is_newest_first_and_inserts_in_place():
    model = LibraryModel()
    model.set_photos([photo(1), photo(5), photo(3)])
    assert paths(model) == [photo(n).path for n in (5, 3, 1)]
    model.upsert([photo(4), photo(0)])
    assert paths(model) == [photo(n).path for n in (5, 4, 3, 1, 0)]


def test_photos_landing_together_are_one_insertion():
    """Each insertion costs the grid a layout: a commit of 256 photos is one, not 256."""
    model = LibraryModel()
    model.set_photos([photo(n) for n in (10, 20, 30)])
    inserted = []
    model.rowsInserted.connect(lambda _parent, first, last: inserted.append((first, last)))
    model.upsert([photo(n) for n in (25, 5, 35, 24, 15, 36, 4)])
    assert paths(model) == [photo(n).path for n in (36, 35, 30, 25, 24, 20, 15, 10, 5, 4)]
    assert inserted == [(0, 1), (3, 4), (6, 6), (8, 9)]


def test_sync_keeps_the_selection_without_a_reset(qtbot):
    model = LibraryModel()
    model.set_photos([photo(n) for n in range(10)])
    selection = QItemSelectionModel(model)
    chosen = model.index(model.row_of(photo(3).path))
    selection.select(chosen, QItemSelectionModel.SelectionFlag.Select)
    resets = []
    model.modelReset.connect(lambda: resets.append(1))
    model.sync(LibraryListing.of([photo(n, days=-n) for n in range(10)]))  # dates changed: reversed order
    assert paths(model) == [photo(n).path for n in range(10)]
    assert not resets
    selected = selection.selectedIndexes()
    assert [i.data(PhotoRole).path for i in selected] == [photo(3).path]


def test_roles_tooltip_and_drag_data():
    model = PhotoListModel()
    model.set_photos([photo(7)], [0.4321])
    index = model.index(0)
    assert index.data(PhotoRole) == photo(7)
    assert index.data(ScoreRole) == 0.4321
    tip = index.data(Qt.ItemDataRole.ToolTipRole)
    for part in ("p00007.jpg", "/photos/trip", "08 May 2024", "4000 × 3000", "1.2 MB", "0.432"):
        assert part in tip
    mime = model.mimeData([index])
    assert [u.toLocalFile() for u in mime.urls()] == [photo(7).path]


def test_folder_counts():
    model = LibraryModel()
    model.set_photos([photo(1), Photo("/other/a.jpg", "/other", 1, 1, "x", 1, 1, BASE)])
    assert count_below(model.paths(), ["/photos/trip", "/other", "/photos"]) == {
        "/photos/trip": 1, "/other": 1, "/photos": 1}


def test_offline_folders_are_marked_without_a_reset(qtmodeltester):
    model = LibraryModel()
    model.set_photos([photo(1), Photo("/other/a.jpg", "/other", 1, 1, "x", 1, 1, BASE)])
    changed, resets = [], []
    model.dataChanged.connect(lambda first, last, roles: changed.append((first.row(), last.row())))
    model.modelReset.connect(lambda: resets.append(1))
    model.set_offline_folders(frozenset({"/photos"}))
    marks = {p.path: model.index(model.row_of(p.path)).data(OfflineRole) for p in model.photos}
    assert marks == {photo(1).path: "/photos", "/other/a.jpg": None}
    assert "Offline: /photos" in model.index(model.row_of(photo(1).path)).data(Qt.ItemDataRole.ToolTipRole)
    assert changed == [(0, 1)] and not resets
    model.set_offline_folders(frozenset({"/photos"}))  # no change, no repaint
    assert changed == [(0, 1)]
    qtmodeltester.check(model)
    model.set_offline_folders(frozenset())
    assert [model.index(r).data(OfflineRole) for r in range(2)] == [None, None]


def test_listing_equal_to_the_rows_shown_costs_the_gui_thread_nothing():
    """The worker that read it compared it with the rows; sync only swaps the records in."""
    model = LibraryModel()
    model.set_photos([photo(n) for n in range(50)])
    changes = []
    for signal in (model.rowsInserted, model.rowsRemoved, model.layoutChanged, model.modelReset):
        signal.connect(lambda *args: changes.append(args))
    fresher = [replace(photo(n), size=1) for n in range(50)]
    listing = LibraryListing.of(fresher, model.shown())
    assert listing.same_rows_as is not None
    model.sync(listing)
    assert not changes
    assert model.photos is listing.photos and model.photo_at(0).size == 1
    assert model.row_of(photo(7).path) == 42


def test_listing_read_before_a_change_is_synced_in_full():
    model = LibraryModel()
    model.set_photos([photo(n) for n in range(10)])
    listing = LibraryListing.of([photo(n) for n in range(10)], model.shown())
    model.upsert([photo(99)])  # a commit landed while the worker was reading
    model.sync(listing)
    assert paths(model) == [photo(n).path for n in reversed(range(10))]
    assert model.row_of(photo(99).path) is None


def test_the_library_has_a_section_per_month_whose_counts_follow_inserts():
    from photofinder.ui.photo_model import month_sections

    model = LibraryModel()
    days = [datetime(2024, 3, 5), datetime(2024, 3, 1), datetime(2024, 1, 31, 23, 59),
            datetime(2024, 1, 1), datetime(2023, 12, 31)]
    model.set_photos([Photo(f"/p/{n}.jpg", "/p", 1, 1, "", 1, 1, d) for n, d in enumerate(days)])
    assert [(s.start, s.count, s.title) for s in model.sections()] == [
        (0, 2, "March 2024 · 2 photos"), (2, 2, "January 2024 · 2 photos"),
        (4, 1, "December 2023 · 1 photo")]
    model.upsert([Photo("/p/new.jpg", "/p", 1, 1, "", 1, 1, datetime(2024, 1, 15))])
    assert [s.title for s in model.sections()][1] == "January 2024 · 3 photos"
    assert month_sections([]) == []


def test_in_name_order_the_library_inserts_by_name_and_has_no_month_sections():
    from photofinder.photo_order import PhotoOrder
    from photofinder.ui.photo_model import LibraryListing

    model = LibraryModel()
    photos = [Photo(f"/p/{name}.jpg", "/p", 1, 1, "", 1, 1, datetime(2024, 1, day))
              for name, day in (("b", 1), ("D", 2), ("a", 3))]
    model.set_library(LibraryListing.of(photos, order=PhotoOrder.NAME))
    model.upsert([Photo("/p/c.jpg", "/p", 1, 1, "", 1, 1, datetime(2030, 1, 1))])
    assert [p.name for p in model.photos] == ["a.jpg", "b.jpg", "c.jpg", "D.jpg"]
    assert model.sections() == [] and model.order is PhotoOrder.NAME

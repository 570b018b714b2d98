"""The grid's order (View ▸ Sort by, remembered) and one group of results per query image."""

from __future__ import annotations

from photofinder.photo_order import PhotoOrder
from photofinder.query import ImagePart, parse_query
from photofinder.ui.drops import image_from_file


def rows(model) -> list:
    return [model.photo_at(r) for r in range(model.rowCount())]


def test_sort_by_name_is_chosen_in_the_view_menu_and_remembered(
        qtbot, indexed_window, make_window, wait_until_indexed, shape_folder):
    window = indexed_window
    model, grid = window.library_ctl.model, window.content.library_grid
    assert window.sort_choice.actions[PhotoOrder.DATE].isChecked()
    assert grid.grid_layout().header > 0  # by date: month headers
    window.sort_choice.actions[PhotoOrder.NAME].trigger()
    qtbot.waitUntil(lambda: model.order is PhotoOrder.NAME, timeout=20_000)
    names = [p.name for p in rows(model)]
    assert names == sorted(names, key=str.casefold) and len(names) == 120
    assert grid.grid_layout().header == 0  # by name: no month headers
    assert window.content.heading.text() == "All photos · 120, by name"
    assert not window.sort_choice.actions[PhotoOrder.RELEVANCE].isEnabled()

    with qtbot.waitSignal(window.search.results, timeout=30_000):
        window.search.set_text("a circle")
        window.search.show_weaker()  # many results
    assert window.sort_choice.actions[PhotoOrder.RELEVANCE].isChecked()
    scores = [window.results_model.score_at(r) for r in range(window.results_model.rowCount())]
    assert scores == sorted(scores, reverse=True)
    window.sort_choice.actions[PhotoOrder.DATE].trigger()
    taken = [p.taken_at for p in rows(window.results_model)]
    assert taken == sorted(taken, reverse=True) and len(taken) == len(scores) > 1
    window.search.clear()
    assert window.sort_choice.actions[PhotoOrder.NAME].isChecked()  # browsing's own choice

    window.close()
    again = make_window()
    wait_until_indexed(again, 120)
    assert again.library_ctl.model.order is PhotoOrder.NAME
    assert again.sort_choice.search_order is PhotoOrder.DATE


def test_several_query_images_give_one_group_each_under_a_header_row(qtbot, indexed_window,
                                                                     shape_folder):
    window = indexed_window
    _folder, photos = shape_folder
    paths = [str(photos[0][0]), str(photos[7][0])]
    per_photo = window.content.per_photo
    with qtbot.waitSignal(window.search.results, timeout=30_000):
        window.search.search_images([image_from_file(p) for p in paths])
    assert per_photo.isVisible() and window.results_model.sections() == []  # combined: one list
    with qtbot.waitSignal(window.search.results, timeout=30_000) as blocker:
        per_photo.setChecked(True)
    result = blocker.args[0]
    expected = window.library.search_each(
        parse_query("").with_images(ImagePart(p, p.rsplit("/", 1)[-1]) for p in paths), 240)
    sections = window.results_model.sections()
    shown = [p.path for p in rows(window.results_model)]
    assert [s.title for s in sections] == [
        f"Like {name} · {len(found.hits)} photo{'s' * (len(found.hits) != 1)}"
        for name, found in zip((p.rsplit("/", 1)[-1] for p in paths), expected)]
    for section, found in zip(sections, expected):
        assert shown[section.start:section.start + section.count] == [h.photo.path for h in found.hits]
    assert len(result.groups) == 2 and "for each photo" in window.content.heading.text()
    grid = window.content.results_grid
    assert grid.grid_layout().header > 0
    second = grid.visualRect(grid.model().index(sections[1].start, 0))
    last_of_first = grid.visualRect(grid.model().index(sections[1].start - 1, 0))
    assert second.top() >= last_of_first.bottom() + grid.grid_layout().header  # a header between

    with qtbot.waitSignal(window.search.results, timeout=30_000):
        window.search.search_images([image_from_file(paths[0])])
    assert not per_photo.isVisible() and window.results_model.sections() == []

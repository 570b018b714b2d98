"""The library facade end to end: real folder, real LanceDB, the tiny trained model."""

from __future__ import annotations

import os
import shutil
from collections import Counter
from datetime import datetime

import pytest

from photofinder.errors import QueryError
from photofinder.library import Library
from photofinder.records import SearchFilter
from photofinder_testing.tinymodel.shapes import write_photos


@pytest.fixture(scope="module")
def shape_folder(tmp_path_factory):
    """A fresh set of shape photos (a seed the model never trained on)."""
    folder = tmp_path_factory.mktemp("shapes")
    return folder, write_photos(folder, 400, seed=4242)


@pytest.fixture
def library(tiny_model, shape_folder):
    library = Library()
    folder, _ = shape_folder
    library.add_folder(folder)
    changes = library.index()
    assert len(changes.added) == 400 and not changes.problems
    return library


def precision_at(hits, wanted, k=5) -> float:
    return sum(wanted(hit.photo.path) for hit in hits[:k]) / k


@pytest.mark.parametrize("colour,shape", [("red", "circle"), ("blue", "square"),
                                          ("green", "triangle"), ("yellow", "star")])
def test_text_search_ranks_matching_photos_first(library, shape_folder, colour, shape):
    _, photos = shape_folder
    truth = {str(p): s for p, s in photos}
    matching = [p for p, s in truth.items() if s.colour == colour and s.shape == shape]
    if len(matching) < 5:
        pytest.skip(f"only {len(matching)} {colour} {shape}s in the generated set")
    hits = library.search_text(f"a {colour} {shape}", k=5)
    wanted = lambda p: truth[p].colour == colour and truth[p].shape == shape  # noqa: E731
    assert precision_at(hits, wanted) >= 0.8, [truth[h.photo.path].caption() for h in hits]
    assert all(-1.0 <= h.score <= 1.0 for h in hits)
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)


def test_similar_to_a_red_circle_returns_red_circles(library, shape_folder):
    _, photos = shape_folder
    truth = {str(p): s for p, s in photos}
    query = next(p for p, s in truth.items() if s.colour == "red" and s.shape == "circle")
    hits = library.similar(query, k=5)
    assert query not in [h.photo.path for h in hits]
    wanted = lambda p: truth[p].colour == "red" and truth[p].shape == "circle"  # noqa: E731
    assert precision_at(hits, wanted, k=3) >= 2 / 3


def test_several_query_images_find_what_they_share(library, shape_folder, tmp_path):
    _, photos = shape_folder
    truth = {str(p): s for p, s in photos}
    outside = write_photos(tmp_path / "queries", 80, seed=99)
    by_colour = Counter(s.colour for _, s in outside)
    colour = by_colour.most_common(1)[0][0]
    same = [(p, s) for p, s in outside if s.colour == colour]
    queries = [str(same[0][0]), next(str(p) for p, s in same if s.shape != same[0][1].shape)]
    hits = library.search_images(queries, k=5)  # two shapes, one colour: the colour is shared
    assert precision_at(hits, lambda p: truth[p].colour == colour) >= 0.8


def test_vanished_files_never_appear_in_results(library, shape_folder, tmp_path):
    folder, photos = shape_folder
    best = library.search_text("a red circle", k=1)[0].photo.path
    moved = tmp_path / "aside.jpg"
    shutil.move(best, moved)
    try:
        hits = library.search_text("a red circle", k=10)
        assert best not in [h.photo.path for h in hits] and len(hits) == 10
    finally:
        shutil.move(moved, best)


def test_k_and_folder_filter(library, shape_folder):
    folder, _ = shape_folder
    assert len(library.search_text("a circle", k=7)) == 7
    elsewhere = SearchFilter(folders=(str(folder) + "-other",))
    assert library.search_text("a circle", k=7, search_filter=elsewhere) == []
    recent = SearchFilter(taken_after=datetime(2000, 1, 1))
    assert len(library.search_text("a circle", k=3, search_filter=recent)) == 3


def test_photos_are_listed_newest_first(library):
    photos = library.photos()
    assert len(photos) == 400
    assert [p.taken_at for p in photos] == sorted((p.taken_at for p in photos), reverse=True)


def test_bad_queries_give_clear_errors(library, tmp_path):
    with pytest.raises(QueryError, match="empty"):
        library.search_text("   ")
    not_image = tmp_path / "notes.txt"
    not_image.write_text("hello")
    with pytest.raises(QueryError, match="notes.txt"):
        library.search_images([not_image])
    with pytest.raises(QueryError):
        library.search_images([b"not an image"])


def test_remove_folder_drops_its_photos_and_setting(library, shape_folder):
    folder, _ = shape_folder
    assert library.remove_folder(folder) == 400
    assert library.store.count() == 0
    assert Library().folders() == []
    assert os.path.isdir(folder)  # files are never touched


def test_switching_models_re_embeds_then_swaps(library, tiny_weights, tmp_path):
    import threading

    import torch

    from photofinder.embedder import ModelSpec
    from photofinder_testing.tinymodel import MODEL_NAME

    other = tmp_path / "retrained.pt"
    state = torch.load(tiny_weights, weights_only=True)
    torch.save({k: v * 1.01 if v.is_floating_point() else v for k, v in state.items()}, other)
    old_id = library.store.model_id
    cancelled = threading.Event()
    cancelled.set()
    assert not library.switch_model(ModelSpec(MODEL_NAME, weights=str(other)), cancel=cancelled)
    assert library.store.model_id == old_id and library.search_text("a red circle", k=3)

    assert library.switch_model(ModelSpec(MODEL_NAME, weights=str(other)))
    assert library.store.model_id != old_id and library.store.count() == 400
    assert Library().settings.weights == str(other)
    assert len(library.search_text("a red circle", k=3)) == 3


def test_a_query_is_looked_up_among_its_own_models_vectors(library, monkeypatch):
    """A model switch landing while a query is being embedded must not pair the query
    with the other model's table."""
    from photofinder.store import PhotoStore

    own_store = library.store
    other = PhotoStore(library.paths.index, "other-model", own_store.dimension)
    embed = library.embedder.embed_texts

    def embed_then_switch(texts):
        vectors = embed(texts)
        library._store = other  # what switch_model does, at the worst moment
        return vectors

    monkeypatch.setattr(library.embedder, "embed_texts", embed_then_switch)
    assert len(library.search_text("a red circle", k=5)) == 5
    assert library.store is other and other.count() == 0


def test_the_image_model_is_kept_while_any_index_run_is_under_way(library, tmp_path):
    """The API frees the model after its own run; a run the window has under way at that
    moment must keep it, or its next batch loads the model again."""
    write_photos(tmp_path / "more", 12, seed=77)
    library.add_folder(tmp_path / "more")
    during = []
    library.index([tmp_path / "more"],
                  on_commit=lambda _changes: during.append(library.release_model()))
    assert during and not any(during)  # asked mid-run: kept
    assert library.embedder.is_loaded
    assert library.release_model()  # no run left: freed
    assert not library.embedder.is_loaded

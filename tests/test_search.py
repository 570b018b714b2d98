"""Library.search end to end on the tiny shapes model: relevance cut-off, compound
queries, filters, folder scoping, the fields every face reads."""

from __future__ import annotations

import math
import os
from datetime import datetime

import pytest

from photofinder.config import Paths, Settings
from photofinder.embedder import MODEL_CONFIGS_ENV, ModelSpec
from photofinder.errors import NotFoundError, QueryError
from photofinder.library import Library
from photofinder.records import SearchFilter, photo_id
from photofinder_testing.tinymodel import CONFIG_DIR, MODEL_NAME
from photofinder_testing.tinymodel.shapes import write_photos
from helpers.geotagged import PARIS, write_geotagged


def new_library(home, weights) -> Library:
    """A library in its own data folder (one for the whole module: indexing takes a while)."""
    paths = Paths(data=home, config=home)
    return Library(paths, Settings.load(paths.settings_file), ModelSpec(MODEL_NAME, weights=str(weights)))


@pytest.fixture(scope="module")
def module_env():
    """What the autouse private_home fixture sets per test, for the module's library."""
    with pytest.MonkeyPatch.context() as env:
        env.setenv(MODEL_CONFIGS_ENV, str(CONFIG_DIR))
        env.setenv("PHOTOFINDER_BACKEND", "torch")
        yield


@pytest.fixture(scope="module")
def shapes(tmp_path_factory, tiny_weights, module_env):
    """400 shapes: 300 JPEGs at the root (dated 2021), 100 PNGs in "Holidays 2023" (dated 2023)."""
    root = tmp_path_factory.mktemp("library")
    truth = {}
    for path, spec in write_photos(root, 300, seed=4242):
        truth[str(path)] = spec
        os.utime(path, (datetime(2021, 5, 1).timestamp(),) * 2)
    for path, spec in write_photos(root / "Holidays 2023", 100, seed=5151, fmt="png"):
        truth[str(path)] = spec
        os.utime(path, (datetime(2023, 7, 1).timestamp(),) * 2)
    home = tmp_path_factory.mktemp("home")
    library = new_library(home, tiny_weights)
    library.add_folder(root)
    assert len(library.index().added) == 400
    return library, root, truth


def kinds(hits, truth):
    return [f"{truth[h.photo.path].colour} {truth[h.photo.path].shape}" for h in hits]


def test_a_real_query_shows_its_matches_and_hides_the_rest(shapes):
    library, _, truth = shapes
    result = library.search("a red circle", k=200)
    assert 1 <= len(result.hits) <= 40, len(result.hits)  # not the whole library
    assert kinds(result.hits, truth).count("red circle") >= 0.8 * len(result.hits)
    assert result.weaker == 200 - len(result.hits) and result.strong == len(result.hits)
    assert all(h.score >= result.threshold for h in result.hits)
    everything = library.search("a red circle", k=200, include_weaker=True)
    assert len(everything.hits) == 200 and everything.weaker == 0
    assert everything.hits[:len(result.hits)] == result.hits


def test_a_nonsense_query_returns_far_fewer(shapes):
    library, _, _ = shapes
    real = library.search("a red circle", k=200)
    nonsense = library.search("xqzv invoice spreadsheet", k=200)
    assert len(nonsense.hits) <= len(real.hits) / 3, (len(nonsense.hits), len(real.hits))
    assert nonsense.weaker > 150


def test_strictness_moves_the_cut_off(shapes):
    library, _, _ = shapes
    counts = [len(library.search("a yellow star", k=200, strictness=s).hits) for s in (1, 3, 5)]
    assert counts[0] >= counts[1] >= counts[2] and counts[0] > counts[2], counts


def test_calibration_is_measured_once_per_model_and_stored(shapes):
    library, _, _ = shapes
    library.search("a red circle")
    stored = (library.paths.data / "relevance.json").read_text()
    assert library.store.model_id in stored
    fresh = new_library(library.paths.data, library.embedder.spec.weights)
    assert fresh._calibration(fresh.embedder, fresh.store) == library._calibration(
        library.embedder, library.store)


def test_hits_carry_id_folder_score_and_distance(shapes):
    library, root, _ = shapes
    result = library.search("a blue square", k=5, include_weaker=True)
    again = library.search("a blue square", k=5)
    assert result.query_id == again.query_id != library.search("a green square").query_id
    for hit in result.hits:
        assert hit.photo.id == photo_id(hit.photo.path) and len(hit.photo.id) == 16
        assert hit.photo.folder in (str(root), str(root / "Holidays 2023"))
        assert math.isclose(hit.distance, math.sqrt(2 - 2 * hit.score), rel_tol=1e-6)


def test_k_is_validated(shapes):
    library, _, _ = shapes
    for k in (0, -1, 1001):
        with pytest.raises(QueryError, match="between 1 and 1000"):
            library.search("a red circle", k=k)
    assert len(library.search("a red circle", k=1000, include_weaker=True).hits) == 400


def test_an_empty_library_says_nothing_is_indexed(tmp_path, tiny_weights):
    result = new_library(tmp_path, tiny_weights).search("a red circle")
    assert result.indexed == 0 and result.hits == ()


def test_filters_by_type_date_and_folder(shapes):
    library, root, truth = shapes
    pngs = library.search("a circle type:png", k=50, include_weaker=True)
    assert pngs.hits and all(h.photo.path.endswith(".png") for h in pngs.hits)
    jpegs = library.search("a circle", k=50, include_weaker=True,
                           search_filter=SearchFilter(types=("jpg",)))
    assert jpegs.hits and all(h.photo.path.endswith(".jpg") for h in jpegs.hits)
    recent = library.search("a circle after:2023-01", k=200, include_weaker=True)
    assert len(recent.hits) == 100 and all(h.photo.taken_at.year == 2023 for h in recent.hits)
    older = library.search("a circle before:2022", k=400, include_weaker=True)
    assert len(older.hits) == 300
    by_name = library.search("a circle in:holidays_2023", k=400, include_weaker=True)
    assert {h.photo.folder for h in by_name.hits} == {str(root / "Holidays 2023")}
    assert len(by_name.hits) == 100


def test_folders_outside_the_library_or_unknown_are_errors(shapes, tmp_path):
    library, _, _ = shapes
    with pytest.raises(QueryError, match="not in the library"):
        library.search(f'a circle in:"{tmp_path}"')
    with pytest.raises(NotFoundError, match="no folder named"):
        library.search("a circle in:birthdays")


def test_a_query_naming_a_folder_is_scoped_to_it(shapes):
    library, root, _ = shapes
    result = library.search("a red circle from Hólidays-2023", k=400, include_weaker=True)
    assert result.auto_folders == (str(root / "Holidays 2023"),)
    assert {h.photo.folder for h in result.hits} == {str(root / "Holidays 2023")}
    assert result.query.parts[0].text == "a red circle"
    everywhere = library.search("a red circle from Hólidays-2023", k=400, include_weaker=True,
                                auto_folder=False)
    assert everywhere.auto_folders == () and len(everywhere.hits) == 400


@pytest.mark.parametrize("query,shape,colour", [("circle -red", "circle", "red"),
                                               ("a star -yellow", "star", "yellow"),
                                               ("triangle -green", "triangle", "green")])
def test_excluded_parts_leave_their_photos_out(shapes, query, shape, colour):
    library, _, truth = shapes
    plain = kinds(library.search(query.split(" -")[0], k=40, include_weaker=True).hits, truth)
    hits = kinds(library.search(query, k=20, include_weaker=True).hits, truth)
    assert not [k for k in hits if k.startswith(colour)], hits
    assert sum(k.endswith(shape) for k in hits) >= 18, hits
    assert any(k.startswith(colour) for k in plain)  # without the exclusion they do show up


def test_required_parts_keep_only_their_photos(shapes):
    library, _, truth = shapes
    red_circles = sum(f"{s.colour} {s.shape}" == "red circle" for s in truth.values())
    hits = kinds(library.search("circle +red", k=red_circles, include_weaker=True).hits, truth)
    plain = kinds(library.search("circle", k=red_circles, include_weaker=True).hits, truth)
    assert hits.count("red circle") >= 0.7 * red_circles > plain.count("red circle"), (hits, plain)
    assert all(k.endswith("circle") for k in hits)


def test_weights_and_quoted_parts_mix(shapes):
    library, _, truth = shapes
    star_heavy = kinds(library.search('3:"a star" "a red circle"', k=10, include_weaker=True).hits, truth)
    circle_heavy = kinds(library.search('"a star" 3:"a red circle"', k=10, include_weaker=True).hits, truth)
    assert sum(k.endswith("star") for k in star_heavy) > sum(k.endswith("star") for k in circle_heavy)
    assert sum(k == "red circle" for k in circle_heavy) > sum(k == "red circle" for k in star_heavy)


def test_text_and_a_query_image_combine(shapes):
    library, _, truth = shapes
    from photofinder.query import ImagePart, parse_query

    image = next(p for p, s in truth.items() if s.colour == "blue" and s.shape == "square")
    query = parse_query("a red square").with_images([ImagePart(image)])
    hits = kinds(library.search(query, k=10, include_weaker=True).hits, truth)
    assert sum(k.endswith("square") for k in hits) >= 8, hits
    assert {"red square", "blue square"} <= set(hits), hits


@pytest.fixture
def own_copy(shapes, tmp_path):
    """The module's library copied (index and user store), for tests that change it."""
    import shutil

    library, root, truth = shapes
    shutil.copytree(library.paths.data, tmp_path / "home")
    return new_library(tmp_path / "home", library.embedder.spec.weights), truth


def ranks(hits, truth, kind):
    return [i for i, k in enumerate(kinds(hits, truth)) if k == kind]


def test_feedback_raises_the_wanted_photos(own_copy):
    library, truth = own_copy
    before = library.search("a circle", k=60, include_weaker=True)
    paths = lambda hits: [h.photo.path for h in hits]  # noqa: E731
    unrelated = paths(library.search("a blue square", k=10, include_weaker=True).hits)
    shown = kinds(before.hits, truth)
    unwanted = shown[0]
    counts = {k: shown.count(k) for k in set(shown) if k.endswith("circle") and k != unwanted}
    wanted = max(counts, key=lambda k: (counts[k], -shown.index(k)))  # many, ranked low
    good = [p for p, s in truth.items() if f"{s.colour} {s.shape}" == wanted][:2]
    bad = [h.photo.path for h in before.hits if kinds([h], truth)[0] == unwanted][:2]
    for path in good:
        library.feedback(before.query_id, path, 10)
    library.feedback(before.query_id, library.photo(bad[0]).id, 1)  # by id works too
    library.feedback(before.query_id, bad[1], 2)
    after = library.search("a circle", k=60, include_weaker=True)
    rest = lambda hits: [h for h in hits if h.photo.path not in good]  # noqa: E731
    top = lambda hits, kind: kinds(rest(hits)[:10], truth).count(kind)  # noqa: E731
    assert top(after.hits, wanted) > top(before.hits, wanted), (shown[:10], kinds(after.hits, truth)[:10])
    assert top(after.hits, unwanted) < top(before.hits, unwanted)
    mean_rank = lambda hits: sum(ranks(rest(hits), truth, wanted)) / len(ranks(rest(hits), truth, wanted))  # noqa: E731
    assert mean_rank(after.hits) < mean_rank(before.hits)

    alike = library.search("a circle.", k=60, include_weaker=True)  # another query, close to it
    assert alike.query_id != before.query_id
    assert top(alike.hits, wanted) > top(before.hits, wanted)
    assert paths(library.search("a blue square", k=10, include_weaker=True).hits) == unrelated

    again = new_library(library.paths.data, library.embedder.spec.weights)  # kept on disk
    assert top(again.search("a circle", k=60, include_weaker=True).hits, wanted) == top(after.hits, wanted)


def test_feedback_needs_a_known_query_photo_and_rating(own_copy):
    library, truth = own_copy
    result = library.search("a red circle", k=3, include_weaker=True)
    path = result.hits[0].photo.path
    with pytest.raises(QueryError, match="1 to 10"):
        library.feedback(result.query_id, path, 11)
    with pytest.raises(NotFoundError, match="unknown query id"):
        library.feedback("0123456789abcdef", path, 8)
    with pytest.raises(NotFoundError, match="no indexed photo"):
        library.feedback(result.query_id, "/nowhere/x.jpg", 8)
    fresh = new_library(library.paths.data, library.embedder.spec.weights)  # another process
    assert fresh.feedback(result.query_id, path, 8).query_text == "a red circle"


def test_each_query_image_gets_its_own_results(shapes):
    library, _, truth = shapes
    from photofinder.query_runner import images_query

    circle = next(p for p, s in truth.items() if s.colour == "red" and s.shape == "circle")
    star = next(p for p, s in truth.items() if s.colour == "yellow" and s.shape == "star")
    each = library.search_each(images_query([circle, star]), k=5, include_weaker=True)
    assert len(each) == 2 and all(len(r.hits) == 5 for r in each)
    assert kinds(each[0].hits, truth).count("red circle") >= 3
    assert kinds(each[1].hits, truth).count("yellow star") >= 3
    assert circle not in [h.photo.path for h in each[0].hits]


@pytest.fixture(scope="module")
def geotagged(tmp_path_factory, tiny_weights, module_env):
    """32 JPEG shapes: Pixel 7s in Paris, Nikons in New York, no EXIF, Pixel 6as with broken GPS."""
    root = tmp_path_factory.mktemp("geotagged")
    kinds = write_geotagged(root)
    library = new_library(tmp_path_factory.mktemp("geohome"), tiny_weights)
    library.add_folder(root)
    changes = library.index()
    assert len(changes.added) == 32 and not changes.problems  # a broken GPS tag fails nothing
    return library, kinds


def found(library, text, k=100, **options) -> set[str]:
    return {h.photo.path for h in library.search(text, k, include_weaker=True, **options).hits}


def test_camera_filter_matches_make_and_model_in_any_case(geotagged):
    library, kinds = geotagged
    assert found(library, "a shape camera:pixel") == kinds.pixels
    assert found(library, "a shape camera:NIKON") == set(kinds.new_york)
    assert found(library, 'a shape camera:"pixel 7"') == set(kinds.paris)
    assert found(library, "a shape camera:canon") == set()
    hit = library.search("a shape camera:nikon", 1, include_weaker=True).hits[0]
    assert hit.photo.camera == "Nikon D750" and hit.photo.location[0] == pytest.approx(40.71, abs=0.1)


def test_location_filters_keep_photos_with_a_position_near_the_place(geotagged):
    library, kinds = geotagged
    assert found(library, "a shape has:location") == set(kinds.paris) | set(kinds.new_york)
    assert found(library, "a shape near:paris") == set(kinds.paris)
    assert found(library, 'a shape near:"new york"') == set(kinds.new_york)
    assert found(library, "a shape near:london") == set()
    lat, lon = PARIS
    # the photos are STEP (~222 m) apart going north: within 1 km of the first, the first five
    assert found(library, f"a shape near:{lat},{lon}~1km") == set(kinds.paris[:5])
    assert found(library, "a shape near:paris camera:nikon") == set()
    with pytest.raises(QueryError, match="did you mean Paris"):
        library.search("a shape near:pariss")


def test_location_filters_list_the_same_photos_as_they_search(geotagged):
    from photofinder.places import resolve_place

    library, kinds = geotagged
    for search_filter in (SearchFilter(near=resolve_place("paris~5km")), SearchFilter(has_location=True),
                          SearchFilter(cameras=("PIXEL", "d750"))):
        listed = {p.path for p in library.photos(search_filter)}
        assert listed == found(library, "a shape", search_filter=search_filter)
    assert {p.path for p in library.photos(SearchFilter(cameras=("pixel",)))} == kinds.pixels
    assert all(p.location is None for p in library.photos() if p.path in kinds.broken)

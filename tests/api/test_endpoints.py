"""Every endpoint answering as documented, against a real server and the tiny model."""

from __future__ import annotations

import io
import stat
from collections import Counter

from PIL import Image

from photofinder.records import photo_id
from photofinder_testing.tinymodel.shapes import ShapeSpec, draw


def _jpeg(spec: ShapeSpec, seed: int = 0) -> bytes:
    import numpy as np

    out = io.BytesIO()
    draw(spec, 256, np.random.default_rng(seed)).save(out, "JPEG")
    return out.getvalue()


def test_health_needs_no_token_and_status_tells_what_is_indexed(served):
    assert served.call("GET", "/api/health", token=None).json() == {"status": "ok"}
    status = served.call("GET", "/api/status").json()
    assert status["photos"] == 40 and status["folders"] == [str(served.folder)]
    assert status["model"].startswith("pf-tiny-shapes") and status["device"] == "cpu"
    assert status["index_bytes"] > 0 and status["version"]


def test_text_search_ranks_by_meaning_and_returns_what_scripts_need(served):
    kinds = Counter((spec.colour, spec.shape) for spec in served.photos.values())
    (colour, shape), count = kinds.most_common(1)[0]
    assert count >= 3
    answer = served.call("POST", "/api/search", json={"query": f"a {colour} {shape}", "k": 3}).json()
    assert len(answer["results"]) == 3 and answer["query_id"] and answer["took_ms"] >= 0
    top = answer["results"][0]
    assert set(top) == {"id", "path", "folder", "score", "distance", "width", "height", "taken_at",
                        "camera", "location"}
    assert all((served.photos[hit["path"]].colour, served.photos[hit["path"]].shape) == (colour, shape)
               for hit in answer["results"])
    assert top["id"] == photo_id(top["path"]) and top["folder"] == str(served.folder)
    assert abs(top["distance"] ** 2 - (2 - 2 * top["score"])) < 1e-4
    default = served.call("POST", "/api/search", json={"query": "circle", "all": True}).json()
    assert len(default["results"]) == 5 and default["weaker"] == 0 and default["indexed"] == 40
    strict = served.call("POST", "/api/search", json={"query": "circle"}).json()
    assert len(strict["results"]) + strict["weaker"] == 5  # weaker matches are counted, not shown


def test_search_results_come_in_the_order_asked(served):
    ask = {"query": "circle", "all": True, "k": 30}
    ranked = served.call("POST", "/api/search", json=ask).json()["results"]
    by_date = served.call("POST", "/api/search", json={**ask, "sort": "date"}).json()["results"]
    by_name = served.call("POST", "/api/search", json={**ask, "sort": "name"}).json()["results"]
    assert sorted(h["id"] for h in by_date) == sorted(h["id"] for h in ranked)
    assert [h["taken_at"] for h in by_date] == sorted((h["taken_at"] for h in by_date), reverse=True)
    names = [h["path"].rsplit("/", 1)[-1].casefold() for h in by_name]
    assert names == sorted(names)
    assert served.call("POST", "/api/search", json={**ask, "sort": "size"}).status_code in (400, 422)


def test_search_filters_by_folder_and_date(served, tmp_path):
    outside = served.call("POST", "/api/search", json={"query": "circle", "folder": str(tmp_path)})
    assert outside.status_code == 400 and "not in the library" in outside.json()["detail"]
    inside = served.call("POST", "/api/search", json={"query": "circle", "folder": str(served.folder)})
    assert len(inside.json()["results"]) >= 1
    future = served.call("POST", "/api/search", json={"query": "circle", "after": "2999-01-01T00:00:00Z"})
    assert future.json()["results"] == []
    past = served.call("POST", "/api/search", json={"query": "circle", "before": "2999-01-01",
                                                     "all": True})
    assert len(past.json()["results"]) == 5


def test_search_filters_by_camera_and_place(served):
    """The shapes carry no EXIF: every camera and place filter leaves none of them."""
    every = served.call("POST", "/api/search", json={"query": "circle", "all": True}).json()["results"]
    assert every and every[0]["camera"] is None and every[0]["location"] is None
    for asked in ({"camera": ["pixel"]}, {"has_location": True}, {"near": "paris~50km"},
                  {"near": "48.85,2.35"}):
        found = served.call("POST", "/api/search", json={"query": "circle", "all": True, **asked})
        assert found.status_code == 200 and found.json()["results"] == [], asked
    unknown = served.call("POST", "/api/search", json={"query": "circle", "near": "xqzvburg"})
    assert unknown.status_code == 400 and "no city called" in unknown.json()["detail"]


def test_search_by_image_combined_and_per_image(served):
    first, second = sorted(served.photos)[:2]
    files = [("images", ("first.jpg", open(first, "rb").read(), "image/jpeg")),
             ("images", ("second.jpg", open(second, "rb").read(), "image/jpeg"))]
    each = served.call("POST", "/api/search_by_image", files=files, data={"k": "3", "each": "true"})
    assert each.status_code == 200, each.text
    groups = each.json()["groups"]
    assert [g["image"] for g in groups] == ["first.jpg", "second.jpg"]
    assert all(len(g["results"]) == 3 for g in groups)
    assert [g["results"][0]["path"] for g in groups] == [first, second]  # itself, first
    assert groups[0]["results"][0]["score"] > 0.99
    combined = served.call("POST", "/api/search_by_image", files=files, data={"k": "4"})
    assert len(combined.json()["results"]) == 4
    assert {first, second} & {hit["path"] for hit in combined.json()["results"][:2]}


def test_embed_text_and_image_give_unit_vectors_of_the_model(served):
    text = served.call("POST", "/api/embed", json={"text": "a red circle"}).json()
    image = served.call("POST", "/api/embed", files={
        "image": ("c.jpg", _jpeg(ShapeSpec(colour="red", shape="circle", size="large",
                                           background="white")), "image/jpeg")}).json()
    assert text["model"] == image["model"] and text["model"].startswith("pf-tiny-shapes")
    for vector in (text["vector"], image["vector"]):
        assert len(vector) == len(text["vector"]) > 0
        assert abs(sum(v * v for v in vector) - 1) < 1e-3
    assert sum(a * b for a, b in zip(text["vector"], image["vector"])) > 0


def test_feedback_with_the_search_token_is_accepted(served):
    answer = served.call("POST", "/api/search", json={"query": "a green star", "k": 3, "all": True}).json()
    rated = served.call("POST", "/api/feedback", json={
        "query_id": answer["query_id"], "photo_id": answer["results"][1]["id"], "rating": 9,
        "token": answer["feedback_token"]})
    assert rated.status_code == 200, rated.text
    assert rated.json() == {"query_id": answer["query_id"], "photo_id": answer["results"][1]["id"],
                            "rating": 9}
    stored = served.library.user_data.feedback(answer["query_id"])
    assert [(f.path, f.rating, f.query_text) for f in stored] == [
        (answer["results"][1]["path"], 9, "a green star")]
    assert len(stored[0].vector) > 0


def test_photo_metadata_thumbnail_and_file_by_id(served):
    path = sorted(served.photos)[0]
    pid = photo_id(path)
    info = served.call("GET", f"/api/photos/{pid}").json()
    assert info["path"] == path and info["width"] == 256 and info["id"] == pid
    assert info["camera"] is None and info["location"] is None  # the shapes carry no EXIF
    thumb = served.call("GET", f"/api/photos/{pid}/thumbnail")
    assert thumb.headers["content-type"] == "image/jpeg"
    assert max(Image.open(io.BytesIO(thumb.content)).size) <= 256
    original = served.call("GET", f"/api/photos/{pid}/file")
    assert original.headers["content-type"] == "image/jpeg"
    with open(path, "rb") as fh:
        assert original.content == fh.read()


def test_metrics_in_prometheus_format(served):
    served.call("POST", "/api/search", json={"query": "a cross"})
    text = served.call("GET", "/metrics").text
    assert 'photofinder_http_requests_total{endpoint="/api/search",method="POST",status="200"}' in text
    assert 'photofinder_http_request_seconds_bucket{endpoint="/api/search"' in text
    assert 'photofinder_search_seconds_count{kind="text"}' in text
    assert "photofinder_photos_indexed 40.0" in text
    assert "photofinder_index_bytes" in text and "process_resident_memory_bytes" in text
    assert "photofinder_model_seconds" in text


def test_openapi_and_docs(served):
    schema = served.call("GET", "/api/openapi.json", token=None).json()
    assert {"/api/search", "/api/search_by_image", "/api/embed", "/api/feedback",
            "/api/photos/{photo_id}/file", "/api/health", "/api/status"} <= set(schema["paths"])
    assert "swagger" in served.call("GET", "/api/docs", token=None).text.lower()


def test_the_token_file_is_private_and_long(served):
    token_file = served.library.paths.data / "api-token"
    assert stat.S_IMODE(token_file.stat().st_mode) == 0o600
    assert len(served.token) >= 43  # 32 random bytes, base64: 256 bits
    secret = served.library.paths.data / "api-secret"
    assert stat.S_IMODE(secret.stat().st_mode) == 0o600

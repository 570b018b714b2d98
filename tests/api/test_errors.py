"""Bad requests of every kind get a JSON {"error", "detail"} with the right status code,
and the server keeps answering: the list of bad inputs in the issue's closing note."""

from __future__ import annotations

import io
import os
import socket
import struct
import zlib

import pytest
import requests
from PIL import Image

from photofinder.api.auth import FeedbackTokens
from photofinder.records import photo_id

from helpers.api_server import start_server


def _error(response, status: int) -> dict:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error", "detail"} and body["detail"]
    assert "Traceback" not in response.text
    return body


def _search(served, **body):
    return served.call("POST", "/api/search", json=body)


def test_auth_missing_or_wrong_token_is_401(served):
    assert _error(served.call("GET", "/api/status", token=None), 401)
    assert _error(served.call("GET", "/api/status", token="wrong"), 401)
    basic = served.call("GET", "/metrics", token=None, headers={"Authorization": "Basic eDp5"})
    assert _error(basic, 401) and basic.headers["www-authenticate"] == "Bearer"
    for path in ("/api/photos/abc", "/api/photos/abc/file", "/api/photos/abc/thumbnail"):
        _error(served.call("GET", path, token=None), 401)
    _error(served.call("POST", "/api/search", token=None, json={"query": "a"}), 401)


@pytest.mark.parametrize("body", [
    {"query": "circle", "k": 0}, {"query": "circle", "k": 101}, {"query": "circle", "k": "many"},
    {"query": ""}, {"k": 5}, {"query": "circle", "colour": "red"}, {"query": 5},
    {"query": "circle", "after": "last tuesday"}, {"query": "x" * 2001},
])
def test_invalid_search_bodies_are_400(served, body):
    _error(_search(served, **body), 400)


def test_malformed_json_and_wrong_media_types(served):
    _error(served.call("POST", "/api/search", data=b"{not json",
                       headers={"Content-Type": "application/json"}), 400)
    _error(served.call("POST", "/api/search", data=b"", headers={"Content-Type": "application/json"}), 400)
    _error(served.call("POST", "/api/embed", data=b"hello", headers={"Content-Type": "text/plain"}), 415)
    _error(served.call("POST", "/api/embed", json={"text": "   "}), 400)
    _error(served.call("POST", "/api/embed", json={"txt": "circle"}), 400)
    _error(served.call("POST", "/api/search_by_image", data={"k": "3"}), 400)  # no images
    _error(served.call("DELETE", "/api/search"), 405)
    _error(served.call("GET", "/api/nothing-here"), 404)


def test_uploads_that_are_not_images_truncated_or_bombs(served):
    def search_by(name: str, data: bytes):
        return served.call("POST", "/api/search_by_image", files={"images": (name, data, "image/jpeg")})

    _error(search_by("notes.jpg", b"just some text, not a photo"), 415)
    pdf = {"image": ("x.pdf", b"%PDF-1.4 ...", "application/pdf")}
    _error(served.call("POST", "/api/embed", files=pdf), 415)
    whole = io.BytesIO()
    Image.new("RGB", (800, 600), "orange").save(whole, "JPEG")
    _error(search_by("cut.jpg", whole.getvalue()[:300]), 400)  # truncated JPEG
    _error(search_by("empty.jpg", b""), 400)
    _error(search_by("bomb.png", _png_bomb(30_000, 30_000)), 413)  # 900 MP in a few KB
    _error(search_by("wide.png", _png_bomb(60_000, 1_000)), 413)  # 60 MP: over the query limit
    assert served.call("GET", "/api/health").json() == {"status": "ok"}


def test_request_over_the_upload_limit_is_413(served):
    big = b"\xff\xd8\xff" + b"\0" * 51_000_000
    _error(served.call("POST", "/api/search_by_image", files={"images": ("big.jpg", big, "image/jpeg")}), 413)

    def chunks():  # no Content-Length: counted while read
        yield (b'--x\r\nContent-Disposition: form-data; name="image"; filename="a.jpg"\r\n'
               b"Content-Type: image/jpeg\r\n\r\n\xff\xd8\xff")
        for _ in range(60):
            yield b"\0" * 1_000_000

    chunked = served.call("POST", "/api/embed", data=chunks(),
                          headers={"Content-Type": "multipart/form-data; boundary=x"})
    _error(chunked, 413)


def test_a_truncated_upload_does_not_hang_or_crash_the_server(served):
    host, port = served.url.removeprefix("http://").split(":")
    for _ in range(3):
        with socket.create_connection((host, int(port)), timeout=10) as sock:
            sock.sendall(b"POST /api/search_by_image HTTP/1.1\r\nHost: x\r\n"
                         b"Authorization: Bearer " + served.token.encode() + b"\r\n"
                         b"Content-Type: multipart/form-data; boundary=b\r\n"
                         b"Content-Length: 100000\r\n\r\n--b\r\nContent-Disposition: form-data; "
                         b'name="images"; filename="a.jpg"\r\n\r\n\xff\xd8\xff')
    assert served.call("GET", "/api/status").status_code == 200


def test_unknown_photos_are_404_and_no_path_leaves_the_index(served, tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("private")
    for bad in ("0123456789abcdef", "..%2F..%2Fetc%2Fpasswd", "%2Fetc%2Fpasswd",
                "..", "%2e%2e%2f%2e%2e%2fetc%2fpasswd", photo_id(str(secret)),
                photo_id("/etc/passwd"), "a" * 5000):
        for tail in ("", "/thumbnail", "/file"):
            response = served.call("GET", f"/api/photos/{bad}{tail}")
            assert response.status_code in (404, 405), (bad, tail, response.status_code)
            assert "private" not in response.text and "root:" not in response.text
    raw = _raw_get(served, "/api/photos/../../../../etc/passwd")
    assert b"root:" not in raw and raw.split(b" ")[1] in (b"404", b"400")


def test_symlinks_out_of_the_library_are_never_served(served, tmp_path):
    outside = tmp_path / "outside.jpg"
    Image.new("RGB", (64, 64), "purple").save(outside)
    link = served.folder / "link-out.jpg"
    link.symlink_to(outside)
    swapped_path = sorted(served.photos)[-1]
    try:
        served.library.index([str(served.folder)])
        linked = served.library.photo(photo_id(str(link)))  # indexed, under the library's name
        _error(served.call("GET", f"/api/photos/{linked.id}/file"), 404)
        _error(served.call("GET", f"/api/photos/{linked.id}/thumbnail"), 404)
        # An indexed photo replaced by a symlink to a private file after indexing
        secret = tmp_path / "secret.jpg"
        secret.write_bytes(b"\xff\xd8\xff private bytes")
        original = swapped_path + ".orig"
        os.rename(swapped_path, original)
        os.symlink(secret, swapped_path)
        try:
            answer = served.call("GET", f"/api/photos/{photo_id(swapped_path)}/file")
            _error(answer, 404)
            assert b"private" not in answer.content
        finally:
            os.unlink(swapped_path)
            os.rename(original, swapped_path)
    finally:
        link.unlink()
        served.library.forget(str(link))


def test_feedback_tokens_forged_expired_or_mismatched_are_403(served):
    answer = served.call("POST", "/api/search", json={"query": "a yellow circle", "k": 2,
                                                       "all": True}).json()
    qid, shown = answer["query_id"], answer["results"][0]["id"]

    def rate(token: str, query_id: str = qid, photo: str = shown, rating: int = 7):
        return served.call("POST", "/api/feedback", json={
            "query_id": query_id, "photo_id": photo, "rating": rating, "token": token})

    forged = FeedbackTokens("not the install's secret, but long enough").issue(qid, [shown])
    assert "not valid" in _error(rate(forged), 403)["detail"]
    secret = (served.library.paths.data / "api-secret").read_text().strip()
    expired = FeedbackTokens(secret, lifetime=-60).issue(qid, [shown])
    assert "expired" in _error(rate(expired), 403)["detail"]
    assert "another query" in _error(rate(answer["feedback_token"], query_id="f" * 32), 403)["detail"]
    not_shown = next(photo_id(p) for p in served.photos if photo_id(p) not in
                     {r["id"] for r in answer["results"]})
    _error(rate(answer["feedback_token"], photo=not_shown), 403)
    _error(rate("garbage.token.here"), 403)
    token = answer["feedback_token"]
    tampered = token[:-3] + ("AAA" if not token.endswith("AAA") else "BBB")
    _error(rate(tampered), 403)
    _error(rate(answer["feedback_token"], rating=11), 400)
    _error(rate(answer["feedback_token"], rating=0), 400)
    gone = FeedbackTokens(secret).issue(qid, ["0000000000000000"])
    _error(rate(gone, photo="0000000000000000"), 404)
    unknown = FeedbackTokens(secret).issue("f" * 16, [shown])  # signed, but no such search
    assert "unknown query" in _error(rate(unknown, query_id="f" * 16), 404)["detail"]
    assert rate(answer["feedback_token"]).status_code == 200


def test_internal_errors_are_500_without_a_traceback(served, monkeypatch, caplog):
    def broken():
        raise RuntimeError("a bug with a secret path /home/someone")

    monkeypatch.setattr(served.library, "status", broken)
    body = _error(served.call("GET", "/api/status"), 500)
    assert "/home/someone" not in body["detail"]
    assert any("a bug with a secret path" in str(r.exc_info) for r in caplog.records if r.exc_info)


def test_clients_over_the_rate_limit_get_429(served):
    server = start_server(served.library, rate=1, burst=3)
    try:
        statuses = [requests.get(server.url + "/api/health", timeout=30).status_code for _ in range(8)]
        assert statuses[:3] == [200, 200, 200] and 429 in statuses
        limited = requests.get(server.url + "/api/health", timeout=30)
        assert limited.status_code == 429 and limited.json()["error"] == "too many requests"
        assert limited.headers["retry-after"] == "1"
    finally:
        server.stop()


def test_indexing_through_the_api_rejects_what_is_not_a_folder(served, tmp_path):
    _error(served.call("POST", "/api/index", json={"paths": [str(tmp_path / "absent")]}), 404)
    (tmp_path / "file.txt").write_text("not a folder")
    _error(served.call("POST", "/api/index", json={"paths": [str(tmp_path / "file.txt")]}), 400)
    _error(served.call("POST", "/api/index", json={"paths": []}), 400)


def _raw_get(served, path: str) -> bytes:
    host, port = served.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=30) as sock:
        sock.sendall(f"GET {path} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {served.token}\r\n"
                     "Connection: close\r\n\r\n".encode())
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    return data


def _png_bomb(width: int, height: int) -> bytes:
    """A valid PNG header for a huge grey image, with a few rows of data: Pillow learns
    its size without decoding, which is how a decompression bomb is caught."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))

    rows = zlib.compress(b"\0" * (width + 1) * 4)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
            + chunk(b"IDAT", rows) + chunk(b"IEND", b""))

"""Weights downloads against a real HTTP server on 127.0.0.1 that answers as the Hugging Face
Hub does (HEAD: size and SHA-256; GET: ranges): resume, restart, cancel, checksum, lock, errors."""

from __future__ import annotations

import errno
import hashlib
import multiprocessing
import re
import socket
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from photofinder import weights
from photofinder.errors import DownloadCancelled, DownloadError
from photofinder.weights import download, ensure_pretrained, weights_urls
from helpers.hub_server import PAYLOAD, running_hub

ARCH, TAG = "ViT-B-32", "laion2b_s34b_b79k"
@pytest.fixture
def server():
    with running_hub() as running:
        yield running


@pytest.fixture(autouse=True)
def no_proxy(monkeypatch):
    """Talk to 127.0.0.1 directly, whatever proxy the machine is set up with."""
    monkeypatch.setenv("no_proxy", "*")
    monkeypatch.setenv("NO_PROXY", "*")


@pytest.fixture
def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def part_of(dest: Path) -> Path:
    return dest.with_name(dest.name + ".part")


def test_full_download_matches_payload_and_reports_progress(server, tmp_path):
    dest = tmp_path / "w" / "model.bin"
    calls = []
    started = time.monotonic()
    path = download(f"{server.base}/model.bin", dest, lambda *call: calls.append(call))
    assert path == dest
    elapsed = time.monotonic() - started
    assert dest.read_bytes() == PAYLOAD
    assert not part_of(dest).exists()
    assert calls[-1] == (len(PAYLOAD), len(PAYLOAD))
    assert len(calls) <= 3 + 10 * elapsed


def test_dropped_connection_keeps_part_and_next_call_resumes(server, tmp_path):
    dest = tmp_path / "model.bin"
    server.drop_after = 1_000_000
    with pytest.raises(DownloadError, match="connection was lost.*resume") as caught:
        download(f"{server.base}/model.bin", dest)
    assert "\n" not in str(caught.value)
    assert not dest.exists()
    size = part_of(dest).stat().st_size
    assert 0 < size < len(PAYLOAD)

    download(f"{server.base}/model.bin", dest)
    assert server.requests[-1] == ("/model.bin", f"bytes={size}-")
    assert dest.read_bytes() == PAYLOAD
    assert not part_of(dest).exists()


def test_server_ignoring_range_restarts_from_zero(server, tmp_path):
    dest = tmp_path / "model.bin"
    part_of(dest).write_bytes(b"stale bytes that must not end up in the file")
    server.ignore_range = True
    download(f"{server.base}/model.bin", dest)
    assert server.requests[-1][1] is not None
    assert dest.read_bytes() == PAYLOAD


def test_complete_part_is_finished_on_416(server, tmp_path):
    dest = tmp_path / "model.bin"
    part_of(dest).write_bytes(PAYLOAD)
    download(f"{server.base}/model.bin", dest)
    assert dest.read_bytes() == PAYLOAD
    assert len(server.requests) == 1


def test_oversized_part_is_discarded_on_416(server, tmp_path):
    dest = tmp_path / "model.bin"
    part_of(dest).write_bytes(PAYLOAD + b"junk")
    download(f"{server.base}/model.bin", dest)
    assert [wanted for _, wanted in server.requests] == [f"bytes={len(PAYLOAD) + 4}-", None]
    assert dest.read_bytes() == PAYLOAD


def test_cancel_raises_and_keeps_part(server, tmp_path):
    dest = tmp_path / "model.bin"
    checks = iter(range(1000))
    with pytest.raises(DownloadCancelled):
        # the first check is made while taking the download lock, then one per chunk
        download(f"{server.base}/model.bin", dest, cancel=lambda: next(checks) >= 4)
    assert not dest.exists()
    assert part_of(dest).stat().st_size == 3 * weights.CHUNK_BYTES


def test_missing_safetensors_falls_back_to_bin(server, tmp_path, monkeypatch):
    monkeypatch.setenv("PHOTOFINDER_DOWNLOAD_BASE", server.base)
    safetensors, pytorch_bin = weights_urls(ARCH, TAG)
    server.missing.add(urlsplit(safetensors).path)
    path = ensure_pretrained(ARCH, TAG, tmp_path / "models")
    assert path == tmp_path / "models" / ARCH / TAG / "open_clip_pytorch_model.bin"
    assert path.read_bytes() == PAYLOAD
    asked = [path for path, _ in server.requests]
    assert asked == [urlsplit(pytorch_bin).path]  # the Hub said the first one is not there


def test_not_found_everywhere_names_the_url(server, tmp_path, monkeypatch):
    monkeypatch.setenv("PHOTOFINDER_DOWNLOAD_BASE", server.base)
    urls = weights_urls(ARCH, TAG)
    server.missing.update(urlsplit(url).path for url in urls)
    with pytest.raises(DownloadError, match=f"not found at {re.escape(urls[-1])}"):
        ensure_pretrained(ARCH, TAG, tmp_path / "models")


def test_connection_refused_says_what_to_do_in_one_line(closed_port, tmp_path, monkeypatch):
    monkeypatch.setenv("PHOTOFINDER_DOWNLOAD_BASE", f"http://127.0.0.1:{closed_port}")
    with pytest.raises(DownloadError) as caught:
        ensure_pretrained(ARCH, TAG, tmp_path / "models")
    message = str(caught.value)
    assert message.startswith(f"cannot download {ARCH} weights: no internet connection")
    assert "PHOTOFINDER_WEIGHTS" in message
    assert "\n" not in message


def test_disk_full_names_the_folder(server, tmp_path, monkeypatch):
    def full(fd):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(weights.os, "fsync", full)
    expected = f"cannot write to {re.escape(str(tmp_path))}: No space left"
    with pytest.raises(DownloadError, match=expected):
        download(f"{server.base}/model.bin", tmp_path / "model.bin")


def test_unknown_tag_lists_the_known_ones():
    expected = f"no pretrained weights named 'nope' for model '{ARCH}'; known: .*{TAG}"
    with pytest.raises(DownloadError, match=expected):
        weights_urls(ARCH, "nope")


def test_urls_follow_open_clip_config(monkeypatch):
    monkeypatch.delenv("PHOTOFINDER_DOWNLOAD_BASE", raising=False)
    repo = "https://huggingface.co/laion/CLIP-ViT-B-32-laion2B-s34B-b79K/resolve/main"
    assert weights_urls(ARCH, TAG) == [
        f"{repo}/open_clip_model.safetensors",
        f"{repo}/open_clip_pytorch_model.bin",
    ]
    assert weights_urls("ViTamin-S", "datacomp1b") == [
        "https://huggingface.co/jienengchen/ViTamin-S/resolve/main/pytorch_model.bin"
    ]


def test_cached_file_is_used_without_network(closed_port, tmp_path, monkeypatch):
    monkeypatch.setenv("PHOTOFINDER_DOWNLOAD_BASE", f"http://127.0.0.1:{closed_port}")
    cached = tmp_path / "models" / ARCH / TAG / "open_clip_pytorch_model.bin"
    cached.parent.mkdir(parents=True)
    cached.write_bytes(b"weights")
    assert ensure_pretrained(ARCH, TAG, tmp_path / "models") == cached


def test_download_is_checked_against_the_published_checksum(server, tmp_path, monkeypatch):
    monkeypatch.setenv("PHOTOFINDER_DOWNLOAD_BASE", server.base)
    path = ensure_pretrained(ARCH, TAG, tmp_path / "models")
    assert path.read_bytes() == PAYLOAD
    assert weights.published_checksum(path) == hashlib.sha256(PAYLOAD).hexdigest()


def test_a_damaged_download_never_takes_the_final_name(server, tmp_path, monkeypatch):
    monkeypatch.setenv("PHOTOFINDER_DOWNLOAD_BASE", server.base)
    server.published_sha256 = hashlib.sha256(b"other bytes").hexdigest()
    with pytest.raises(DownloadError, match="arrived damaged") as caught:
        ensure_pretrained(ARCH, TAG, tmp_path / "models")
    folder = tmp_path / "models" / ARCH / TAG
    assert not (folder / "open_clip_model.safetensors").exists()
    assert not part_of(folder / "open_clip_model.safetensors").exists()  # no resuming bad bytes
    assert caught.value.source.file_name == "open_clip_model.safetensors"


def _download_in_child(models: str, base: str, results) -> None:
    import os

    os.environ["PHOTOFINDER_DOWNLOAD_BASE"] = base
    os.environ["no_proxy"] = os.environ["NO_PROXY"] = "*"
    results.put(str(ensure_pretrained(ARCH, TAG, Path(models))))


def test_two_processes_downloading_one_model_fetch_it_once(server, tmp_path):
    server.seconds_per_chunk = 0.05  # 3 MB in 1.5 s: the two runs overlap
    context = multiprocessing.get_context("spawn")
    results = context.Queue()
    children = [context.Process(target=_download_in_child,
                                args=(str(tmp_path / "models"), server.base, results))
                for _ in range(2)]
    for child in children:
        child.start()
    paths = {results.get(timeout=120) for _ in children}
    for child in children:
        child.join(timeout=30)
    assert [child.exitcode for child in children] == [0, 0]
    [path] = paths
    assert Path(path).read_bytes() == PAYLOAD
    assert len(server.requests) == 1  # one body sent; the other process waited for it


def test_an_offline_failure_says_which_file_to_get_and_where(closed_port, tmp_path, monkeypatch):
    monkeypatch.setenv("PHOTOFINDER_DOWNLOAD_BASE", f"http://127.0.0.1:{closed_port}")
    with pytest.raises(DownloadError) as caught:
        ensure_pretrained(ARCH, TAG, tmp_path / "models")
    source = caught.value.source
    assert source.file_name == "open_clip_model.safetensors"
    assert source.page == "https://huggingface.co/laion/CLIP-ViT-B-32-laion2B-s34B-b79K"
    assert source.local_path(tmp_path) == tmp_path / ARCH / TAG / "open_clip_model.safetensors"

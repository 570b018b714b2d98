"""A data folder that cannot take writes (read-only, disk full) gives one clear line
and loses nothing already indexed: the real CLI against real failures, also as root.

Root ignores file permissions, so as root the CLI runs without the capabilities that
let it (CAP_DAC_OVERRIDE...). A full disk and a read-only medium are a tiny tmpfs and
a read-only bind mount inside a private mount namespace, which vanish with it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from photofinder.config import Paths
from photofinder.indexing.indexer import Indexer
from photofinder.library import Library
from photofinder.store import PhotoStore
from photofinder_testing.tinymodel.shapes import write_photos

FIRST_BATCH = 40
MORE = 300  # photos indexed onto the nearly full disk
# Without these capabilities root obeys file permissions like any user (dropping to
# 'nobody' instead would lose the interpreter, often installed below a 0700 /root).
DROP_ROOT_OVERRIDES = ["setpriv", "--bounding-set=-dac_override,-dac_read_search,-fowner"]


def photofinder(*args: str, prefix: list[str] = (), check: bool = True) -> subprocess.CompletedProcess:
    result = subprocess.run([*prefix, sys.executable, "-m", "photofinder", *args],
                            capture_output=True, text=True, timeout=120)
    if check:
        assert result.returncode == 0, result.stderr[-2000:]
    return result


def assert_one_clear_line(result: subprocess.CompletedProcess, cause: str) -> str:
    """Exit status 1 and a single ``photofinder: ...`` line naming the cause, no traceback."""
    lines = result.stderr.strip().splitlines()
    assert result.returncode == 1 and len(lines) == 1, result.stderr[-2000:]
    assert lines[0].startswith("photofinder: ") and cause in lines[0], lines[0]
    return lines[0]


class MountNamespace:
    """A private mount namespace held open by a sleeping process; commands join it."""

    def __init__(self):
        self.holder = subprocess.Popen(["unshare", "--mount", "--propagation", "private",
                                        "sleep", "600"])
        deadline = time.monotonic() + 10
        while os.readlink(f"/proc/{self.holder.pid}/ns/mnt") == os.readlink("/proc/self/ns/mnt"):
            assert time.monotonic() < deadline and self.holder.poll() is None, "unshare failed"
            time.sleep(0.01)  # mounting before unshare() ran would change the real system
        self.prefix = ["nsenter", "-t", str(self.holder.pid), "-m"]

    def run(self, *command: str) -> str:
        return subprocess.run([*self.prefix, *command], check=True, capture_output=True,
                              text=True).stdout

    def path(self, path: Path) -> Path:
        """``path`` as seen from inside the namespace, reachable from outside it."""
        return Path(f"/proc/{self.holder.pid}/root{path}")

    def close(self) -> None:
        self.holder.kill()
        self.holder.wait()


@pytest.fixture
def namespace():
    probe = subprocess.run(["unshare", "--mount", "true"], capture_output=True, text=True) \
        if shutil.which("unshare") and shutil.which("nsenter") else None
    if probe is None or probe.returncode != 0:
        pytest.skip("needs a private mount namespace (root with CAP_SYS_ADMIN, unshare and "
                    f"nsenter) to mount a tmpfs: {probe.stderr.strip() if probe else 'no unshare'}")
    ns = MountNamespace()
    yield ns
    ns.close()


def index_first_batch(data: Path, photos: Path) -> tuple[Library, set[str]]:
    """Index FIRST_BATCH photos into ``data`` here, in the test process."""
    first = {str(path) for path, _ in write_photos(photos, FIRST_BATCH, seed=31)}
    library = Library(Paths(data, data))
    library.add_folder(photos)
    library.load_model()
    assert set(library.index().added) == first
    return library, first


def reopened(library: Library) -> PhotoStore:
    """The index as it is on disk now (an open table does not see other processes' commits)."""
    return PhotoStore(library.paths.index, library.store.model_id, library.store.dimension)


def assert_intact(library: Library, first: set[str]) -> set[str]:
    """Every row of the first batch is there, and the table opens and searches."""
    store = reopened(library)
    paths = {p.path for p in store.photos()}
    assert first <= paths
    hits = store.search(library.embedder.embed_texts(["red circle"])[0], len(paths))
    assert {h.photo.path for h in hits} == paths
    return paths


def set_mode(root: Path, dirs: int, files: int) -> None:
    for parent, _, names in os.walk(root):
        os.chmod(parent, dirs)
        for name in names:
            os.chmod(os.path.join(parent, name), files)


def make_read_only(medium: str, home: Path, request) -> tuple[list[str], str]:
    """Make the data folder unwritable; returns the CLI's prefix and the expected cause."""
    if medium == "permissions":
        if os.geteuid() == 0 and not shutil.which("setpriv"):
            pytest.skip("root needs setpriv (util-linux) to run without CAP_DAC_OVERRIDE")
        set_mode(home, 0o555, 0o444)
        request.addfinalizer(lambda: set_mode(home, 0o755, 0o644))
        return (DROP_ROOT_OVERRIDES if os.geteuid() == 0 else []), "Permission denied"
    namespace = request.getfixturevalue("namespace")
    namespace.run("mount", "--bind", str(home), str(home))
    namespace.run("mount", "-o", "remount,bind,ro", str(home))
    return namespace.prefix, "Read-only file system"


@pytest.fixture(autouse=True)
def fp32(monkeypatch):
    """Skip the bf16 check on every CLI start: precision is not what these tests are about."""
    monkeypatch.setenv("PHOTOFINDER_PRECISION", "fp32")


@pytest.mark.parametrize("medium", ["permissions", "read-only mount"])
def test_read_only_data_folder_gives_one_line_and_keeps_the_index(medium, tiny_model, tmp_path,
                                                                  private_home, request):
    library, first = index_first_batch(private_home, tmp_path / "photos")
    write_photos(tmp_path / "photos" / "later", 10, seed=32)  # something new to write
    prefix, cause = make_read_only(medium, private_home, request)

    line = assert_one_clear_line(photofinder("index", str(tmp_path / "photos"), prefix=prefix,
                                             check=False), cause)
    assert assert_intact(library, first) == first
    assert "LanceError" not in line and ".rs:" not in line, line


def test_full_disk_gives_one_line_and_keeps_committed_rows(tiny_model, tmp_path, private_home,
                                                           namespace):
    namespace.run("mount", "-t", "tmpfs", "-o", "size=8m", "tmpfs", str(private_home))
    inside = namespace.path(private_home)  # the tmpfs, as the test process reaches it
    library, first = index_first_batch(inside, tmp_path / "photos")
    used_kb = int(namespace.run("df", "-k", "--output=used", str(private_home)).split()[-1])
    # room for part of the next run: its rows need about 430 bytes each
    namespace.run("mount", "-o", f"remount,size={used_kb + 96}k", str(private_home))
    write_photos(tmp_path / "more", MORE, seed=33)

    line = assert_one_clear_line(photofinder("index", str(tmp_path / "more"),
                                             prefix=namespace.prefix, check=False),
                                 "No space left")
    assert len(assert_intact(library, first)) < FIRST_BATCH + MORE

    namespace.run("mount", "-o", "remount,size=16m", str(private_home))  # space freed
    Indexer(reopened(library), library.embedder).run([tmp_path / "more"])
    assert len(assert_intact(library, first)) == FIRST_BATCH + MORE
    assert "LanceError" not in line and ".rs:" not in line, line

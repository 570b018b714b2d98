"""Fixtures for the window's tests: offscreen Qt, and no background work left behind.

Like napari's conftest, a test fails if it leaves a pool runnable, a QThread
or a QTimer running; Qt warnings fail a test too (qutebrowser).
"""

from __future__ import annotations

import os
import threading
import weakref

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest
from PySide6.QtCore import QThread, QThreadPool, QTimer

from photofinder.ui.workers import background_pool

POOL_GRACE_MS = 3000
FINITE_THREADS = {"pf-snapshot"}  # one-off work that ends by itself: given the same grace
IGNORED_QT_MESSAGES = ["propagateSizeHints"]  # the offscreen platform says this on every show


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/ui/" in item.nodeid.replace(os.sep, "/"):
            item.add_marker(pytest.mark.filterwarnings("error"))
            item.add_marker(pytest.mark.qt_log_level_fail("WARNING"))
            item.add_marker(pytest.mark.qt_log_ignore(*IGNORED_QT_MESSAGES))


@pytest.fixture(autouse=True)
def no_work_left_running(qapp, monkeypatch):
    """Fail the test if it leaves runnables, QThreads or started QTimers behind."""
    timers: list[weakref.ref] = []
    threads: list[weakref.ref] = []
    timer_start, thread_start = QTimer.start, QThread.start

    def tracked_timer_start(self, *args):
        timers.append(weakref.ref(self))
        return timer_start(self, *args)

    def tracked_thread_start(self, *args):
        threads.append(weakref.ref(self))
        return thread_start(self, *args)

    monkeypatch.setattr(QTimer, "start", tracked_timer_start)
    monkeypatch.setattr(QThread, "start", tracked_thread_start)
    yield
    for pool in (QThreadPool.globalInstance(), background_pool()):
        assert pool.waitForDone(POOL_GRACE_MS), f"{pool.activeThreadCount()} pool runnables still running"
    running_timers = [t() for t in timers if _alive(t) and t().isActive()]
    assert not running_timers, f"timers left running: {[t.objectName() or t for t in running_timers]}"
    running_threads = [t() for t in threads if _alive(t) and t().isRunning()]
    assert not running_threads, f"QThreads left running: {running_threads}"
    for finishing in [t for t in threading.enumerate() if t.name in FINITE_THREADS]:
        finishing.join(POOL_GRACE_MS / 1000)  # a snapshot save of a small index ends soon
    watchers = [t.name for t in threading.enumerate() if t.name.startswith("pf-")]
    assert not watchers, f"photofinder threads left running: {watchers}"


def _alive(ref: weakref.ref) -> bool:
    from shiboken6 import isValid

    obj = ref()
    return obj is not None and isValid(obj)


@pytest.fixture
def messages(qapp):
    from photofinder.ui.messages import Messages

    return Messages()


@pytest.fixture
def make_window(qtbot, messages):
    """Open a window on a fresh Library (PHOTOFINDER_HOME is private to the test)."""
    from photofinder.library import Library
    from photofinder.ui.main_window import MainWindow

    def make():
        window = MainWindow(Library(), messages)
        qtbot.addWidget(window)
        window.show()
        qtbot.waitExposed(window)
        window.start()
        qtbot.waitUntil(lambda: window.library_ctl.is_loaded, timeout=30_000)
        return window

    return make


@pytest.fixture(scope="session")
def shape_folder(tmp_path_factory):
    """120 generated shape photos, written once: (folder, [(path, spec)])."""
    from photofinder_testing.tinymodel.shapes import write_photos

    folder = tmp_path_factory.mktemp("shapes")
    return folder, write_photos(folder, 120, seed=4242)


@pytest.fixture
def wait_until_indexed(qtbot):
    """Wait until indexing is over, the library re-read, and the grid holds ``count`` photos."""
    from photofinder.ui.index_controller import IndexState

    def wait(window, count: int, timeout: int = 60_000) -> None:
        qtbot.waitUntil(
            lambda: window.indexer.state == IndexState.IDLE and not window.library_ctl.reading
            and window.library_ctl.model.rowCount() == count, timeout=timeout)

    return wait


@pytest.fixture
def indexed_window(make_window, tiny_model, shape_folder, wait_until_indexed):
    """A window whose library holds the shape folder, fully indexed."""
    folder, photos = shape_folder
    window = make_window()
    window.add_folder(str(folder))
    wait_until_indexed(window, len(photos))
    return window

"""The worker abstraction: results, yields, quitting and errors all arrive as signals."""

from __future__ import annotations

import os
import sys
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from photofinder.ui.workers import BACKGROUND_NICENESS, Worker


def test_returned_arrives_on_the_gui_thread(qtbot):
    gui = threading.get_ident()
    seen = {}
    worker = Worker(lambda: threading.get_ident())
    worker.returned.connect(lambda value: seen.update(worker=value, slot=threading.get_ident()))
    with qtbot.waitSignal(worker.finished, timeout=5000):
        worker.start()
    assert seen["worker"] != gui
    assert seen["slot"] == gui


def test_generator_yields_and_quits(qtbot):
    gate = threading.Event()

    def count():
        for n in range(1000):
            yield n
            gate.wait(5)  # the GUI thread has seen n
            gate.clear()

    def seen(n):
        if n == 2:
            worker.quit()
        gate.set()

    worker = Worker(count)
    values = []
    worker.yielded.connect(values.append)
    worker.yielded.connect(seen)
    with qtbot.waitSignal(worker.finished, timeout=5000):
        worker.start()
    assert values[:3] == [0, 1, 2]
    assert len(values) <= 4  # quit is checked between yields: at most one more comes


def test_exceptions_become_errored(qtbot):
    def fail():
        raise ValueError("broken")

    worker = Worker(fail)
    with qtbot.waitSignal(worker.errored, timeout=5000) as blocker:
        worker.start()
    assert isinstance(blocker.args[0], ValueError)
    assert blocker.args[0].__traceback__ is not None
    qtbot.waitSignal(worker.finished, timeout=5000, raising=False)


@pytest.mark.parametrize("generator", [False, True])
def test_worker_deletes_itself_when_finished(qtbot, generator):
    from shiboken6 import isValid

    worker = Worker((lambda: (yield 1)) if generator else (lambda: 1))
    with qtbot.waitSignal(worker.finished, timeout=5000):
        worker.start()
    qtbot.waitUntil(lambda: not isValid(worker), timeout=5000)


def niceness() -> int:
    return os.getpriority(os.PRIO_PROCESS, threading.get_native_id())


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="per-thread nice values are Linux's")
def test_background_work_runs_below_the_window_and_quick_work_does_not(qtbot):
    def background():  # and the threads it starts, as indexing starts its decode pool
        with ThreadPoolExecutor(1) as pool:
            return niceness(), pool.submit(niceness).result()

    seen = {}
    for name, fn, flag in (("background", background, True), ("quick", niceness, False)):
        worker = Worker(fn)
        worker.returned.connect(lambda value, name=name: seen.update({name: value}))
        with qtbot.waitSignal(worker.finished, timeout=5000):
            worker.start(background=flag)
    assert min(seen["background"]) >= BACKGROUND_NICENESS
    assert seen["quick"] < BACKGROUND_NICENESS

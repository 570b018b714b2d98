"""What an indexing run has to do: the files that are new or changed since the index saw
them, and the indexed photos whose files are gone.

For a big library that finds little to do, this is the whole cost of a rescan: about
2 s of pure Python for 100,000 files (listing them, then comparing with the index). In
the desktop app that Python competes with the window's thread for the GIL, and the grid
stalled for 50-90 ms while scrolling during the start-up rescan.
``survey_in_child_process`` does the same work in a child process, which sends back
only the differences.
"""

from __future__ import annotations

import logging
import multiprocessing
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import pyarrow as pa

from photofinder.indexing.scanner import scan
from photofinder.records import FileProblem, FileStat
from photofinder.store import python_list

log = logging.getLogger("photofinder.scan")

CHUNK = 2000  # items a message from the child: each is unpickled in ~1 ms
POLL_SECONDS = 0.1  # how often waiting on the child looks at the cancel flag


@dataclass
class Survey:
    todo: list[FileStat] = field(default_factory=list)  # new or changed files, in scan order
    indexed: set[str] = field(default_factory=set)  # todo paths the index holds: updates
    vanished: list[str] = field(default_factory=list)  # indexed paths no longer on disk


def survey(roots: Sequence[str], excluded: Sequence[str], stats: pa.Table,
           report: Callable[[FileProblem], None]) -> Survey:
    """Compare the photo files under ``roots`` with ``stats`` (path, size, mtime_ns of the
    indexed photos): unchanged files (same size and mtime) are left out."""
    on_disk = {s.path: s for s in scan(roots, excluded, on_problem=report)}
    known = dict(zip(python_list(stats.column("path")),
                     zip(python_list(stats.column("size")), python_list(stats.column("mtime_ns")))))
    todo = [s for p, s in on_disk.items() if known.get(p) != (s.size, s.mtime_ns)]
    return Survey(todo, {s.path for s in todo if s.path in known},
                  [p for p in known if p not in on_disk])


def survey_in_child_process(roots: Sequence[str], excluded: Sequence[str], stats: pa.Table,
                            report: Callable[[FileProblem], None],
                            cancel: threading.Event) -> Survey | None:
    """``survey()`` in a child process, so this process's threads keep the GIL. None when
    the child could not do it (the caller surveys here instead); an empty survey when
    ``cancel`` was set, after stopping the child."""
    context = multiprocessing.get_context("spawn")  # fork is unsafe beside Qt's threads
    ours, theirs = context.Pipe()
    child = context.Process(target=_child, args=(theirs,), name="photofinder-survey", daemon=True)
    try:
        child.start()
        theirs.close()  # the child's end is the child's: its death then reads as EOF here
        ours.send((list(roots), list(excluded)))
        ours.send_bytes(_ipc_bytes(stats))
        return _receive(ours, report, cancel)
    except (OSError, EOFError, RuntimeError) as exc:
        log.warning("surveying in a child process failed (%s): surveying here", exc)
        return None
    finally:
        ours.close()
        theirs.close()  # if the child never started
        if child.pid is not None:  # started
            if child.is_alive():
                child.terminate()
            child.join()


def _receive(connection, report: Callable[[FileProblem], None],
             cancel: threading.Event) -> Survey:
    """The child's messages until it is done. Its problems are reported only then, so a
    child that dies half way never has them reported twice."""
    found, problems = Survey(), []
    while True:
        while not connection.poll(POLL_SECONDS):
            if cancel.is_set():
                return Survey()
        kind, items = connection.recv()
        if kind == "todo":
            found.todo += [FileStat(*item) for item in items]
        elif kind == "indexed":
            found.indexed.update(items)
        elif kind == "vanished":
            found.vanished += items
        elif kind == "problems":
            problems += items
        elif kind == "failed":
            raise RuntimeError(items)
        else:  # done
            for problem in problems:
                report(problem)
            return found


def _child(connection) -> None:
    """The child process: survey, then send the result in small messages."""
    try:
        roots, excluded = connection.recv()
        stats = pa.ipc.open_stream(connection.recv_bytes()).read_all()
        problems: list[FileProblem] = []
        found = survey(roots, excluded, stats, problems.append)
        todo = [(s.path, s.size, s.mtime_ns) for s in found.todo]
        for kind, items in (("todo", todo), ("indexed", sorted(found.indexed)),
                            ("vanished", found.vanished), ("problems", problems)):
            for start in range(0, len(items), CHUNK):
                connection.send((kind, items[start:start + CHUNK]))
        connection.send(("done", None))
    except BrokenPipeError:  # the parent stopped waiting (cancelled, or gone)
        pass
    except Exception as exc:  # noqa: BLE001 - whatever it was, the parent surveys itself
        connection.send(("failed", f"{type(exc).__name__}: {exc}"))


def _ipc_bytes(table: pa.Table) -> pa.Buffer:
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return sink.getvalue()

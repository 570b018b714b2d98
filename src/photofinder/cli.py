"""``photofinder``: the window with no command, the same search headless with one.

Human-readable output by default, ``--json`` for scripts; progress bars go to
stderr; a failure prints one line and exits non-zero.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import threading
from typing import Sequence

from photofinder import organize_cli
from photofinder.errors import PhotofinderError, QueryError
from photofinder.records import IndexProgress, SearchHit

log = logging.getLogger("photofinder.cli")


def common_options(defaults: bool) -> argparse.ArgumentParser:
    """Options accepted before or after the command (after it, they must not reset it)."""
    common = argparse.ArgumentParser(add_help=False, argument_default=None if defaults else argparse.SUPPRESS)
    common.add_argument("--json", action="store_true", help="print machine-readable JSON")
    common.add_argument("--model", help="open_clip architecture (default: settings, PHOTOFINDER_MODEL)")
    common.add_argument("--weights", help="local weights file (default: settings, PHOTOFINDER_WEIGHTS)")
    common.add_argument("-v", "--verbose", action="store_true", help="log what happens")
    return common


def build_parser() -> argparse.ArgumentParser:
    common = common_options(defaults=False)
    parser = argparse.ArgumentParser(
        prog="photofinder", parents=[common_options(defaults=True)],
        description="Find photos by what is in them. With no command, opens the window; "
                    "with image files or folders, opens it with a similar search or adds them.")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    index = commands.add_parser("index", parents=[common], help="add folders and index their photos")
    index.add_argument("paths", nargs="+", metavar="PATH")
    for name, helptext, meta in (("search", "find photos matching a description", "TEXT"),
                                 ("similar", "find photos like these images", "IMAGE")):
        sub = commands.add_parser(name, parents=[common], help=helptext)
        sub.add_argument("query", nargs="+", metavar=meta)
        sub.add_argument("-k", type=int, default=20, help="how many results (default 20)")
        sub.add_argument("--folder", action="append", default=[], help="only photos below this folder")
    watch = commands.add_parser("watch", parents=[common],
                                help="index folders, then keep the index in step with them until stopped")
    watch.add_argument("paths", nargs="*", metavar="PATH", help="default: all library folders")
    commands.add_parser("status", parents=[common], help="what is indexed, and with which model")
    commands.add_parser("install-desktop", parents=[common],
                        help="add photofinder to the desktop's application menu (this user)")
    forget = commands.add_parser("forget", parents=[common], help="remove photos or folders from the index")
    forget.add_argument("paths", nargs="+", metavar="PATH")
    organize_cli.add_commands(commands, common)
    return parser


def opens_window(argv: Sequence[str]) -> bool:
    """No command, or only existing paths ("Open with photofinder" from a file manager)."""
    return all(os.path.exists(a) and a not in COMMANDS for a in argv)


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if opens_window(argv):
        from photofinder.ui.app import run_app  # Qt only when the window is asked for

        return run_app(argv)
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")
    if args.command is None:
        from photofinder.ui.app import run_app

        return run_app()
    try:
        return COMMANDS[args.command](make_library(args), args)
    except PhotofinderError as exc:
        print(f"photofinder: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("photofinder: interrupted", file=sys.stderr)
        return 130


def make_library(args):
    from photofinder.config import Paths, Settings
    from photofinder.embedder import ModelSpec
    from photofinder.library import Library

    paths = Paths.from_environment()
    settings = Settings.load(paths.settings_file)
    arch, pretrained, weights = settings.effective_model()
    if args.model and args.model != arch:
        arch, pretrained = args.model, ""
    return Library(paths, settings, ModelSpec(arch, pretrained, args.weights or weights))


def load_model_with_progress(library) -> None:
    """Load (and if needed download) the model, with a download bar on stderr."""
    from tqdm import tqdm

    bar = None

    def progress(done: int, total: int | None) -> None:
        nonlocal bar
        if bar is None:
            bar = tqdm(total=total, unit="B", unit_scale=True, desc="downloading model",
                       file=sys.stderr, disable=None)
        bar.n = done
        bar.refresh()

    try:
        library.load_model(progress=progress)
    finally:
        if bar is not None:
            bar.close()


def cmd_index(library, args) -> int:
    from tqdm import tqdm

    folders = [library.add_folder(p) for p in args.paths]
    load_model_with_progress(library)
    bar = tqdm(total=0, unit="photo", desc="indexing", file=sys.stderr, disable=None)
    problems = []

    def progress(p: IndexProgress) -> None:
        bar.total = p.total
        bar.n = p.done
        bar.set_postfix(embedded=p.embedded, reused=p.reused, skipped=p.skipped, refresh=False)
        bar.refresh()

    def problem(p) -> None:
        problems.append(p)
        bar.write(f"skipped {p}", file=sys.stderr)

    cancel = threading.Event()
    try:
        changes = library.index(folders, progress=progress, cancel=cancel, on_problem=problem)
    except KeyboardInterrupt:
        cancel.set()
        raise
    finally:
        bar.close()
    summary = {"added": len(changes.added), "updated": len(changes.updated),
               "removed": len(changes.removed), "problems": len(changes.problems),
               "photos": library.store.count()}
    if args.json:
        summary["problem_files"] = [{"path": p.path, "reason": p.reason} for p in changes.problems]
        print(json.dumps(summary, indent=2))
    else:
        print("indexed: {added} added, {updated} updated, {removed} removed, "
              "{problems} skipped; {photos} photos in the library".format(**summary))
    return 0


def cmd_search(library, args) -> int:
    from photofinder.records import SearchFilter

    search_filter = SearchFilter(folders=tuple(args.folder)) if args.folder else None
    if args.command == "search":
        hits = library.search_text(" ".join(args.query), args.k, search_filter)
    else:
        hits = library.search_images(args.query, args.k, search_filter)
    print_hits(hits, args.json)
    return 0


def print_hits(hits: list[SearchHit], as_json: bool) -> None:
    if as_json:
        print(json.dumps([{
            "path": h.photo.path, "score": round(h.score, 4), "width": h.photo.width,
            "height": h.photo.height, "taken_at": h.photo.taken_at.isoformat(),
        } for h in hits], indent=2))
    elif not hits:
        print("no matching photos", file=sys.stderr)
    for hit in hits if not as_json else ():
        print(f"{hit.score:6.3f}  {hit.photo.path}")


def cmd_watch(library, args) -> int:
    import signal

    from photofinder.watcher import watch_forever

    folders = [library.add_folder(p) for p in args.paths] or library.folders()
    if not folders:
        raise QueryError("no folders to watch: give one, e.g. photofinder watch ~/Pictures")
    load_model_with_progress(library)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    print(f"watching {', '.join(folders)} (Ctrl+C stops)", file=sys.stderr)
    try:
        watch_forever(library, folders, stop)
    except KeyboardInterrupt:
        stop.set()
    return 0


def cmd_install_desktop(library, args) -> int:
    from photofinder.ui.desktop_entry import install_desktop_entry

    for path in install_desktop_entry():
        print(f"installed {path}")
    return 0


def cmd_status(library, args) -> int:
    from photofinder.hardware import pick_placement

    status = library.status()
    if status["device"] is None:
        placement = pick_placement()
        status["device"], status["precision"] = placement.device, placement.precision
        status["backend"] = f"torch-{placement.precision}"
    if args.json:
        print(json.dumps(status, indent=2))
        return 0
    print(f"photos:     {status['photos']}")
    print(f"folders:    {', '.join(status['folders']) or '(none yet: photofinder index FOLDER)'}")
    print(f"model:      {status['model']}")
    print(f"device:     {status['device']} ({status['precision']})")
    measured = (f"agrees with torch fp32 to cosine {status['agreement']:.5f}"
                if status["agreement"] is not None else "not measured yet: the first indexing does")
    print(f"backend:    {status['backend']} ({measured})")
    print(f"index size: {status['index_bytes'] / 1e6:.1f} MB in {status['data_folder']}")
    return 0


def cmd_forget(library, args) -> int:
    removed = sum(library.forget(p) for p in args.paths)
    if args.json:
        print(json.dumps({"removed": removed}))
    else:
        print(f"removed {removed} photos from the index (files on disk are untouched)")
    return 0


COMMANDS = {"index": cmd_index, "search": cmd_search, "similar": cmd_search,
            "watch": cmd_watch, "status": cmd_status, "forget": cmd_forget,
            "install-desktop": cmd_install_desktop, **organize_cli.COMMANDS}

"""``photofinder``: the window with no command, the same search headless with one.

Human-readable output by default, ``--json`` for scripts; progress bars go to
stderr; a failure prints one line and exits non-zero.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import logging
import os
import sys
import threading
import time
from typing import Sequence

from photofinder import organize_cli
from photofinder.errors import (
    IndexDamaged, ModelError, NotFoundError, PhotofinderError, QueryError,
)
from photofinder.records import IndexProgress, SearchHit
from photofinder.units import human_size

EXIT_INTERNAL, EXIT_BAD_INPUT, EXIT_NOT_FOUND = 1, 2, 3

log = logging.getLogger("photofinder.cli")


def common_options(defaults: bool) -> argparse.ArgumentParser:
    """Options accepted before or after the command (after it, they must not reset it)."""
    common = ArgumentParser(add_help=False, argument_default=None if defaults else argparse.SUPPRESS)
    common.add_argument("--json", action="store_true", help="print machine-readable JSON")
    common.add_argument("--model", help="open_clip architecture (default: settings, PHOTOFINDER_MODEL)")
    common.add_argument("--weights", help="local weights file (default: settings, PHOTOFINDER_WEIGHTS)")
    common.add_argument("-v", "--verbose", action="store_true", help="log what happens")
    return common


def build_parser() -> argparse.ArgumentParser:
    common = common_options(defaults=False)
    parser = ArgumentParser(
        prog="photofinder", parents=[common_options(defaults=True)],
        description="Find photos by what is in them. With no command, opens the window; "
                    "with image files or folders, opens it with a similar search or adds them.")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    index = commands.add_parser("index", parents=[common], help="add folders and index their photos")
    index.add_argument("paths", nargs="+", metavar="PATH")
    index.add_argument("--poll", action="store_true",
                       help="watch these folders by polling (network shares without file events)")
    for name, helptext, meta in (("search", "find photos matching a description "
                                            "(grammar: circle -red +large 2:sunset in:FOLDER "
                                            "after:2023-06 before:2024 type:png camera:pixel "
                                            "has:location near:paris)", "TEXT"),
                                 ("similar", "find photos like these images", "IMAGE")):
        sub = commands.add_parser(name, parents=[common], help=helptext)
        sub.add_argument("query", nargs="+", metavar=meta)
        sub.add_argument("-k", type=int, default=20, help="how many results, 1-1000 (default 20)")
        sub.add_argument("--all", action="store_true",
                         help="also show weaker matches, below the relevance cut-off")
        organize_cli.add_mark_filters(sub)
        sub.add_argument("--folder", action="append", default=[],
                         help="only photos below this library folder (a path, or a folder's name)")
        sub.add_argument("--after", help="taken on or after this date (YYYY, YYYY-MM, YYYY-MM-DD)")
        sub.add_argument("--before", help="taken before this date (YYYY, YYYY-MM, YYYY-MM-DD)")
        sub.add_argument("--type", action="append", default=[], help="file type, e.g. jpg, png")
        sub.add_argument("--camera", action="append", default=[],
                         help="taken with a camera whose make or model contains this, e.g. pixel")
        sub.add_argument("--has-location", action="store_true", help="only photos with a GPS position")
        sub.add_argument("--near", metavar="PLACE",
                         help="taken near a city or LAT,LON, within 25 km or ~RADIUS "
                              "(e.g. paris, \"new york~10km\", 48.85,2.35~500m)")
        sub.add_argument("--no-auto-folder", action="store_true",
                         help="do not scope the search to a library folder the text names")
        sub.add_argument("--sort", choices=["relevance", "date", "name"], default="relevance",
                         help="order of the results: best match first (default), date taken "
                              "(newest first) or file name")
        if name == "similar":
            sub.add_argument("--each", action="store_true",
                             help="results for each image on its own (JSON: a list of result lists)")
    feedback = commands.add_parser("feedback", parents=[common],
                                   help="rate a search result 1-10: later searches learn from it")
    feedback.add_argument("query_id", metavar="QUERY_ID", help="from search (stderr, or JSON query_id)")
    feedback.add_argument("photo", metavar="PHOTO", help="the photo's path or id")
    feedback.add_argument("--rating", type=int, required=True, help="1 (bad) to 10 (good)")
    watch = commands.add_parser("watch", parents=[common],
                                help="index folders, then keep the index in step with them until stopped")
    watch.add_argument("paths", nargs="*", metavar="PATH", help="default: all library folders")
    commands.add_parser("status", parents=[common], help="what is indexed, and with which model")
    commands.add_parser("install-desktop", parents=[common],
                        help="add photofinder to the desktop's application menu (this user)")
    forget = commands.add_parser("forget", parents=[common],
                                 help="leave photos or folders out of the library from now on (files stay)")
    forget.add_argument("paths", nargs="+", metavar="PATH")
    organize_cli.add_commands(commands, common)
    repair = commands.add_parser("repair", parents=[common],
                                 help="mend a damaged index: roll back to its newest intact "
                                      "version, else rebuild it from the photos (user data kept)")
    repair.add_argument("--check", action="store_true", help="only say whether it is damaged")
    for name, helptext in (("export-user-data",
                            "write ratings, albums, feedback and folders to a JSON file"),
                           ("import-user-data", "merge such a JSON file into this library")):
        sub = commands.add_parser(name, parents=[common], help=helptext)
        sub.add_argument("file", metavar="FILE")
    serve = commands.add_parser("serve", parents=[common],
                                help="answer the local HTTP API, for scripts and other apps")
    serve.add_argument("--host", default="127.0.0.1",
                       help="address to listen on (default 127.0.0.1: this computer only)")
    serve.add_argument("--port", type=int, default=8765, help="default 8765; 0 picks a free one")
    serve.add_argument("--rate-limit", type=float, default=50.0, metavar="N",
                       help="requests per second per client (default 50; 0: no limit)")
    commands.add_parser("api-token", parents=[common], help="print the token the HTTP API asks for")
    return parser


def opens_window(argv: Sequence[str]) -> bool:
    """No command, or only existing paths ("Open with photofinder" from a file manager)."""
    return all(os.path.exists(a) and a not in COMMANDS for a in argv)


def open_window(argv: list[str]) -> int:
    """Qt is imported only when the window is asked for: the commands work without it."""
    try:
        from photofinder.ui.app import run_app
    except ModuleNotFoundError as exc:
        if exc.name != "PySide6":
            raise
        print("photofinder: the window needs PySide6, which is not installed here "
              "(pip install pyside6); the commands work without it: photofinder --help",
              file=sys.stderr)
        return EXIT_INTERNAL
    return run_app(argv)


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if opens_window(argv):
        return open_window(argv)
    as_json = "--json" in argv[:argv.index("--") if "--" in argv else len(argv)]
    try:
        args = build_parser().parse_args(argv)
    except UsageError as exc:
        return fail(str(exc), EXIT_BAD_INPUT, as_json)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")
    if args.command is None:
        return open_window([])
    try:
        remote = running_instance_for(args)
        if remote is not None:
            return COMMANDS[args.command](remote, args)
        library = make_library(args)
        notices = library.notices + ([library.read_only_notice()]
                                     if library.read_only and args.command not in WRITING else [])
        for notice in notices:
            print(f"photofinder: {notice}", file=sys.stderr)
        return COMMANDS[args.command](library, args)
    except NotFoundError as exc:
        return fail(str(exc), EXIT_NOT_FOUND, as_json)
    except QueryError as exc:
        return fail(str(exc), EXIT_BAD_INPUT, as_json)
    except PhotofinderError as exc:
        return fail(str(exc), exc.exit_code, as_json)
    except KeyboardInterrupt:
        print("photofinder: interrupted", file=sys.stderr)
        return 130


class UsageError(Exception):
    """A command line argparse cannot make sense of."""


class ArgumentParser(argparse.ArgumentParser):
    """argparse that raises instead of exiting, so --json can answer in JSON too."""

    def error(self, message: str):
        raise UsageError(message if self.prog == "photofinder" else f"{self.prog}: {message}")


def fail(message: str, code: int, as_json: bool) -> int:
    """One line on stderr; with --json also a JSON error object on stdout."""
    if as_json:
        kind = {EXIT_BAD_INPUT: "bad_input", EXIT_NOT_FOUND: "not_found",
                IndexDamaged.exit_code: "index_damaged"}.get(code, "failed")
        print(json.dumps({"error": {"kind": kind, "message": message, "exit_code": code}}))
    print(f"photofinder: {message}", file=sys.stderr)
    return code


def running_instance_for(args):
    """For search, similar and index, the running window or ``serve`` of this library when
    one answers (its model is loaded, and it is the library's one writer); else None.
    Options the API does not take (--each, stars, favourites, filters on images) work alone."""
    if args.command not in ("search", "similar", "index"):
        return None  # (other commands' "folder" is one optional path, not a list)
    local_only = (args.model or args.weights or getattr(args, "each", False)
                  or getattr(args, "min_rating", 0) or getattr(args, "favourites", False)
                  or getattr(args, "poll", False)
                  or len(getattr(args, "folder", None) or ()) > 1
                  or (args.command == "similar" and (args.folder or args.after or args.before
                                                     or args.type)))
    if not local_only:
        from photofinder.api.client import running_library
        from photofinder.config import Paths

        remote = running_library(Paths.from_environment())
        if remote is not None:
            log.info("asking the running photofinder")
        return remote
    return None


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

    folders = [library.add_folder(p, poll=args.poll) for p in args.paths]
    try:
        load_model_with_progress(library)
        embed = True
    except ModelError as exc:  # offline first run: the photos are listed all the same
        print(f"photofinder: {exc} (listing the photos without the model: run "
              "`photofinder index` again once it can be had)", file=sys.stderr)
        embed = False
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
        changes = library.index(folders, progress=progress, cancel=cancel, on_problem=problem,
                                embed=embed)
    except KeyboardInterrupt:
        cancel.set()
        raise
    finally:
        bar.close()
    summary = {"added": len(changes.added), "updated": len(changes.updated),
               "removed": len(changes.removed), "problems": len(changes.problems),
               "photos": library.store.count(),
               "without_vectors": library.store.count_without_vectors()}
    if args.json:
        summary["problem_files"] = [{"path": p.path, "reason": p.reason} for p in changes.problems]
        print(json.dumps(summary, indent=2))
    else:
        print("indexed: {added} added, {updated} updated, {removed} removed, "
              "{problems} skipped; {photos} photos in the library".format(**summary)
              + (", {without_vectors} waiting for the model".format(**summary)
                 if summary["without_vectors"] else ""))
    return 0 if embed else EXIT_INTERNAL


def cmd_search(library, args) -> int:
    from photofinder.organizing import marked, with_marks
    from photofinder.photo_order import PhotoOrder, sort_hits
    from photofinder.places import resolve_place
    from photofinder.query import parse_date
    from photofinder.query_runner import check_k, images_query
    from photofinder.records import SearchFilter

    check_k(args.k)
    search_filter = SearchFilter(
        folders=tuple(resolve_cli_folder(library, f) for f in args.folder),
        taken_after=parse_date(args.after, "--after") if args.after else None,
        taken_before=parse_date(args.before, "--before") if args.before else None,
        types=tuple(t.lower().lstrip(".") for t in args.type),
        cameras=tuple(c for c in args.camera if c.strip()), has_location=args.has_location,
        near=resolve_place(args.near) if args.near else None)
    search_filter = with_marks(search_filter, marked(library, args.min_rating, args.favourites))
    query = " ".join(args.query) if args.command == "search" else images_query(args.query)
    options = {"search_filter": search_filter, "include_weaker": args.all,
               "auto_folder": not args.no_auto_folder}
    order = PhotoOrder.parse(args.sort)

    def in_order(result):
        return dataclasses.replace(result, hits=tuple(sort_hits(result.hits, order)))

    if getattr(args, "each", False):
        results = [in_order(r) for r in library.search_each(query, args.k, **options)]
        if args.json:
            print(json.dumps([[hit_json(h, r.query_id) for h in r.hits] for r in results], indent=2))
        for image, result in zip(args.query, results) if not args.json else ():
            print(f"like {image}:")
            print_result(result, as_json=False)
        return 0
    print_result(in_order(library.search(query, args.k, **options)), args.json)
    return 0


def cmd_feedback(library, args) -> int:
    row = library.feedback(args.query_id, args.photo, args.rating)
    if args.json:
        print(json.dumps({"query_id": row.query_id, "path": row.path, "rating": row.rating}))
    else:
        print(f"rated {row.path} {row.rating}/10 for “{row.query_text}”")
    return 0


def resolve_cli_folder(library, folder: str) -> str:
    """A --folder as typed: a path from here (relative paths work), else a library folder's
    name or library-relative path, resolved (and checked) by the search itself."""
    from photofinder.config import absolute_path
    from photofinder.folder_names import resolve_folder

    if not os.path.isdir(folder):
        return folder
    path = absolute_path(folder)
    resolve_folder(path, library.folders(), set())  # outside the library: an error
    return path


def hit_json(hit: SearchHit, query_id: str) -> dict:
    return {"id": hit.photo.id, "path": hit.photo.path, "folder": hit.photo.folder,
            "score": round(hit.score, 4), "distance": round(hit.distance, 4),
            "width": hit.photo.width, "height": hit.photo.height,
            "taken_at": hit.photo.taken_at.isoformat(), "camera": hit.photo.camera or None,
            "location": hit.photo.rounded_location,
            "query_id": query_id}


def print_result(result, as_json: bool) -> None:
    """Hits on stdout (a JSON list with --json); what was left out, and why, on stderr."""
    if as_json:
        print(json.dumps([hit_json(h, result.query_id) for h in result.hits], indent=2))
    else:
        for hit in result.hits:
            print(f"{hit.score:6.3f}  {hit.photo.path}")
    if result.indexed == 0:
        print("nothing indexed yet: add photos with `photofinder index FOLDER`", file=sys.stderr)
        return
    notes = []
    if result.auto_folders:
        notes.append(f"searched only in {', '.join(result.auto_folders)}, named in the query "
                     "(--no-auto-folder searches everywhere)")
    if not result.hits:
        notes.append("no photos match well enough")
    if result.weaker:
        notes.append(f"{result.weaker} weaker matches hidden (--all shows them)")
    if result.hits and not as_json:
        notes.append(f"query id {result.query_id}")
    if notes:
        print("; ".join(notes), file=sys.stderr)


def cmd_watch(library, args) -> int:
    import signal

    from photofinder.watcher import watch_forever

    folders = [library.add_folder(p) for p in args.paths] or library.folders()
    if not folders:
        raise QueryError("no folders to watch: give one, e.g. photofinder watch ~/Pictures")
    load_model_with_progress(library)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())

    def say(text: str) -> None:
        print(text, file=sys.stderr, flush=True)

    def changed(c) -> None:
        say(f"{time.strftime('%H:%M:%S')} {len(c.added)} added, {len(c.updated)} updated, "
            f"{len(c.removed)} removed")

    try:
        watch_forever(library, folders, stop, on_changes=changed, on_problem=lambda p: say(f"skipped {p}"),
                      on_watching=lambda: say(f"watching {', '.join(folders)} (Ctrl+C stops)"))
    except KeyboardInterrupt:
        stop.set()
    return 0


def cmd_install_desktop(library, args) -> int:
    from photofinder.ui.desktop_entry import install_desktop_entry

    for path in install_desktop_entry():
        print(f"installed {path}")
    return 0


def cmd_status(library, args) -> int:
    status = library.status()
    if args.json:
        print(json.dumps(status, indent=2))
        return 0
    waiting = status["photos_without_vectors"]
    print(f"photos:     {status['photos']}" + (f" ({waiting} waiting for the model)" if waiting else ""))
    print(f"folders:    {', '.join(status['folders']) or '(none yet: photofinder index FOLDER)'}")
    print(f"model:      {status['model']}")
    print(f"runs on:    {status['runs_on']}")
    print(f"index size: {human_size(status['index_bytes'])} in {status['data_folder']}")
    return 0


def cmd_forget(library, args) -> int:
    removed = sum(library.forget(p) for p in args.paths)
    if args.json:
        print(json.dumps({"removed": removed}))
    else:
        print(f"removed {removed} photos from the library (files on disk are untouched); "
              "later scans leave them out (photofinder include PATH brings them back)")
    return 0


def cmd_serve(library, args) -> int:
    from photofinder.api.server import ApiServer

    server = ApiServer(library, args.host, args.port, rate=args.rate_limit)
    load_model_with_progress(library)
    library.prepare_search()
    print(f"photofinder API at {server.url}/api (docs: {server.url}/api/docs; "
          "token: photofinder api-token; Ctrl+C stops)", file=sys.stderr)
    server.run()
    return 0


def cmd_api_token(library, args) -> int:
    from photofinder.api.auth import api_token

    print(api_token(library.paths.data))
    return 0


def cmd_safety(library, args) -> int:
    from photofinder.cli_safety import SAFETY_COMMANDS

    return SAFETY_COMMANDS[args.command](library, args)


WRITING = {"index", "watch", "forget", "repair", "import-user-data"}  # a read-only library refuses these
COMMANDS = {"index": cmd_index, "search": cmd_search, "similar": cmd_search,
            "feedback": cmd_feedback,
            "watch": cmd_watch, "status": cmd_status, "forget": cmd_forget,
            "install-desktop": cmd_install_desktop, "serve": cmd_serve, "api-token": cmd_api_token,
            **organize_cli.COMMANDS,
            "repair": cmd_safety, "export-user-data": cmd_safety, "import-user-data": cmd_safety}

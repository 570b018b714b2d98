"""The organizing commands of ``photofinder``: duplicates, undo, folders, exclude, include,
remove, rate, favourite, album; and the --min-rating / --favourites filters of searches.

Registered by cli.py; each is a thin layer over the core (duplicates, trash).
"""

from __future__ import annotations

import argparse
import json
import sys

from photofinder.records import FileProblem, Photo


def add_commands(commands, common: argparse.ArgumentParser) -> None:
    duplicates = commands.add_parser(
        "duplicates", parents=[common],
        help="list groups of near-duplicate photos; --trash moves all but the best of each to the trash")
    duplicates.add_argument("folder", nargs="?", metavar="FOLDER", help="only photos below this folder")
    duplicates.add_argument("--trash", action="store_true",
                            help="move every photo but the one kept to the system trash (asks first)")
    duplicates.add_argument("--yes", action="store_true", help="do not ask before --trash")
    commands.add_parser("undo", parents=[common],
                        help="put back the photos the last --trash moved to the trash")
    commands.add_parser("folders", parents=[common],
                        help="list library folders, excluded folders and forgotten photos")
    rate = commands.add_parser("rate", parents=[common], help="give photos 0 (none) to 5 stars")
    rate.add_argument("stars", type=int, metavar="STARS")
    rate.add_argument("paths", nargs="+", metavar="PHOTO")
    favourite = commands.add_parser("favourite", parents=[common], help="mark photos as favourites")
    favourite.add_argument("paths", nargs="+", metavar="PHOTO")
    favourite.add_argument("--off", action="store_true", help="unmark them")
    album = commands.add_parser("album", parents=[common],
                                help="albums: list, show NAME, create NAME [--smart QUERY], "
                                     "add NAME PHOTO..., drop NAME PHOTO..., delete NAME")
    album.add_argument("action", choices=("list", "show", "create", "add", "drop", "delete"))
    album.add_argument("name", nargs="?", metavar="NAME")
    album.add_argument("paths", nargs="*", metavar="PHOTO")
    album.add_argument("--smart", metavar="QUERY",
                       help="create a smart album: a saved search, re-run as photos arrive")
    for name, helptext in (("copy", "copy photos into a folder (indexed there if it is in the library)"),
                           ("move", "move photos into a folder; stars and albums follow them"),
                           ("export", "copy photos out as JPEGs, optionally smaller")):
        action = commands.add_parser(name, parents=[common], help=helptext)
        action.add_argument("paths", nargs="+", metavar="PHOTO")
        action.add_argument("--to", required=True, metavar="FOLDER", help="the folder to put them in")
        if name == "export":
            action.add_argument("--max-side", type=int, metavar="PIXELS",
                                help="at most this many pixels on the longer side")
    for name, helptext in (
            ("exclude", "leave a folder inside the library out of it from now on (files stay)"),
            ("include", "undo exclude or forget: the next index brings those photos back"),
            ("remove", "remove a library folder and its photos from the library (files stay)")):
        commands.add_parser(name, parents=[common], help=helptext).add_argument(
            "paths", nargs="+", metavar="FOLDER" if name != "include" else "PATH")


def cmd_duplicates(library, args) -> int:
    from photofinder.trash import trash_photos

    groups = library.duplicates(args.folder)
    extras = [p.path for g in groups for p in g.extras]
    if args.json and not args.trash:
        print(json.dumps([{"keep": _photo_json(g.keeper), "duplicates": [_photo_json(p) for p in g.extras]}
                          for g in groups], indent=2))
        return 0
    if not args.json:
        _print_groups(groups)
    if not args.trash or not extras:
        return 0
    megabytes = sum(g.reclaimable_bytes for g in groups) / 1e6
    if not args.yes and not _confirm(f"Move {len(extras)} photos ({megabytes:.1f} MB) to the trash? "
                                     "[y/N] "):
        print("nothing moved", file=sys.stderr)
        return 1
    result = trash_photos(library, extras)
    _report(result, "moved to the trash", "photofinder undo puts them back", args.json)
    return 0 if not result.failed else 1


def cmd_undo(library, args) -> int:
    from photofinder.trash import undo_trash

    result = undo_trash(library)
    _report(result, "put back from the trash", "", args.json)
    return 0 if not result.failed else 1


def cmd_folders(library, args) -> int:
    listing = {"folders": [{"path": f.path, "poll": f.poll} for f in library.library_folders()],
               "excluded": library.user_data.excluded_folders(),
               "forgotten": [f.path for f in library.user_data.forgotten_photos()]}
    if args.json:
        print(json.dumps(listing, indent=2))
        return 0
    for folder in listing["folders"]:
        print(f"folder    {folder['path']}" + ("  (polled)" if folder["poll"] else ""))
    for path in listing["excluded"]:
        print(f"excluded  {path}")
    for path in listing["forgotten"]:
        print(f"forgotten {path}")
    if not any(listing.values()):
        print("no folders yet: photofinder index FOLDER", file=sys.stderr)
    return 0


def cmd_exclude(library, args) -> int:
    from photofinder.config import absolute_path
    from photofinder.errors import QueryError

    removed = 0
    for path in args.paths:
        folder = absolute_path(path)
        if folder in library.folders():
            raise QueryError(f"{folder} is a library folder: photofinder remove {folder}")
        if not any(folder.startswith(f.rstrip("/") + "/") for f in library.folders()):
            raise QueryError(f"{folder} is not inside a library folder")
        removed += library.forget(folder)
    _print_count(removed, "left the library; excluded folders stay out of later scans", args.json)
    return 0


def cmd_include(library, args) -> int:
    from photofinder.errors import QueryError

    for path in args.paths:
        if not library.include(path):
            raise QueryError(f"{path} was neither excluded nor forgotten")
    if not args.json:
        print("included again: photofinder index (or the window, or watch) brings the photos back")
    return 0


def cmd_remove(library, args) -> int:
    from photofinder.config import absolute_path
    from photofinder.errors import QueryError

    removed = 0
    for path in args.paths:
        if absolute_path(path) not in library.folders():
            raise QueryError(f"not a library folder: {absolute_path(path)} (photofinder folders lists them)")
        removed += library.remove_folder(path)
    _print_count(removed, "left the library (files on disk are untouched)", args.json)
    return 0


def add_mark_filters(parser: argparse.ArgumentParser) -> None:
    """--min-rating and --favourites for search, similar and listings."""
    parser.add_argument("--min-rating", type=int, default=0, metavar="STARS",
                        help="only photos with at least this many stars")
    parser.add_argument("--favourites", action="store_true", help="only favourite photos")


def cmd_rate(library, args) -> int:
    from photofinder.organizing import rate

    count = rate(library, args.paths, args.stars)
    print(json.dumps({"rated": count}) if args.json else f"{count} photos rated {args.stars} stars")
    return 0


def cmd_favourite(library, args) -> int:
    from photofinder.organizing import set_favourite

    count = set_favourite(library, args.paths, not args.off)
    print(json.dumps({"changed": count}) if args.json
          else f"{count} photos {'no longer ' if args.off else ''}favourites")
    return 0


def cmd_album(library, args) -> int:
    from photofinder import organizing
    from photofinder.errors import QueryError

    if args.action != "list" and not args.name:
        raise QueryError(f"album {args.action} needs an album name")
    data = library.user_data
    if args.action == "list":
        # A smart album's photos are what its search finds when shown: no count here.
        albums = [{"name": a.name, "smart": a.query,
                   "photos": None if a.is_smart else len(data.album_items(a.id))}
                  for a in data.albums()]
        if args.json:
            print(json.dumps(albums, indent=2))
        for a in albums if not args.json else ():
            print(f"{a['name']}  (smart: {a['smart']})" if a["smart"] else
                  f"{a['name']}  ({a['photos']} photos)")
        return 0
    if args.action == "create":
        album = organizing.create_album(library, args.name, args.smart)
        print(f"album {album.name} created" + (" (smart)" if album.is_smart else ""))
    elif args.action == "add":
        print(f"{organizing.add_to_album(library, args.name, args.paths)} photos added to {args.name}")
    elif args.action == "drop":
        from photofinder.config import absolute_path

        album = data.album(args.name)
        dropped = data.remove_from_album(album.id, [absolute_path(p) for p in args.paths])
        print(f"{dropped} photos dropped from {album.name} (files stay)")
    elif args.action == "delete":
        data.delete_album(data.album(args.name).id)
        print(f"album {args.name} deleted (its photos stay)")
    else:
        photos = organizing.album_photos(library, args.name)
        if args.json:
            print(json.dumps([_photo_json(p) for p in photos], indent=2))
        for photo in photos if not args.json else ():
            print(photo.path)
    return 0


def cmd_copy(library, args) -> int:
    from photofinder.file_actions import copy_photos

    # An export is always a JPEG, at full size unless --max-side says otherwise.
    max_side = (args.max_side or 1 << 30) if args.command == "export" else None
    result = copy_photos(library, args.paths, args.to, move=args.command == "move", max_side=max_side)
    verb = {"copy": "copied", "move": "moved", "export": "exported"}[args.command]
    if args.json:
        print(json.dumps({"done": [{"from": s, "to": d} for s, d in result.done],
                          "failed": [_problem_json(p) for p in result.failed]}, indent=2))
    else:
        for problem in result.failed:
            print(f"failed: {problem}", file=sys.stderr)
        print(f"{len(result.done)} photos {verb} to {args.to}"
              + (f"; {len(result.failed)} failed and were left as they were" if result.failed else ""))
    return 0 if not result.failed else 1


def _print_count(removed: int, what: str, as_json: bool) -> None:
    print(json.dumps({"removed": removed}) if as_json else f"{removed} photos {what}")


def _report(result, verb: str, hint: str, as_json: bool) -> None:
    if as_json:
        print(json.dumps({"done": list(result.done),
                          "failed": [_problem_json(p) for p in result.failed]}, indent=2))
        return
    for problem in result.failed:
        print(f"failed: {problem}", file=sys.stderr)
    print(f"{len(result.done)} photos {verb}" + (f" ({hint})" if hint and result.done else ""))


def _confirm(question: str) -> bool:
    print(question, end="", file=sys.stderr, flush=True)
    answer = sys.stdin.readline().strip().lower()
    return answer in ("y", "yes")


def _print_groups(groups) -> None:
    if not groups:
        print("no near-duplicates found", file=sys.stderr)
    for number, group in enumerate(groups, 1):
        print(f"group {number}: {len(group.photos)} photos, {group.reclaimable_bytes / 1e6:.1f} MB "
              "to reclaim")
        for photo in group.photos:
            mark = "keep" if photo is group.keeper else "    "
            print(f"  {mark}  {_describe(photo)}  {photo.path}")


def _describe(photo: Photo) -> str:
    sharp = f"sharpness {photo.likeness.sharpness:7.0f}" if photo.likeness else ""
    exif = "EXIF" if photo.likeness and photo.likeness.has_exif else "    "
    return (f"{photo.width:>5}x{photo.height:<5} {photo.size / 1e6:6.2f} MB  "
            f"{photo.taken_at:%Y-%m-%d %H:%M}  {sharp}  {exif}")


def _photo_json(photo: Photo) -> dict:
    return {"path": photo.path, "width": photo.width, "height": photo.height, "bytes": photo.size,
            "taken_at": photo.taken_at.isoformat(),
            "sharpness": round(photo.likeness.sharpness, 1) if photo.likeness else None,
            "has_exif": bool(photo.likeness and photo.likeness.has_exif)}


def _problem_json(problem: FileProblem) -> dict:
    return {"path": problem.path, "reason": problem.reason}


COMMANDS = {"duplicates": cmd_duplicates, "undo": cmd_undo, "folders": cmd_folders,
            "exclude": cmd_exclude, "include": cmd_include, "remove": cmd_remove,
            "rate": cmd_rate, "favourite": cmd_favourite, "album": cmd_album,
            "copy": cmd_copy, "move": cmd_copy, "export": cmd_copy}

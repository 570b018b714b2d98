"""The commands that keep a library safe: `repair`, `export-user-data`, `import-user-data`."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from photofinder.cli import load_model_with_progress
from photofinder.records import IndexProgress


def cmd_repair(library, args) -> int:
    from tqdm import tqdm

    from photofinder.repair import diagnose, repair_index

    if args.check:
        damage = diagnose(library)
        if damage is not None:
            raise damage
        print("the photo index is intact", file=sys.stderr)
        return 0
    load_model_with_progress(library)
    bar = tqdm(total=0, unit="photo", desc="re-indexing", file=sys.stderr, disable=None)

    def progress(p: IndexProgress) -> None:
        bar.total, bar.n = p.total, p.done
        bar.refresh()

    try:
        report = repair_index(library, progress)
    finally:
        bar.close()
    if args.json:
        print(json.dumps(report.__dict__, indent=2))
    elif report.method == "none":
        print(f"the photo index was intact; {report.photos} photos")
    else:
        how = (f"rolled back to version {report.version}" if report.method == "rollback"
               else "rebuilt from the photos")
        print(f"repaired: {how}, {report.photos} photos; damaged files kept in {report.moved_aside}")
    return 0


def cmd_export(library, args) -> int:
    from photofinder.user_data_export import write_export

    data = write_export(library.user_data, Path(args.file))
    print(f"exported {len(data['marks'])} rated photos, {len(data['albums'])} albums, "
          f"{len(data['feedback'])} feedback and {len(data['folders'])} folders to {args.file}")
    return 0


def cmd_import(library, args) -> int:
    from photofinder.user_data_export import import_user_data, read_export

    added = import_user_data(library.user_data, read_export(Path(args.file)))
    print(f"imported {added} new items from {args.file}")
    return 0


SAFETY_COMMANDS = {"repair": cmd_repair, "export-user-data": cmd_export,
                   "import-user-data": cmd_import}

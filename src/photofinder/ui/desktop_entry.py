"""``photofinder install-desktop``: a menu entry and icons for the current user (XDG).

The entry runs this Python with ``-m photofinder`` (or the bundled program
itself), so it works from a virtual environment that is not on PATH, and ``%F`` lets file managers open
images with photofinder (a similar-photo search).
"""

from __future__ import annotations

import os
import re
import shutil
import sys
from pathlib import Path

from photofinder.ui.resources import icon_files, resource_path


def data_home() -> Path:
    return Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")


def desktop_quote(argument: str) -> str:
    """Quote an Exec argument as the Desktop Entry spec asks (double quotes, escaped)."""
    if not re.search(r"[\s\"'\\`$<>~|&;*?#()]", argument):
        return argument
    escaped = re.sub(r'(["`$\\])', r"\\\1", argument)
    return f'"{escaped}"'


def desktop_entry_text() -> str:
    """The shipped .desktop file, with Exec pointing at this interpreter."""
    template = resource_path("photofinder.desktop").read_text(encoding="utf-8")
    # A bundled photofinder (PyInstaller) is its own executable; else this Python runs it.
    program = [] if getattr(sys, "frozen", False) else ["-m", "photofinder"]
    command = " ".join([desktop_quote(sys.executable), *program, "%F"])
    text = re.sub(r"^Exec=.*$", f"Exec={command}", template, flags=re.MULTILINE)
    return re.sub(r"^TryExec=.*$", f"TryExec={sys.executable}", text, flags=re.MULTILINE)


def install_desktop_entry() -> list[Path]:
    """Write the .desktop file and the icons under XDG_DATA_HOME; returns the files written."""
    root = data_home()
    entry = root / "applications" / "photofinder.desktop"
    entry.parent.mkdir(parents=True, exist_ok=True)
    entry.write_text(desktop_entry_text(), encoding="utf-8")
    written = [entry]
    for size, source in icon_files().items():
        folder = "scalable" if size == "scalable" else f"{size}x{size}"
        target = root / "icons" / "hicolor" / folder / "apps" / f"photofinder{source.suffix}"
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)
        written.append(target)
    return written

"""Finds the icon and the .desktop file, from a source checkout or an installed package.

The files live in the repository's top-level ``resources/`` folder; a built
package carries them as ``photofinder/resources`` (package data, through the
``src/photofinder/resources`` link). Both places are looked at, the package first.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtGui import QIcon

ICON_SIZES = (16, 22, 24, 32, 48, 64, 128, 256)


def resource_dirs() -> list[Path]:
    here = Path(__file__).resolve()
    return [d for d in (here.parents[1] / "resources", here.parents[3] / "resources") if d.is_dir()]


def find_resource(name: str) -> Path | None:
    return next((d / name for d in resource_dirs() if (d / name).is_file()), None)


def resource_path(name: str) -> Path:
    """The path of a resource file; FileNotFoundError names the places searched."""
    path = find_resource(name)
    if path is None:
        raise FileNotFoundError(f"photofinder resource {name!r} not found in {resource_dirs()}")
    return path


def icon_files() -> dict[str, Path]:
    """Icon file by size name ("16", ..., "scalable") for whatever is present."""
    files = {str(size): find_resource(f"photofinder-{size}.png") for size in ICON_SIZES}
    files["scalable"] = find_resource("photofinder.svg")
    return {size: path for size, path in files.items() if path is not None}


def app_icon() -> QIcon:
    """The application icon: the PNG sizes for crisp small icons, the SVG for the rest."""
    icon = QIcon()
    for path in icon_files().values():
        icon.addFile(str(path))
    return icon

"""`photofinder install-desktop`: a menu entry and icons under XDG_DATA_HOME."""

from __future__ import annotations

import sys

from photofinder.ui.desktop_entry import install_desktop_entry
from photofinder.ui.resources import ICON_SIZES, app_icon, resource_path


def test_installs_entry_and_icons(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    written = install_desktop_entry()
    entry = tmp_path / "applications" / "photofinder.desktop"
    assert entry in written
    text = entry.read_text()
    assert f"Exec={sys.executable} -m photofinder %F" in text
    assert "Icon=photofinder" in text
    for size in ICON_SIZES:
        assert (tmp_path / f"icons/hicolor/{size}x{size}/apps/photofinder.png") in written
    assert (tmp_path / "icons/hicolor/scalable/apps/photofinder.svg").is_file()


def test_resources_are_found(qapp):
    assert resource_path("photofinder.desktop").is_file()
    icon = app_icon()
    assert not icon.isNull()
    assert {s.width() for s in icon.availableSizes()} >= {16, 32, 256}

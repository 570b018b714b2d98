"""Settings are never lost: an unreadable file is moved aside, the last good copy restored,
and the user told where; every save is atomic and flushed."""

from __future__ import annotations

import json
import subprocess
import sys

from photofinder.config import Paths, Settings, backup_file
from photofinder.library import Library

TYPO = '{\n  "thumbnail_size": 200,\n  "model": "ViT-B-32"\n  "weights": ""\n}\n'  # a missing comma


def broken_copies(paths: Paths) -> list:
    return sorted(paths.config.glob("settings.json.broken-*"))


def test_a_save_writes_the_last_good_copy_beside_the_file():
    paths = Paths.from_environment()
    Settings(thumbnail_size=200).save(paths.settings_file)
    assert backup_file(paths.settings_file).read_bytes() == paths.settings_file.read_bytes()
    assert not list(paths.config.glob("*.tmp"))


def test_a_typo_is_moved_aside_and_the_last_good_copy_restored():
    paths = Paths.from_environment()
    Settings(thumbnail_size=200).save(paths.settings_file)
    paths.settings_file.write_text(TYPO)  # the user edits the file by hand
    settings = Settings.load(paths.settings_file)
    assert settings.thumbnail_size == 200
    [aside] = broken_copies(paths)
    assert aside.read_text() == TYPO  # the user's edit, byte for byte
    assert str(aside) in settings.notice and "restored" in settings.notice
    assert json.loads(paths.settings_file.read_text())["thumbnail_size"] == 200


def test_without_a_good_copy_defaults_are_used_and_the_broken_file_kept():
    paths = Paths.from_environment()
    paths.config.mkdir(parents=True, exist_ok=True)
    paths.settings_file.write_text('{"thumbnail_size": "large"}')  # readable, but wrong
    settings = Settings.load(paths.settings_file)
    assert settings.thumbnail_size == Settings().thumbnail_size
    assert "thumbnail_size should be a int" in settings.notice and "default" in settings.notice
    settings.save(paths.settings_file)
    [aside] = broken_copies(paths)
    assert aside.read_text() == '{"thumbnail_size": "large"}'


def test_the_library_keeps_its_folders_through_a_broken_settings_file(tmp_path):
    library = Library()
    library.add_folder(tmp_path)
    library.settings.save(library.paths.settings_file)
    library.paths.settings_file.write_text(TYPO)
    again = Library()
    assert again.folders() == [str(tmp_path)]  # folders live in the user store
    assert again.notices and "moved to" in again.notices[0]


def test_the_cli_says_in_one_line_what_happened_and_goes_on(tmp_path):
    paths = Paths.from_environment()
    Library().add_folder(tmp_path)
    paths.config.mkdir(parents=True, exist_ok=True)
    paths.settings_file.write_text(TYPO)
    result = subprocess.run([sys.executable, "-m", "photofinder", "status", "--json"],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    [line] = result.stderr.strip().splitlines()
    assert line.startswith("photofinder: the settings file") and "broken-" in line
    assert json.loads(result.stdout)["folders"] == [str(tmp_path)]

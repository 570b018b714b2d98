"""Offline library folders: a missing root, and the photos below it."""

from __future__ import annotations

from photofinder.presence import offline_folder_of, offline_folders


def test_offline_folders_and_the_folder_holding_a_photo(tmp_path):
    here = tmp_path / "here"
    here.mkdir()
    gone = str(tmp_path / "gone")
    assert offline_folders([str(here), gone]) == {gone}
    assert offline_folder_of(f"{gone}/2019/beach.jpg", {gone}) == gone
    assert offline_folder_of(f"{gone}-2/beach.jpg", {gone}) is None  # a sibling, not below
    assert offline_folder_of(str(here / "beach.jpg"), {gone}) is None

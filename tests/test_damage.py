"""A real library damaged in each way the trust issue names: detected, named in one
line, repaired, and no photo or user item lost (photofinder_testing.damage does it)."""

from __future__ import annotations

import shutil

import pytest

from photofinder.config import Paths
from photofinder.library import Library
from photofinder_testing import damage
from photofinder_testing.tinymodel.shapes import write_photos


@pytest.fixture(scope="module")
def template(tmp_path_factory, tiny_weights):
    """A library of 60 indexed shape photos in two folders (two commits, so an older
    version exists) with ratings, albums, feedback and an exclusion."""
    from photofinder.embedder import MODEL_CONFIGS_ENV
    from photofinder_testing.tinymodel import CONFIG_DIR, MODEL_NAME

    root = tmp_path_factory.mktemp("damage")
    with pytest.MonkeyPatch.context() as env:
        env.setenv("PHOTOFINDER_MODEL", MODEL_NAME)
        env.setenv("PHOTOFINDER_WEIGHTS", str(tiny_weights))
        env.setenv(MODEL_CONFIGS_ENV, str(CONFIG_DIR))
        env.setenv("PHOTOFINDER_BACKEND", "torch")
        library = Library(Paths(root / "home", root / "home"))
        for name, seed in (("beach", 61), ("city", 62)):
            write_photos(root / "photos" / name, 30, seed=seed)
            library.add_folder(root / "photos" / name)
            library.index([root / "photos" / name])
        damage.make_user_items(library)
        library.settings.save(library.paths.settings_file)
    return root / "home"


@pytest.fixture
def paths(template, private_home, tiny_model, monkeypatch) -> Paths:
    monkeypatch.setenv("PHOTOFINDER_PRECISION", "fp32")  # no bf16 probe at each CLI start
    shutil.copytree(template, private_home, dirs_exist_ok=True)
    return Paths.from_environment()


@pytest.mark.parametrize("name", list(damage.INDEX_DAMAGES))
def test_index_damage_is_detected_named_and_repaired(paths, name):
    outcome = damage.damage_index(name, paths)
    print(outcome.row())
    assert outcome.detected, outcome.message
    assert outcome.message.startswith("photofinder: ") and "repair" in outcome.message
    assert ".rs:" not in outcome.message and "Traceback" not in outcome.message
    assert outcome.repaired and outcome.photos_lost == 0 and outcome.user_items_lost == 0


def test_a_newest_manifest_zeroed_rolls_back_to_the_version_before(paths):
    assert damage.damage_index("newest manifest zeroed", paths).how == "rollback"


def test_status_names_deleted_manifests_in_one_line(paths):
    damage.delete_manifests(paths)
    result = damage.cli("status")
    assert result.returncode == damage.DAMAGED_EXIT
    assert "version files" in damage.one_line(result)


def test_settings_typo(paths):
    outcome = damage.settings_typo(paths)
    assert outcome.detected and outcome.repaired and outcome.user_items_lost == 0


def test_kill_during_rating_and_album_writes_loses_nothing_committed(paths):
    outcome = damage.kill_during_user_writes(paths)
    assert outcome.repaired and outcome.user_items_lost == 0


def test_kill_during_backup_leaves_only_whole_backups(paths):
    outcome = damage.kill_during_backup(paths)
    assert outcome.repaired and outcome.user_items_lost == 0


def test_half_written_user_store_keeps_what_was_committed(paths):
    outcome = damage.half_written_user_store(paths)
    assert outcome.detected, "the half transaction never reached the WAL file"
    assert outcome.repaired and outcome.user_items_lost == 0


def test_kill_during_repair_then_repair_again(paths):
    outcome = damage.kill_during_repair(paths, after_seconds=4)
    assert outcome.repaired and outcome.photos_lost == 0 and outcome.user_items_lost == 0

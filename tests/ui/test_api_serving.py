"""The window serves the HTTP API while "Allow other apps to search" is on, and the
CLI finds it there."""

from __future__ import annotations

import json

import pytest
import requests

from photofinder.api.auth import api_token
from photofinder.api.server import NOTE_FILE
from photofinder.config import Settings
from photofinder.embedder import ModelSpec
from photofinder.ui.settings_dialog import SettingsDialog


def test_the_setting_is_off_by_default_and_the_dialog_turns_it_on(qtbot):
    settings = Settings()
    assert settings.allow_other_apps is False
    dialog = SettingsDialog(settings, ModelSpec("ViT-B-32", "laion2b_s34b_b79k"))
    qtbot.addWidget(dialog)
    assert not dialog.allow_other_apps.isChecked()
    dialog.allow_other_apps.setChecked(True)
    assert dialog.apply(settings) == {"allow_other_apps"} and settings.allow_other_apps


def test_the_window_serves_the_api_when_allowed_and_stops_when_not(qtbot, make_window, tiny_model):
    window = make_window()
    assert window.api.server is None
    window.library.settings.api_port = 0  # a free port: tests run side by side
    window.api.apply(True)
    qtbot.waitUntil(lambda: window.api.server is not None and window.api.server.started,
                    timeout=60_000)
    url = window.api.server.url
    headers = {"Authorization": f"Bearer {api_token(window.library.paths.data)}"}
    assert requests.get(url + "/api/status", headers=headers, timeout=30).json()["photos"] == 0
    assert requests.get(url + "/api/status", timeout=30).status_code == 401
    note = window.library.paths.data / NOTE_FILE  # where the CLI finds the window
    assert json.loads(note.read_text())["url"] == url

    window.api.apply(False)
    qtbot.waitUntil(lambda: window.api.server is None, timeout=30_000)
    with pytest.raises(requests.ConnectionError):
        requests.get(url + "/api/health", timeout=5)
    assert not note.exists()

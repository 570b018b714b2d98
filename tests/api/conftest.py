"""A real API server (uvicorn on a free loopback port) over a library of indexed shapes."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

from helpers.api_server import start_server
from photofinder.api.server import ApiServer
from photofinder.config import Paths, Settings
from photofinder.embedder import MODEL_CONFIGS_ENV, ModelSpec
from photofinder.library import Library
from photofinder_testing.tinymodel import CONFIG_DIR, MODEL_NAME
from photofinder_testing.tinymodel.shapes import ShapeSpec, write_photos


@dataclass
class Served:
    url: str
    token: str
    library: Library
    server: ApiServer
    folder: Path
    photos: dict[str, ShapeSpec]  # path: what it shows

    def call(self, method: str, path: str, token: str | None = "", **kwargs) -> requests.Response:
        """A request with the right token (``token=None``: none at all)."""
        headers = kwargs.pop("headers", {})
        if token is not None:
            headers["Authorization"] = f"Bearer {token or self.token}"
        return requests.request(method, self.url + path, headers=headers, timeout=120, **kwargs)


@pytest.fixture(scope="module")
def served(tmp_path_factory, tiny_weights):
    home = tmp_path_factory.mktemp("api-home")
    folder = tmp_path_factory.mktemp("api-photos")
    photos = {str(path): spec for path, spec in write_photos(folder, 40, seed=13)}
    with pytest.MonkeyPatch.context() as patch:  # what private_home sets, for the module
        patch.setenv(MODEL_CONFIGS_ENV, str(CONFIG_DIR))
        patch.setenv("PHOTOFINDER_BACKEND", "torch")
        library = Library(Paths(home, home), Settings(),
                          ModelSpec(MODEL_NAME, "", str(tiny_weights)))
        library.add_folder(folder)
        library.load_model()
        library.index([str(folder)])
        server = start_server(library, rate=0)
        token = (home / "api-token").read_text().strip()
        yield Served(server.url, token, library, server, folder, photos)
        server.stop()

"""Where photofinder keeps its files, and its settings, declared once and typed.

``PHOTOFINDER_HOME`` moves everything (index, thumbnails, settings, logs) into
one folder: tests and portable installs rely on it. Otherwise the platform's
conventions apply (XDG on Linux, ~/Library on macOS, %LOCALAPPDATA% on Windows).
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

import platformdirs

from photofinder.errors import StoreError

log = logging.getLogger("photofinder.config")

APP_NAME = "photofinder"
DEFAULT_MODEL = "ViT-B-32"
DEFAULT_PRETRAINED = "laion2b_s34b_b79k"


def absolute_path(path: str | os.PathLike) -> str:
    """The one spelling of a path used everywhere (index keys, settings, queries):
    absolute, ``~`` expanded and ``..`` folded, but symlinks kept as the user named them."""
    return os.path.abspath(os.path.expanduser(os.fspath(path)))


@dataclass(frozen=True)
class Paths:
    """The folders photofinder writes to."""

    data: Path
    config: Path

    @property
    def index(self) -> Path:
        return self.data / "index"

    @property
    def thumbnails(self) -> Path:
        return self.data / "thumbnails"

    @property
    def models(self) -> Path:
        return self.data / "models"

    @property
    def logs(self) -> Path:
        return self.data / "logs"

    @property
    def user_data_file(self) -> Path:
        """Ratings, albums, feedback, folders: the user's own work (``user_data``)."""
        return self.data / "user_data.sqlite3"

    @property
    def backups(self) -> Path:
        return self.data / "backups"

    @property
    def settings_file(self) -> Path:
        return self.config / "settings.json"

    @classmethod
    def from_environment(cls) -> "Paths":
        home = os.environ.get("PHOTOFINDER_HOME")
        if home:
            root = Path(home).expanduser().absolute()
            return cls(data=root, config=root)
        return cls(
            data=Path(platformdirs.user_data_dir(APP_NAME, appauthor=False)),
            config=Path(platformdirs.user_config_dir(APP_NAME, appauthor=False)),
        )


@dataclass
class Settings:
    """Everything the user can choose, with its default. Saved as JSON, atomically."""

    # open_clip architecture; PHOTOFINDER_MODEL overrides it
    model: str = DEFAULT_MODEL
    # open_clip pretrained tag, downloaded on first use when no weights file is given
    pretrained: str = DEFAULT_PRETRAINED
    # a local weights file (open_clip state dict); PHOTOFINDER_WEIGHTS overrides it
    weights: str = ""
    thumbnail_size: int = 160
    # how closely a photo must match a query to be shown: 1 (loose) to 5 (strict)
    search_strictness: int = 3
    # keys this version does not know (a newer photofinder's, or the library folders an
    # older one kept here until user_data adopts them): written back as they were
    extra: dict = field(default_factory=dict, repr=False)

    @classmethod
    def load(cls, path: Path) -> "Settings":
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return cls()
        except (OSError, ValueError) as exc:
            log.warning("settings file %s unreadable (%s); using defaults", path, exc)
            return cls()
        known = {f.name for f in fields(cls)} - {"extra"}
        values = {k: v for k, v in raw.items() if k in known}
        return cls(**values, extra={k: v for k, v in raw.items() if k not in known})

    def save(self, path: Path) -> None:
        """Write to a temporary file and rename it, so a crash never leaves half a file."""
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(".tmp")
            values = asdict(self)
            values.update(values.pop("extra"))
            tmp.write_text(json.dumps(values, indent=2), encoding="utf-8")
            os.replace(tmp, path)
        except OSError as exc:
            raise StoreError(f"cannot save settings to {path}: {exc.strerror or exc}") from exc

    def effective_model(self) -> tuple[str, str, str]:
        """(architecture, pretrained tag, weights file) after environment overrides."""
        model = os.environ.get("PHOTOFINDER_MODEL") or self.model
        weights = os.environ.get("PHOTOFINDER_WEIGHTS") or self.weights
        pretrained = self.pretrained if model == self.model else ""
        return model, pretrained, weights

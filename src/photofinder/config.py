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
from datetime import datetime
from pathlib import Path

import platformdirs

from photofinder.atomic_file import write_atomically
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
    # the grid's order: browsing "date" (taken, newest first) or "name"; searching also "relevance"
    browse_order: str = "date"
    search_order: str = "relevance"
    # how closely a photo must match a query to be shown: 1 (loose) to 5 (strict)
    search_strictness: int = 3
    # also write star ratings to XMP sidecars (IMG.jpg.xmp) for digiKam, darktable, Lightroom
    xmp_sidecars: bool = False
    # the window answers the local HTTP API (as `photofinder serve`) while it runs
    allow_other_apps: bool = False
    api_port: int = 8765  # its port (on 127.0.0.1); 0 picks a free one
    # keys this version does not know (a newer photofinder's, or the library folders an
    # older one kept here until user_data adopts them): written back as they were
    extra: dict = field(default_factory=dict, repr=False)
    # what happened to an unreadable settings file when it was loaded (not saved)
    notice: str = field(default="", repr=False, compare=False)

    @classmethod
    def load(cls, path: Path) -> "Settings":
        """The saved settings. An unreadable file is moved aside, never overwritten, and
        the last good copy restored; ``notice`` then says so, for the window and the CLI."""
        notice = ""
        try:
            values = cls._read(path)
        except FileNotFoundError:
            values = {}
        except (OSError, ValueError) as exc:
            notice = f"the settings file {path} was unreadable ({exc}); {_move_aside(path)}"
            values, restored = cls._restore_backup(path)
            notice += f"; {restored or 'the default settings are used'}"
            log.info("%s", notice)
        known = {f.name for f in fields(cls)} - {"extra", "notice"}
        return cls(**{k: v for k, v in values.items() if k in known}, notice=notice,
                   extra={k: v for k, v in values.items() if k not in known})

    @classmethod
    def _read(cls, path: Path) -> dict:
        """The file's values, checked against each setting's type (ValueError if not)."""
        raw = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(raw, dict):
            raise ValueError("not a JSON object")
        defaults = cls()
        for f in fields(cls):
            wanted = type(getattr(defaults, f.name))
            if f.name in raw and f.name not in ("extra", "notice") and not isinstance(raw[f.name], wanted):
                raise ValueError(f"{f.name} should be a {wanted.__name__}")
        return raw

    @classmethod
    def _restore_backup(cls, path: Path) -> tuple[dict, str]:
        backup = backup_file(path)
        try:
            values = cls._read(backup)
        except (OSError, ValueError):
            return {}, ""
        try:
            write_atomically(path, backup.read_bytes())
        except OSError as exc:
            return values, f"the last good copy {backup} is used (not restored: {exc.strerror})"
        return values, f"the last good copy was restored from {backup}"

    def save(self, path: Path) -> None:
        """Written to a temporary file, flushed to disk and renamed over the old one (a
        crash never leaves half a file); then copied to settings.json.bak, the last good copy."""
        values = asdict(self)
        values.pop("notice")
        values.update(values.pop("extra"))
        data = json.dumps(values, indent=2).encode("utf-8")
        try:
            write_atomically(path, data)
            write_atomically(backup_file(path), data)
        except OSError as exc:
            raise StoreError(f"cannot save settings to {path}: {exc.strerror or exc}") from exc

    def effective_model(self) -> tuple[str, str, str]:
        """(architecture, pretrained tag, weights file) after environment overrides."""
        model = os.environ.get("PHOTOFINDER_MODEL") or self.model
        weights = os.environ.get("PHOTOFINDER_WEIGHTS") or self.weights
        pretrained = self.pretrained if model == self.model else ""
        return model, pretrained, weights


def backup_file(path: Path) -> Path:
    return path.with_name(path.name + ".bak")


def _move_aside(path: Path) -> str:
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    aside = path.with_name(f"{path.name}.broken-{stamp}")
    try:
        os.replace(path, aside)
    except OSError as exc:
        return f"it could not be moved aside ({exc.strerror}) and is left as it is"
    return f"it was moved to {aside}"

"""Which library folders are offline: their root is gone (an unplugged drive, an unmounted share).

Their photos stay in the index and are shown as offline until the folder returns;
only removing the folder from the library forgets them.
"""

from __future__ import annotations

import os
from typing import Iterable


def offline_folders(folders: Iterable[str]) -> frozenset[str]:
    """The library folders whose root is missing now. A slow mount can block this for
    seconds, so the window calls it off the GUI thread."""
    return frozenset(folder for folder in folders if not os.path.isdir(folder))


def offline_folder_of(path: str, offline: Iterable[str]) -> str | None:
    """The offline library folder that holds ``path``, or None when it is online."""
    for folder in offline:
        if path.startswith(folder.rstrip("/") + "/"):
            return folder
    return None

"""A Python environment as the torch-free bundle has it: every package of this one except
torch, torchvision, open_clip (and what only they use), so that they are not just
unimportable but not installed (``importlib.util.find_spec`` finds nothing)."""

from __future__ import annotations

import os
import re
import sys
import sysconfig
from pathlib import Path

LEFT_OUT = re.compile(r"^(torch|torchvision|torchgen|functorch|open_clip|triton|nvidia|timm)"
                      r"([-_.].*)?$", re.IGNORECASE)
REPO = Path(__file__).resolve().parents[2]


def torch_free_command(folder: Path) -> tuple[list[str], dict[str, str]]:
    """The start of a command line running this Python without site-packages (``-S``), and
    an environment whose PYTHONPATH holds the source and links to every package but the
    left-out ones (made in ``folder``)."""
    packages = folder / "site-packages"
    packages.mkdir(parents=True, exist_ok=True)
    for entry in Path(sysconfig.get_paths()["purelib"]).iterdir():
        if not LEFT_OUT.match(entry.name) and not entry.name.endswith(".pth"):
            link = packages / entry.name
            if not link.exists():
                link.symlink_to(entry)
    path = [str(REPO / "src"), str(packages)]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(path)}
    return [sys.executable, "-S"], env

"""A tiny CLIP model the project trains itself on generated shapes.

No real pretrained weights can be fetched offline, so tests use this model to
prove that the real search pipeline ranks photos by meaning.
"""

from __future__ import annotations

import functools
from pathlib import Path

MODEL_NAME = "pf-tiny-shapes"
CONFIG_PATH = Path(__file__).resolve().parents[1] / "model_configs" / f"{MODEL_NAME}.json"


@functools.cache
def register_config() -> None:
    """Make ``MODEL_NAME`` known to open_clip; later calls do nothing."""
    import open_clip  # here, so the shapes generator does not pull in torch

    open_clip.add_model_config(CONFIG_PATH)

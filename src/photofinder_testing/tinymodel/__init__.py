"""A tiny CLIP model the project trains itself on generated shapes.

No real pretrained weights can be fetched offline, so tests use this model to
prove that the real search pipeline ranks photos by meaning.
"""

from __future__ import annotations

import os
from pathlib import Path

MODEL_NAME = "pf-tiny-shapes"
CONFIG_DIR = Path(__file__).resolve().with_name("model_configs")
CONFIG_PATH = CONFIG_DIR / f"{MODEL_NAME}.json"


def register_config() -> None:
    """Make ``MODEL_NAME`` known to photofinder and open_clip, in this process and the
    processes it starts, through the core's one way in: ``PHOTOFINDER_MODEL_CONFIGS``."""
    from photofinder.embedder import MODEL_CONFIGS_ENV, model_config_folders, register_model_configs

    if CONFIG_DIR not in model_config_folders():
        os.environ[MODEL_CONFIGS_ENV] = os.pathsep.join(
            [*map(str, model_config_folders()), str(CONFIG_DIR)])
    register_model_configs()

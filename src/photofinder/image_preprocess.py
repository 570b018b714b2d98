"""open_clip's evaluation transform in PIL and numpy, so photos are embedded without torch.

open_clip prepares a photo with torchvision: RGB, resize (the shortest side to the
model's size, bicubic, or both sides for "squash" models), centre crop, scale to
0..1, normalise with the model's mean and std. The same steps with PIL's own
resampling (which torchvision calls for PIL images) and numpy give the same numbers,
which tests/test_image_preprocess.py checks against open_clip itself. The settings
come from open_clip's preprocessing config: ``open_clip.get_model_preprocess_cfg``,
or ``preprocess_cfg.json`` beside a published ONNX export.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from photofinder.errors import ModelError

if TYPE_CHECKING:
    from PIL import Image

# open_clip's defaults, for configs that leave them out (OPENAI_DATASET_MEAN / _STD)
DEFAULT_MEAN = (0.48145466, 0.4578275, 0.40821073)
DEFAULT_STD = (0.26862954, 0.26130258, 0.27577711)


@dataclass(frozen=True)
class ImageTransform:
    """A PIL image -> a (3, size, size) float32 array, as open_clip's eval transform."""

    size: int
    mean: tuple[float, float, float] = DEFAULT_MEAN
    std: tuple[float, float, float] = DEFAULT_STD
    interpolation: str = "bicubic"
    resize_mode: str = "shortest"

    @classmethod
    def from_config(cls, config: dict) -> "ImageTransform":
        """From open_clip's preprocessing config; a mode it cannot match is a ModelError."""
        size = config["size"]
        if isinstance(size, (list, tuple)):
            if len(set(size)) != 1:
                raise ModelError(f"non-square model input {size} is not supported without torch")
            size = size[0]
        mode = config.get("resize_mode") or "shortest"
        if mode not in ("shortest", "squash"):
            raise ModelError(f"resize mode {mode!r} is not supported without torch")
        interpolation = config.get("interpolation") or "bicubic"
        return cls(int(size), _triple(config.get("mean"), DEFAULT_MEAN),
                   _triple(config.get("std"), DEFAULT_STD),
                   "bilinear" if interpolation == "bilinear" else "bicubic", mode)

    def __call__(self, image: "Image.Image") -> np.ndarray:
        from PIL import Image

        resample = Image.Resampling.BILINEAR if self.interpolation == "bilinear" \
            else Image.Resampling.BICUBIC
        width, height = image.size
        if self.resize_mode == "squash":
            wanted = (self.size, self.size)
        else:  # torchvision's Resize(int): the short side to size, the long one truncated
            short, long = sorted((width, height))
            scaled = int(self.size * long / short)
            wanted = (self.size, scaled) if width <= height else (scaled, self.size)
        if wanted != (width, height):
            image = image.resize(wanted, resample)
        image = _centre_crop(image, self.size).convert("RGB")
        pixels = np.asarray(image, dtype=np.float32) / np.float32(255)
        pixels = (pixels - np.asarray(self.mean, np.float32)) / np.asarray(self.std, np.float32)
        return np.ascontiguousarray(pixels.transpose(2, 0, 1))


def _centre_crop(image: "Image.Image", size: int) -> "Image.Image":
    """torchvision's CenterCrop: offsets rounded half to even, as Python's round does."""
    width, height = image.size
    if (width, height) == (size, size):
        return image
    top, left = int(round((height - size) / 2.0)), int(round((width - size) / 2.0))
    return image.crop((left, top, left + size, top + size))


def _triple(value, default: tuple[float, float, float]) -> tuple[float, float, float]:
    if value is None:
        return default
    if isinstance(value, (int, float)):
        return (float(value),) * 3
    return tuple(float(v) for v in value)

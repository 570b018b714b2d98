"""The numpy preprocessing gives open_clip's own model input, pixel for pixel."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from photofinder.errors import ModelError
from photofinder.image_preprocess import ImageTransform

SIZES = [(640, 480), (480, 640), (224, 224), (100, 37), (37, 100), (1001, 999), (225, 300)]
MODES = ["RGB", "L", "RGBA", "P", "I;16"]


def photo(size: tuple[int, int], mode: str, seed: int) -> Image.Image:
    """Noise over smooth gradients: both the detail and the slopes resampling must match."""
    rng = np.random.default_rng(seed)
    width, height = size
    ramp = np.linspace(0, 255, width)[None, :, None] * np.linspace(0.2, 1, height)[:, None, None]
    pixels = np.clip(ramp + rng.normal(0, 40, (height, width, 3)), 0, 255).astype(np.uint8)
    image = Image.fromarray(pixels, "RGB")
    if mode == "RGBA":
        image.putalpha(Image.fromarray(rng.integers(0, 256, (height, width), dtype=np.uint8)))
        return image
    if mode == "P":
        return image.quantize(64)
    return image.convert(mode)


def open_clip_input(config: dict, image: Image.Image) -> np.ndarray:
    from open_clip.transform import PreprocessCfg, image_transform_v2

    return image_transform_v2(PreprocessCfg(**config), is_train=False)(image).numpy()


@pytest.mark.parametrize("config", [
    {"size": 224},  # ViT-B-32: OpenAI's mean and std, bicubic, shortest side
    {"size": 256, "mean": [0.5, 0.5, 0.5], "std": [0.5, 0.5, 0.5], "interpolation": "bilinear"},
    {"size": [48, 48], "resize_mode": "squash"},
])
@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("mode", MODES)
def test_the_numpy_transform_equals_open_clips(config, size, mode):
    image = photo(size, mode, seed=hash((size, mode)) % 1000)
    expected = open_clip_input(config, image)
    made = ImageTransform.from_config(config)(image)
    assert made.dtype == np.float32 and made.shape == expected.shape
    np.testing.assert_allclose(made, expected, rtol=0, atol=1e-5)


def test_it_reads_open_clips_config_for_a_real_model():
    import open_clip

    from photofinder.embedder import register_model_configs

    register_model_configs()  # the tiny model's config, named in conftest's environment
    model = open_clip.create_model("pf-tiny-shapes")
    config = open_clip.get_model_preprocess_cfg(model)
    image = photo((300, 200), "RGB", seed=3)
    np.testing.assert_allclose(ImageTransform.from_config(config)(image),
                               open_clip_input(config, image), rtol=0, atol=1e-5)


@pytest.mark.parametrize("config", [{"size": [224, 256]}, {"size": 224, "resize_mode": "longest"}])
def test_a_transform_it_cannot_match_is_a_model_error(config):
    with pytest.raises(ModelError, match="not supported without torch"):
        ImageTransform.from_config(config)

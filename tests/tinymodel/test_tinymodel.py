"""The tiny model, loaded as production loads it, ranks fresh photos by meaning."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import open_clip
import pytest
import torch
from PIL import Image

from photofinder_testing.tinymodel import MODEL_NAME, register_config
from photofinder_testing.tinymodel.shapes import ShapeSpec, write_photos

PHOTO_COUNT = 240  # about six photos for each of the 40 colour-and-shape pairs
PHOTO_SEED = 20240601  # not the training seed: these pictures were never seen
TOP_K = 5
# Measured over training seeds: trained 0.99 to 1.0 (text) and 0.85 to 0.99 (image);
# an untrained model scores about 0.06 on both.
TEXT_PRECISION_BAR = 0.9
IMAGE_PRECISION_BAR = 0.7


def load(weights: Path | None):
    """Model, preprocess and tokenizer, through the same open_clip calls as production."""
    register_config()
    pretrained = str(weights) if weights else None
    model, _, preprocess = open_clip.create_model_and_transforms(MODEL_NAME, pretrained=pretrained)
    return model.eval(), preprocess, open_clip.get_tokenizer(MODEL_NAME)


@pytest.fixture(scope="module")
def photos(tmp_path_factory) -> list[tuple[Path, ShapeSpec]]:
    return write_photos(tmp_path_factory.mktemp("shapes"), PHOTO_COUNT, seed=PHOTO_SEED)


@torch.no_grad()
def embed_photos(model, preprocess, paths: list[Path]) -> torch.Tensor:
    batch = torch.stack([preprocess(Image.open(path).convert("RGB")) for path in paths])
    return model.encode_image(batch, normalize=True)


@torch.no_grad()
def embed_texts(model, tokenizer, texts: list[str]) -> torch.Tensor:
    return model.encode_text(tokenizer(texts), normalize=True)


def pairs_with_enough_photos(photos, minimum: int) -> dict[tuple[str, str], list[int]]:
    """Photo indices per (colour, shape), for the pairs that have at least ``minimum`` photos."""
    by_pair = defaultdict(list)
    for index, (_, spec) in enumerate(photos):
        by_pair[spec.colour, spec.shape].append(index)
    return {pair: members for pair, members in by_pair.items() if len(members) >= minimum}


def text_precision(model, preprocess, tokenizer, photos) -> float:
    """Mean share of the top 5 photos for 'a red circle' (and so on) that are red circles."""
    images = embed_photos(model, preprocess, [path for path, _ in photos])
    pairs = pairs_with_enough_photos(photos, TOP_K)
    queries = [f"{'an' if colour[0] in 'aeiou' else 'a'} {colour} {shape}" for colour, shape in pairs]
    top = (embed_texts(model, tokenizer, queries) @ images.T).topk(TOP_K).indices
    hits = [len(set(found.tolist()) & set(members)) / TOP_K for found, members in zip(top, pairs.values())]
    return sum(hits) / len(hits)


def image_precision(model, preprocess, photos) -> float:
    """Mean share of each photo's 5 nearest other photos that show the same colour and shape."""
    images = embed_photos(model, preprocess, [path for path, _ in photos])
    similarity = images @ images.T
    similarity.fill_diagonal_(-2)  # a photo is not its own neighbour
    shares = []
    for members in pairs_with_enough_photos(photos, TOP_K + 1).values():
        for query in members:
            found = similarity[query].topk(TOP_K).indices.tolist()
            shares.append(len(set(found) & set(members)) / TOP_K)
    return sum(shares) / len(shares)


def test_loads_through_the_standard_open_clip_api(tiny_weights):
    model, preprocess, tokenizer = load(tiny_weights)
    assert tiny_weights.stat().st_size < 30_000_000
    assert tokenizer(["a red circle"]).shape == (1, model.context_length)
    side = open_clip.get_model_config(MODEL_NAME)["vision_cfg"]["image_size"]
    assert preprocess(Image.new("RGB", (300, 200))).shape == (3, side, side)


def test_text_queries_find_the_named_colour_and_shape(tiny_weights, photos):
    model, preprocess, tokenizer = load(tiny_weights)
    assert len(pairs_with_enough_photos(photos, TOP_K)) >= 10
    assert text_precision(model, preprocess, tokenizer, photos) >= TEXT_PRECISION_BAR


def test_similar_photos_show_the_same_colour_and_shape(tiny_weights, photos):
    model, preprocess, _ = load(tiny_weights)
    assert image_precision(model, preprocess, photos) >= IMAGE_PRECISION_BAR


def test_an_untrained_model_fails_the_same_bars(photos):
    torch.manual_seed(0)
    model, preprocess, tokenizer = load(None)
    assert text_precision(model, preprocess, tokenizer, photos) < TEXT_PRECISION_BAR / 2
    assert image_precision(model, preprocess, photos) < IMAGE_PRECISION_BAR / 2

"""Train the tiny shapes CLIP in about a minute on CPU, and cache the weights for tests.

The pictures go through the model's own eval ``preprocess``, exactly as photos do
when the real pipeline indexes them, so training and search see the same input.
"""

from __future__ import annotations

import argparse
import hashlib
import logging
import math
import os
import tempfile
import time
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import numpy as np
import open_clip
import torch
import torch.nn.functional as F

from photofinder_testing.tinymodel import CONFIG_PATH, MODEL_NAME, register_config
from photofinder_testing.tinymodel import shapes

log = logging.getLogger("photofinder_testing.tinymodel")

# One thread: on a shared two-core machine a second thread that has to wait for a busy
# core made steps up to ten times slower; one thread keeps a run near a minute.
THREADS = 1
POOL_SIZE = 6000
DRAW_PX = 256  # the size tests write photos at, so downscaling blurs edges the same way
BATCH = 64
TEXT_WARMUP_STEPS = 200
TRAIN_STEPS = 1000
TEXT_PEAK_LR = 2e-3
PICTURE_PEAK_LR = 5e-3
WARMUP_FRACTION = 0.1
WEIGHT_DECAY = 0.05
# A sharper start than CLIP's 1/0.07 makes same-colour, other-shape captions count early.
INITIAL_LOGIT_SCALE = math.log(50)
MAX_LOGIT_SCALE = math.log(100)
# How often a training caption names each attribute (colour, shape, size, background).
# The shape is always named, so every caption says what is in the picture; backgrounds
# are rarely named, so similar photos are those with the same shape, not the same backdrop.
MENTION_ODDS = (0.9, 1.0, 0.3, 0.05)
_ATTRIBUTE_VALUES = (tuple(shapes.COLOURS), shapes.SHAPES, shapes.SIZES, shapes.BACKGROUNDS)


@dataclass(frozen=True)
class _Pool:
    """Preprocessed pictures and their specs, drawn once because drawing costs more than a step."""

    images: torch.Tensor  # (n, 3, side, side) float16, already normalised
    specs: list[shapes.ShapeSpec]
    attributes: torch.Tensor  # (n, 4) index of each attribute's value


@dataclass(frozen=True)
class _Batch:
    """A random batch of pool pictures, with one random caption for each."""

    picks: np.ndarray
    attributes: torch.Tensor  # (batch, 4)
    captions: list[str]
    mentions: torch.Tensor  # (batch, 4) which attributes each caption names


def train(out_path: Path, steps: int = TRAIN_STEPS, seed: int = 0) -> Path:
    """Train on ``steps`` batches of pictures and save fp16 weights that open_clip can load."""
    threads = torch.get_num_threads()
    torch.set_num_threads(THREADS)
    try:
        torch.manual_seed(seed)
        rng = np.random.default_rng(seed)
        register_config()
        model, _, preprocess = open_clip.create_model_and_transforms(MODEL_NAME)
        model.logit_scale.data.fill_(INITIAL_LOGIT_SCALE)
        tokenizer = open_clip.get_tokenizer(MODEL_NAME)
        started = time.monotonic()
        pool = _draw_pool(preprocess, rng)
        log.info("drew %d pictures in %.1f s", POOL_SIZE, time.monotonic() - started)
        _fit(model, tokenizer, pool, rng, steps)
    finally:
        torch.set_num_threads(threads)
    return _save_atomically({k: v.half() for k, v in model.state_dict().items()}, Path(out_path))


def _draw_pool(preprocess, rng: np.random.Generator) -> _Pool:
    specs = [shapes.random_shape(rng) for _ in range(POOL_SIZE)]
    images = torch.stack([preprocess(shapes.draw(spec, DRAW_PX, rng)).half() for spec in specs])
    attributes = torch.tensor([_attribute_indices(spec) for spec in specs])
    return _Pool(images, specs, attributes)


def _attribute_indices(spec: shapes.ShapeSpec) -> list[int]:
    values = (spec.colour, spec.shape, spec.size, spec.background)
    return [choices.index(value) for choices, value in zip(_ATTRIBUTE_VALUES, values)]


def _fit(model, tokenizer, pool: _Pool, rng: np.random.Generator, steps: int) -> None:
    """Two stages: captions learn to tell each other apart, then pictures learn to match them.

    Freezing the text tower for the second stage gives the picture tower steady
    targets and lets each caption be encoded once, which halves the cost of a step.
    """
    model.train()
    text_params = [p for name, p in model.named_parameters() if not name.startswith("visual.")]
    caption_pair_loss = partial(_caption_pair_loss, model, tokenizer, pool, rng)
    _run(model, text_params, TEXT_PEAK_LR, caption_pair_loss, TEXT_WARMUP_STEPS)
    for param in text_params:
        param.requires_grad_(False)
    model.logit_scale.requires_grad_(True)
    picture_params = [*model.visual.parameters(), model.logit_scale]
    picture_caption_loss = partial(_picture_caption_loss, model, _CaptionCache(model, tokenizer), pool, rng)
    _run(model, picture_params, PICTURE_PEAK_LR, picture_caption_loss, steps)


def _run(model, params: list, peak_lr: float, loss_fn, steps: int) -> None:
    """AdamW with linear warmup and cosine decay, keeping the logit scale in CLIP's range."""
    optimizer = torch.optim.AdamW(params, lr=peak_lr, weight_decay=WEIGHT_DECAY, fused=True)
    start = time.monotonic()
    for step in range(1, steps + 1):
        optimizer.param_groups[0]["lr"] = peak_lr * _schedule(step / steps)
        loss = loss_fn()
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        with torch.no_grad():
            model.logit_scale.clamp_(0, MAX_LOGIT_SCALE)
        if step % 100 == 0:
            elapsed = time.monotonic() - start
            log.info("%s step %d  loss %.3f  %.1f s", loss_fn.func.__name__, step, loss.item(), elapsed)


def _schedule(progress: float) -> float:
    """Share of the peak learning rate: linear warmup, then cosine decay to zero."""
    if progress < WARMUP_FRACTION:
        return progress / WARMUP_FRACTION
    decayed = (progress - WARMUP_FRACTION) / (1 - WARMUP_FRACTION)
    return 0.5 * (1 + math.cos(math.pi * min(decayed, 1.0)))


def _draw_batch(pool: _Pool, rng: np.random.Generator) -> _Batch:
    return _captioned(rng.choice(len(pool.specs), size=BATCH, replace=False), pool, rng)


def _captioned(picks: np.ndarray, pool: _Pool, rng: np.random.Generator) -> _Batch:
    """Pool pictures ``picks``, each with a freshly chosen caption."""
    mentions = _random_mentions(rng)
    captions = [_caption(pool.specs[i], m) for i, m in zip(picks, mentions.tolist())]
    return _Batch(picks, pool.attributes[picks], captions, mentions)


def _random_mentions(rng: np.random.Generator) -> torch.Tensor:
    """Which attributes each caption names, drawn with ``MENTION_ODDS``."""
    return torch.from_numpy(rng.random((BATCH, len(MENTION_ODDS))) < np.asarray(MENTION_ODDS))


def _caption(spec: shapes.ShapeSpec, mention: list[bool]) -> str:
    colour, shape, size, background = mention
    return spec.caption(colour=colour, shape=shape, size=size, background=background)


def _agreement(attributes: torch.Tensor, row_mentions: torch.Tensor, column_mentions: torch.Tensor):
    """(rows, columns): True where row i and column j agree on every attribute both name.

    A picture names every attribute, so for pictures against captions this says
    whether caption j is true of picture i.
    """
    same = attributes[:, None, :] == attributes[None, :, :]
    both = row_mentions[:, None, :] & column_mentions[None, :, :]
    return (same | ~both).all(-1)


def _caption_pair_loss(model, tokenizer, pool: _Pool, rng: np.random.Generator) -> torch.Tensor:
    """Two captions of the same pictures: those that could describe one picture should match."""
    batch = _draw_batch(pool, rng)
    other = _captioned(batch.picks, pool, rng)
    first = model.encode_text(tokenizer(batch.captions), normalize=True)
    second = model.encode_text(tokenizer(other.captions), normalize=True)
    return _soft_clip_loss(first, second, model, _agreement(batch.attributes, batch.mentions, other.mentions))


class _CaptionCache:
    """Features of captions from the frozen text tower, each caption encoded once."""

    def __init__(self, model, tokenizer):
        self._model, self._tokenizer = model, tokenizer
        self._features: dict[str, torch.Tensor] = {}

    @torch.no_grad()
    def __call__(self, captions: list[str]) -> torch.Tensor:
        new = sorted(set(captions).difference(self._features))
        if new:
            encoded = self._model.encode_text(self._tokenizer(new), normalize=True)
            self._features.update(zip(new, encoded))
        return torch.stack([self._features[caption] for caption in captions])


def _picture_caption_loss(model, captions: _CaptionCache, pool: _Pool, rng: np.random.Generator):
    """CLIP's loss between pictures and captions, counting every true caption as a match."""
    batch = _draw_batch(pool, rng)
    images = _random_flips(pool.images[batch.picks].float(), rng)
    image_features = model.encode_image(images, normalize=True)
    matches = _agreement(batch.attributes, torch.ones_like(batch.mentions), batch.mentions)
    return _soft_clip_loss(image_features, captions(batch.captions), model, matches)


def _random_flips(images: torch.Tensor, rng: np.random.Generator) -> torch.Tensor:
    flip = torch.from_numpy(rng.random(len(images)) < 0.5)[:, None, None, None]
    return torch.where(flip, images.flip(-1), images)


def _soft_clip_loss(rows: torch.Tensor, columns: torch.Tensor, model, matches: torch.Tensor) -> torch.Tensor:
    """CLIP's symmetric cross-entropy, sharing each side's target among all its matches."""
    logits = model.logit_scale.exp() * rows @ columns.T
    matches = matches.float()
    row_loss = F.cross_entropy(logits, matches / matches.sum(1, keepdim=True))
    column_loss = F.cross_entropy(logits.T, (matches / matches.sum(0, keepdim=True)).T)
    return (row_loss + column_loss) / 2


def _save_atomically(state_dict: dict, out_path: Path) -> Path:
    """Write beside the target and rename, so a killed run never leaves a broken file."""
    out_path.parent.mkdir(parents=True, exist_ok=True)
    handle, temp_name = tempfile.mkstemp(dir=out_path.parent, suffix=".part")
    os.close(handle)
    try:
        torch.save(state_dict, temp_name)
        os.replace(temp_name, out_path)
    finally:
        if os.path.exists(temp_name):
            os.remove(temp_name)
    return out_path


def ensure_trained(cache_dir: Path) -> Path:
    """Cached weights for the current training recipe, trained first if missing."""
    cache_dir = Path(cache_dir)
    cache_dir.mkdir(parents=True, exist_ok=True)
    weights = cache_dir / f"{MODEL_NAME}-{_recipe_hash()}.pt"
    with _training_lock(cache_dir / f"{weights.name}.lock"):
        if not weights.exists():
            log.info("training %s into %s", MODEL_NAME, weights)
            train(weights)
    return weights


def _recipe_hash() -> str:
    """Changes whenever the code or config that decides the weights changes."""
    digest = hashlib.sha256()
    for path in (Path(__file__), Path(shapes.__file__), CONFIG_PATH):
        digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


@contextmanager
def _training_lock(path: Path):
    """One process trains while the others wait, then find the weights ready."""
    try:
        import fcntl
    except ImportError:  # Windows: racing runs both train; the atomic rename keeps the cache whole
        yield
        return
    with open(path, "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=f"Train the {MODEL_NAME} test model.")
    parser.add_argument("out", type=Path, help="where to write the weights (.pt)")
    parser.add_argument("--steps", type=int, default=TRAIN_STEPS, help="batches of pictures to train on")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    logging.basicConfig(format="%(message)s")
    log.setLevel(logging.INFO)
    print(train(args.out, steps=args.steps, seed=args.seed))


if __name__ == "__main__":
    main()

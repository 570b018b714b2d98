"""A CLIP text encoder in numpy, so a text search never waits for torch.

Importing torch and open_clip costs about 4 s and 700 MB here, and a text query
needs only the text half of the model. The first time a model is loaded with
torch, its text weights are written beside the models as plain ``.npy`` arrays,
after checking that this encoder gives the same vectors as open_clip's
(``export``); later starts open them memory-mapped (``TextTower.open``) and embed
queries with a few matrix products. The folder also keeps the tokenizer's vocabulary,
so it serves without open_clip installed. With a causal mask, tokens after the end
token cannot change it, so only the words typed are computed: a short query
costs a fraction of the full 77-token context.

Only open_clip's standard text transformer is supported; any other text tower
fails the check at export and keeps using torch.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np
from threadpoolctl import ThreadpoolController

from photofinder.clip_tokenizer import VOCAB_FILE, ClipTokenizer, vocabulary_file

log = logging.getLogger("photofinder.text")

FORMAT = 1
CONFIG_FILE = "text-tower.json"  # written last: a folder without it is incomplete
MIN_AGREEMENT = 0.9999  # cosine with open_clip's fp32 text vectors
PROBE_TEXTS = ("a dog on a beach at sunset", "Red CIRCLE!", "", "東京 café 🐶 " * 20)
LAYER_ARRAYS = ("ln_1_weight", "ln_1_bias", "in_weight", "in_bias", "out_weight", "out_bias",
                "ln_2_weight", "ln_2_bias", "fc_weight", "fc_bias", "proj_weight", "proj_bias")


class Unsupported(Exception):
    """The model's text tower is not the standard one this module computes."""


@dataclass(frozen=True)
class TowerConfig:
    context_length: int
    heads: int
    causal: bool
    pool: str  # argmax | first | last | eos
    eos_id: int | None
    activation: str  # gelu | gelu_tanh | quick_gelu
    eps: float
    layer_scale: bool
    projection_bias: bool


class TextTower:
    """Embeds texts with the exported weights; thread-safe (read-only arrays)."""

    def __init__(self, config: TowerConfig, arrays: dict[str, np.ndarray],
                 vocabulary: Path | None = None):
        self.config = config
        self.arrays = arrays
        self.layers = len(arrays["in_weight"])
        self.tokenizer = ClipTokenizer(config.context_length, vocabulary)
        self._blas = ThreadpoolController()  # after numpy has loaded its BLAS

    @classmethod
    def open(cls, folder: Path) -> "TextTower | None":
        """The tower exported into ``folder``, or None if there is none (or it is damaged)."""
        try:
            meta = json.loads((folder / CONFIG_FILE).read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as exc:
            log.warning("ignoring the text tower in %s: %s", folder, exc)
            return None
        if meta.get("format") != FORMAT:
            return None
        try:
            config = TowerConfig(**meta["config"])
            arrays = {name: np.load(folder / f"{name}.npy", mmap_mode="r") for name in meta["arrays"]}
            vocabulary = folder / VOCAB_FILE  # towers saved before it was kept use open_clip's
            return cls(config, arrays, vocabulary if vocabulary.is_file() else None)
        except (OSError, ValueError, TypeError, KeyError) as exc:
            log.warning("ignoring the damaged text tower in %s: %s", folder, exc)
            return None

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Unit vectors, one row per text."""
        # A query's products are small: one BLAS thread does them as fast as two, while
        # threads spinning against a core busy with indexing made a query 5-30x slower.
        with self._blas.limit(limits=1, user_api="blas"):
            rows = [self._encode(self.tokenizer(text)) for text in texts]
        if not rows:
            return np.zeros((0, self.arrays["projection"].shape[1]), np.float32)
        vectors = np.stack(rows)
        return vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)

    def _encode(self, ids: list[int]) -> np.ndarray:
        config, a = self.config, self.arrays
        ids = ids + [0] * (config.context_length - len(ids))
        pooled_at = _pool_position(ids, config)
        used = pooled_at + 1 if config.causal else config.context_length
        x = a["token_embedding"][ids[:used]].astype(np.float32) + a["positional_embedding"][:used]
        mask = np.triu(np.full((used, used), -np.inf, np.float32), 1) if config.causal else None
        for i in range(self.layers):
            attended = self._attention(_layer_norm(x, a["ln_1_weight"][i], a["ln_1_bias"][i],
                                                   config.eps), i, mask)
            x = x + (attended * a["ls_1"][i] if config.layer_scale else attended)
            hidden = _layer_norm(x, a["ln_2_weight"][i], a["ln_2_bias"][i], config.eps)
            hidden = _activation(hidden @ a["fc_weight"][i] + a["fc_bias"][i], config.activation)
            hidden = hidden @ a["proj_weight"][i] + a["proj_bias"][i]
            x = x + (hidden * a["ls_2"][i] if config.layer_scale else hidden)
        pooled = _layer_norm(x[pooled_at], a["ln_final_weight"], a["ln_final_bias"], config.eps)
        out = pooled @ a["projection"]
        return out + a["projection_bias"] if config.projection_bias else out

    def _attention(self, x: np.ndarray, layer: int, mask: np.ndarray | None) -> np.ndarray:
        a, heads = self.arrays, self.config.heads
        tokens, width = x.shape
        qkv = x @ a["in_weight"][layer] + a["in_bias"][layer]
        q, k, v = (part.reshape(tokens, heads, -1).transpose(1, 0, 2) for part in np.split(qkv, 3, axis=1))
        scores = (q * (width // heads) ** -0.5) @ k.transpose(0, 2, 1)
        if mask is not None:
            scores = scores + mask
        scores = np.exp(scores - scores.max(axis=-1, keepdims=True))
        scores /= scores.sum(axis=-1, keepdims=True)
        out = (scores @ v).transpose(1, 0, 2).reshape(tokens, width)
        return out @ a["out_weight"][layer] + a["out_bias"][layer]


def export(model, tokenizer, folder: Path) -> bool:
    """Write the text half of a loaded fp32 open_clip ``model`` into ``folder``, if this
    module reproduces it (tokens and vectors); True when written. Runs once per model."""
    try:
        config, arrays = _text_parts(model)
        tower = TextTower(config, arrays)
        agreement = _agreement(tower, model, tokenizer)
    except Unsupported as exc:
        log.info("text queries keep using torch: %s", exc)
        return False
    if agreement < MIN_AGREEMENT:
        log.info("text queries keep using torch: the numpy text tower agrees only to %.6f",
                 agreement)
        return False
    try:
        _write(folder, config, arrays)
    except OSError as exc:
        # Only the speed of later starts depends on it; the disk's own trouble is
        # reported by whatever needed the disk for the user's data.
        log.info("text queries keep using torch: cannot save the text tower in %s: %s",
                 folder, exc)
        return False
    log.info("text tower saved in %s (agreement %.6f)", folder, agreement)
    return True


def _text_parts(model) -> tuple[TowerConfig, dict[str, np.ndarray]]:
    """The config and fp32 arrays of the text tower, weights transposed for ``x @ w``."""
    import torch
    from open_clip.transformer import QuickGELU, ResidualAttentionBlock, TextTransformer

    text = getattr(model, "text", None)
    if text is not None:
        if not isinstance(text, TextTransformer) or text.cls_emb is not None or text.use_pad_mask:
            raise Unsupported(f"text tower {type(text).__name__} with its own tokens or masks")
        source, pool, eos_id = text, text.pool_type, text.eos_id
    else:
        source, pool, eos_id = model, model.text_pool_type, getattr(model, "text_eos_id", None)
    if pool not in ("argmax", "first", "last", "eos"):
        raise Unsupported(f"pooling '{pool}'")
    blocks = list(source.transformer.resblocks)
    first = blocks[0]
    if any(type(b) is not ResidualAttentionBlock or hasattr(b, "ln_1_kv")
           or b.attn.in_proj_weight is None for b in blocks):
        raise Unsupported("custom attention blocks")
    act = first.mlp.gelu
    if isinstance(act, QuickGELU):
        activation = "quick_gelu"
    elif isinstance(act, torch.nn.GELU):
        activation = "gelu_tanh" if act.approximate == "tanh" else "gelu"
    else:
        raise Unsupported(f"activation {type(act).__name__}")
    layer_scale = not isinstance(first.ls_1, torch.nn.Identity)
    projection = source.text_projection
    if projection is None:
        raise Unsupported("no text projection")
    projection_bias = isinstance(projection, torch.nn.Linear) and projection.bias is not None

    def numpy(tensor) -> np.ndarray:
        return np.ascontiguousarray(tensor.detach().float().cpu().numpy())

    def stacked(get) -> np.ndarray:
        return np.ascontiguousarray(np.stack([numpy(get(b)) for b in blocks]))

    arrays = {
        "token_embedding": numpy(source.token_embedding.weight),
        "positional_embedding": numpy(source.positional_embedding),
        "ln_1_weight": stacked(lambda b: b.ln_1.weight), "ln_1_bias": stacked(lambda b: b.ln_1.bias),
        "in_weight": stacked(lambda b: b.attn.in_proj_weight.T),
        "in_bias": stacked(lambda b: b.attn.in_proj_bias),
        "out_weight": stacked(lambda b: b.attn.out_proj.weight.T),
        "out_bias": stacked(lambda b: b.attn.out_proj.bias),
        "ln_2_weight": stacked(lambda b: b.ln_2.weight), "ln_2_bias": stacked(lambda b: b.ln_2.bias),
        "fc_weight": stacked(lambda b: b.mlp.c_fc.weight.T), "fc_bias": stacked(lambda b: b.mlp.c_fc.bias),
        "proj_weight": stacked(lambda b: b.mlp.c_proj.weight.T),
        "proj_bias": stacked(lambda b: b.mlp.c_proj.bias),
        "ln_final_weight": numpy(source.ln_final.weight), "ln_final_bias": numpy(source.ln_final.bias),
        "projection": numpy(projection.weight.T if isinstance(projection, torch.nn.Linear) else projection),
    }
    if layer_scale:
        arrays["ls_1"] = stacked(lambda b: b.ls_1.gamma)
        arrays["ls_2"] = stacked(lambda b: b.ls_2.gamma)
    if projection_bias:
        arrays["projection_bias"] = numpy(projection.bias)
    config = TowerConfig(
        context_length=int(source.positional_embedding.shape[0]), heads=int(first.attn.num_heads),
        causal=source.attn_mask is not None, pool=pool,
        eos_id=None if eos_id is None else int(eos_id), activation=activation,
        eps=float(first.ln_1.eps), layer_scale=layer_scale, projection_bias=projection_bias,
    )
    return config, arrays


def _agreement(tower: TextTower, model, tokenizer) -> float:
    """Lowest cosine between this tower's and open_clip's vectors for the probe texts;
    0 if the two tokenizers disagree on any of them."""
    import torch

    tokens = tokenizer(list(PROBE_TEXTS))
    for text, row in zip(PROBE_TEXTS, tokens.tolist()):
        ids = tower.tokenizer(text)
        if ids + [0] * (len(row) - len(ids)) != row:  # 0 pads (and is "!": not stripped)
            return 0.0
    with torch.inference_mode():
        reference = model.encode_text(tokens.to(next(model.parameters()).device)).float().cpu().numpy()
    reference /= np.maximum(np.linalg.norm(reference, axis=1, keepdims=True), 1e-12)
    return float(np.min(np.sum(reference * tower.embed(PROBE_TEXTS), axis=1)))


def _write(folder: Path, config: TowerConfig, arrays: dict[str, np.ndarray]) -> None:
    """All arrays, then the config, into a fresh folder renamed into place: a crash
    leaves either no tower or a whole one."""
    folder.parent.mkdir(parents=True, exist_ok=True)
    staging = folder.with_name(f"{folder.name}.{os.getpid()}.partial")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir()
    try:
        for name, array in arrays.items():
            with open(staging / f"{name}.npy", "wb") as f:
                np.save(f, array)
                f.flush()
                os.fsync(f.fileno())
        shutil.copyfile(vocabulary_file(), staging / VOCAB_FILE)
        meta = {"format": FORMAT, "config": config.__dict__, "arrays": sorted(arrays)}
        (staging / CONFIG_FILE).write_text(json.dumps(meta, indent=1), encoding="utf-8")
        shutil.rmtree(folder, ignore_errors=True)
        os.replace(staging, folder)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _pool_position(ids: list[int], config: TowerConfig) -> int:
    """Which token's output becomes the text's vector (as open_clip's text_global_pool)."""
    if config.pool == "first":
        return 0
    if config.pool == "last":
        return config.context_length - 1
    if config.pool == "eos":
        return ids.index(config.eos_id) if config.eos_id in ids else 0
    return int(np.argmax(ids))


def _layer_norm(x: np.ndarray, weight: np.ndarray, bias: np.ndarray, eps: float) -> np.ndarray:
    mean = x.mean(axis=-1, keepdims=True)
    centred = x - mean
    variance = (centred * centred).mean(axis=-1, keepdims=True)
    return centred / np.sqrt(variance + eps) * weight + bias


def _activation(x: np.ndarray, kind: str) -> np.ndarray:
    if kind == "quick_gelu":
        return x / (1.0 + np.exp(-1.702 * x))
    if kind == "gelu_tanh":
        return 0.5 * x * (1.0 + np.tanh(0.7978845608 * (x + 0.044715 * x ** 3)))
    return 0.5 * x * (1.0 + _erf(x * 0.7071067811865476))


def _erf(x: np.ndarray) -> np.ndarray:
    """Abramowitz and Stegun 7.1.26 (error below 1.5e-7): numpy has no erf."""
    sign = np.sign(x)
    x = np.abs(x)
    t = 1.0 / (1.0 + 0.3275911 * x)
    poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027
                                                                         + t * 1.061405429))))
    return sign * (1.0 - poly * np.exp(-x * x))

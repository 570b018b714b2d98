"""An open_clip model exported as Immich publishes them on the Hub
(``photofinder.published_onnx``): config, each tower as ONNX taking one input at a
time, the image preprocessing config and CLIP's tokenizer in its Hugging Face form.
Made here with torch: the tests serve the tiny model's (tests/helpers/hub_server.py)
to a torch-free process; benchmarks/bench_torch_free.py times ViT-B-32's."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

from photofinder.clip_tokenizer import MERGES, vocabulary_file
from photofinder.weights import ONNX_EXPORT_OWNER

PRETRAINED = "shapes"  # the tag the tiny model is "published" under


def published_files(weights: Path, folder: Path) -> dict[str, bytes]:
    """URL path -> bytes of every file of the tiny model's export (written into ``folder``)."""
    import open_clip

    from photofinder_testing.tinymodel import MODEL_NAME, register_config

    register_config()
    model = open_clip.create_model(MODEL_NAME)
    open_clip.load_checkpoint(model, str(weights))
    export_like_immich(model, MODEL_NAME, folder)
    repo = f"/{ONNX_EXPORT_OWNER}/{MODEL_NAME}__{PRETRAINED}/resolve/main"
    return {f"{repo}/{path.relative_to(folder).as_posix()}": path.read_bytes()
            for path in folder.rglob("*") if path.is_file()}


def export_like_immich(model, arch: str, folder: Path) -> None:
    """Write ``model`` (open_clip, architecture ``arch``) into ``folder`` in Immich's layout."""
    import open_clip
    import torch

    model.eval()
    config = open_clip.get_model_config(arch)
    size, context = config["vision_cfg"]["image_size"], config["text_cfg"]["context_length"]
    (folder / "visual").mkdir(parents=True, exist_ok=True)
    (folder / "textual").mkdir(parents=True, exist_ok=True)
    (folder / "config.json").write_text(json.dumps(config))
    (folder / "visual" / "preprocess_cfg.json").write_text(
        json.dumps(open_clip.get_model_preprocess_cfg(model)))
    _export(_unit_vectors(model.encode_image), torch.randn(1, 3, size, size), "image",
            folder / "visual" / "model.onnx")
    _export(_unit_vectors(model.encode_text), torch.ones(1, context, dtype=torch.int32), "text",
            folder / "textual" / "model.onnx")
    (folder / "textual" / "tokenizer.json").write_text(json.dumps(_hugging_face_tokenizer()))


def _unit_vectors(encode):
    """A tower as Immich exports it: ``encode`` with unit vectors out, as a module."""
    import torch

    class Tower(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.model = encode.__self__

        def forward(self, x):
            return encode(x, normalize=True)

    return Tower()


def _export(tower, probe, input_name: str, target: Path) -> None:
    import torch

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(tower, (probe,), str(target), input_names=[input_name],
                          output_names=["embedding"], opset_version=17, dynamo=False)


def _hugging_face_tokenizer() -> dict:
    """The part of CLIP's tokenizer.json that holds its byte-pair merges."""
    import gzip

    lines = gzip.open(vocabulary_file()).read().decode("utf-8").split("\n")[1:MERGES + 1]
    return {"version": "1.0", "model": {"type": "BPE", "merges": lines}}

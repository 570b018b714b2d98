"""The image tower as ONNX files, exported from open_clip once per model.

ONNX Runtime with int8 weights (dynamic quantisation of the matrix products)
embeds ViT-B-32 about 3x faster than torch fp32 on CPUs without AMX, which is
most computers. The files sit in the models folder, one subfolder per model id:
``image-fp32.onnx``, ``image-int8.onnx`` and ``onnx.json`` (written last, with
the files' sizes and the model's preprocessing), so a folder without a matching
``onnx.json`` is incomplete or damaged and is simply made again.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import shutil
import warnings
from pathlib import Path

log = logging.getLogger("photofinder.embed")

FORMAT = 1
ONNX_DIR = "onnx"  # in the models folder
META_FILE = "onnx.json"
IMAGE_FILES = {"fp32": "image-fp32.onnx", "int8": "image-int8.onnx"}
OPSET = 17


def onnx_folder(models_dir: Path, model_id: str) -> Path:
    name = "".join(c if c.isalnum() or c in "-_." else "_" for c in model_id)
    return models_dir / ONNX_DIR / name


def read_meta(folder: Path) -> dict | None:
    """The folder's description if every file it names is there with its size, else None."""
    try:
        meta = json.loads((folder / META_FILE).read_text(encoding="utf-8"))
        if meta.get("format") != FORMAT:
            return None
        for name, size in meta["files"].items():
            if (folder / name).stat().st_size != size:
                return None
        return meta
    except (OSError, ValueError, KeyError, AttributeError, TypeError):
        return None


def export(visual, input_size: int, preprocess: dict, folder: Path) -> dict:
    """Write ``visual`` (an fp32 open_clip image tower) as fp32 and int8 ONNX files into
    ``folder``; each file lands by an atomic rename and the description last."""
    import torch
    from onnxruntime.quantization import QuantType, quantize_dynamic

    folder.mkdir(parents=True, exist_ok=True)
    (folder / META_FILE).unlink(missing_ok=True)
    fp32, int8 = (folder / IMAGE_FILES[p] for p in ("fp32", "int8"))
    probe = torch.zeros(2, 3, input_size, input_size)
    # Not under inference_mode: there attention takes a fused fast path ONNX cannot express.
    with _written(fp32) as tmp, warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the TorchScript exporter's deprecation notice
        torch.onnx.export(visual, (probe,), str(tmp), input_names=["pixels"],
                          output_names=["features"], opset_version=OPSET, dynamo=False,
                          dynamic_axes={"pixels": {0: "batch"}, "features": {0: "batch"}})
    # Only the matrix products: quantised convolutions (the patch embedding) lose accuracy
    # and ONNX Runtime runs them slower than fp32 ones.
    with _written(int8) as tmp, _quiet_root_logger():
        quantize_dynamic(str(fp32), str(tmp), op_types_to_quantize=["MatMul", "Gemm"],
                         weight_type=QuantType.QInt8)
    meta = {"format": FORMAT, "input_size": input_size, "preprocess": preprocess,
            "files": {f.name: f.stat().st_size for f in (fp32, int8)}}
    with _written(folder / META_FILE) as tmp:
        tmp.write_text(json.dumps(meta, indent=1), encoding="utf-8")
    log.info("image tower exported to ONNX in %s", folder)
    return meta


def discard(folder: Path) -> None:
    """Remove a damaged export; the next start makes it again."""
    log.warning("the ONNX files in %s are damaged; they will be made again", folder)
    shutil.rmtree(folder, ignore_errors=True)


@contextlib.contextmanager
def _written(target: Path):
    """A temporary path beside ``target``, flushed to disk and renamed over it on success."""
    tmp = target.with_name(f"{target.name}.{os.getpid()}.partial")
    try:
        yield tmp
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)


@contextlib.contextmanager
def _quiet_root_logger():
    """quantize_dynamic logs advice about pre-processing on the root logger every time."""
    def keep(record: logging.LogRecord) -> bool:
        return "pre-processing before quantization" not in record.getMessage()

    root = logging.getLogger()
    root.addFilter(keep)
    try:
        yield
    finally:
        root.removeFilter(keep)

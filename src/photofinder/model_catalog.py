"""The models the settings offer by name, with what choosing one needs: size, speed,
retrieval quality and languages.

Quality is text-to-image retrieval (finding photos from a description) from open_clip's
published table (docs/openclip_retrieval_results.csv): recall@1 and @5 on MSCOCO and
Flickr30k. Size is the weights file (fp32 parameters, from open_clip's
docs/model_profile.csv). Speed is measured here: benchmarks/bench_models.py runs each
image tower beside ViT-B-32's in the same run (the ratio is what indexing pays). Any
other open_clip model can still be typed in by name. The multilingual ones
(xlm-roberta-base-ViT-B-32: 37.8 COCO R@1, about 100 languages) are not listed: their text tower
needs Hugging Face ``transformers``, which photofinder does not install.

``onnx_export`` names the model's published ONNX export (Immich's, on the Hub), what an
install without torch downloads instead of the weights; Immich renamed some tags
(laion2b_s34b_b79k -> laion2b-s34b-b79k) and publishes no export of some models.
"""

from __future__ import annotations

from dataclasses import dataclass

# ViT-B-32's image tower, fp32 on 2 cores of the no-AMX build machine (shared/README);
# the others' speed is this times their measured ratio to it.
REFERENCE_PHOTOS_PER_SECOND = 14.0


@dataclass(frozen=True)
class KnownModel:
    arch: str
    pretrained: str
    name: str
    size_mb: int
    relative_speed: float  # photos/s against ViT-B-32's, measured in one run
    coco_r1: float  # MSCOCO text -> image recall@1, %
    coco_r5: float
    flickr_r1: float  # Flickr30k text -> image recall@1, %
    flickr_r5: float
    languages: str
    onnx_export: str = ""  # Hub repository of its published ONNX export; "" if none

    @property
    def photos_per_second(self) -> float:
        """Indexing speed on a 2-core laptop-class CPU in fp32, scaled by compute."""
        return REFERENCE_PHOTOS_PER_SECOND * self.relative_speed

    def describe(self) -> str:
        """One line for a list: name, size, speed, quality, languages."""
        return (f"{self.name} — {self.size_mb:,} MB, ~{self.photos_per_second:.1f} photos/s, "
                f"COCO R@1 {self.coco_r1:.1f} / Flickr R@1 {self.flickr_r1:.1f}, {self.languages}")


KNOWN_MODELS = (
    KnownModel("ViT-B-32", "laion2b_s34b_b79k", "ViT-B/32 LAION-2B (recommended)",
               605, 1.00, 39.3, 65.4, 66.8, 88.4, "English",
               "immich-app/ViT-B-32__laion2b-s34b-b79k"),
    KnownModel("ViT-B-32-256", "datacomp_s34b_b86k", "ViT-B/32-256 DataComp",
               605, 0.84, 39.9, 65.4, 64.9, 87.2, "English"),
    KnownModel("ViT-B-16", "laion2b_s34b_b88k", "ViT-B/16 LAION-2B (better, 3x slower)",
               598, 0.31, 42.3, 67.7, 69.8, 90.4, "English"),
    KnownModel("ViT-L-14", "laion2b_s32b_b82k", "ViT-L/14 LAION-2B (best, 20x slower)",
               1710, 0.05, 46.5, 71.1, 75.5, 92.9, "English",
               "immich-app/ViT-L-14__laion2b-s32b-b82k"),
    KnownModel("ViT-B-32", "openai", "ViT-B/32 OpenAI (original CLIP)",
               605, 1.00, 30.4, 55.9, 58.8, 83.6, "English", "immich-app/ViT-B-32__openai"),
)


def offered_models(with_torch: bool) -> tuple[KnownModel, ...]:
    """The models the settings list: all of them, or without torch those with an export."""
    return KNOWN_MODELS if with_torch else tuple(m for m in KNOWN_MODELS if m.onnx_export)


def known_model(arch: str, pretrained: str) -> KnownModel | None:
    return next((m for m in KNOWN_MODELS if (m.arch, m.pretrained) == (arch, pretrained)), None)

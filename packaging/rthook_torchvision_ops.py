"""PyInstaller runtime hook: let torchvision import without its compiled operators.

torchvision registers fake kernels for its C++ operators (nms, roi_align...) when it is
imported, and that fails where those operators could not be loaded: a torchvision
wheel built for CUDA beside the CPU-only torch, as on build machines that cannot reach
PyTorch's CPU index. photofinder uses only torchvision's transforms (through
open_clip), which need none of them, so the registrations are skipped.
"""

import sys
import types

sys.modules.setdefault("torchvision._meta_registrations",
                       types.ModuleType("torchvision._meta_registrations"))

#!/usr/bin/env bash
# Build the Linux bundle: dist/photofinder/ (the app folder: run dist/photofinder/photofinder)
# and dist/photofinder-VERSION-linux-x86_64.tar.gz (the folder, its desktop entry and icon,
# and install.sh that puts them in the user's application menu).
#
# It makes its own build environment (build/venv-cpu) with the CPU-only torch, so the
# bundle carries no CUDA libraries. Set TORCH_PIP_ARGS to install torch some other way,
# e.g. from a local wheel:  TORCH_PIP_ARGS="torch==2.13.0+cpu torchvision==0.28.0"
#
# --torch-free builds the bundle without torch, torchvision and open_clip instead
# (dist/torch-free/photofinder/ and a tarball named ...-torch-free.tar.gz): it embeds
# with ONNX Runtime, fetching each model's published ONNX export.
set -euo pipefail
cd "$(dirname "$0")/.."
variant=""
if [ "${1:-}" = "--torch-free" ]; then
    variant="-torch-free"
    export PHOTOFINDER_TORCH_FREE=1
fi
PYTHON=${PYTHON:-python3}
VENV=${BUILD_VENV:-build/venv-cpu}
TORCH_PIP_ARGS=${TORCH_PIP_ARGS:-"torch torchvision --index-url https://download.pytorch.org/whl/cpu"}
started=$(date +%s)

if [ ! -x "$VENV/bin/pyinstaller" ]; then
    echo "== build environment $VENV (CPU-only torch)"
    "$PYTHON" -m venv "$VENV"
    # shellcheck disable=SC2086 - the arguments are a list on purpose
    "$VENV/bin/pip" install -q $TORCH_PIP_ARGS
    "$VENV/bin/pip" install -q -e . "pyinstaller>=6" pyinstaller-hooks-contrib
fi
# An environment made for an earlier build lacks what pyproject.toml added since.
"$VENV/bin/pip" install -q -e .
if "$VENV/bin/python" -c "import torch, sys; sys.exit(torch.version.cuda is None)"; then
    echo "warning: $VENV has a CUDA torch; its CUDA libraries are left out of the bundle" >&2
fi

echo "== PyInstaller"
distpath=dist${variant:+/torch-free}
"$VENV/bin/pyinstaller" --noconfirm --clean --log-level WARN \
    --distpath "$distpath" --workpath "build/pyinstaller$variant" packaging/photofinder.spec

app=$distpath/photofinder
cp resources/photofinder.desktop resources/photofinder-256.png resources/photofinder.svg "$app/"
cp packaging/install-linux.sh "$app/install.sh"
chmod +x "$app/install.sh"

version=$("$VENV/bin/python" -c "from importlib.metadata import version; print(version('photofinder'))")
tarball="dist/photofinder-$version-linux-$(uname -m)$variant.tar.gz"
echo "== $tarball"
tar -C "$distpath" -czf "$tarball" photofinder

echo "built in $(( $(date +%s) - started )) s"
du -sh "$app" "$tarball"

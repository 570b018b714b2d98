#!/usr/bin/env bash
# Before each release: build the Linux bundle (unless --no-build), start it as a user
# would (no virtual environment on PATH) under Xvfb, and report what the bundle weighs.
#   packaging/release-check.sh              build, test, report
#   packaging/release-check.sh --no-build   test and report the bundle in dist/
#   --torch-free (after either)             the same for the torch-free bundle, which must
#                                           also index and search with a published ONNX export
set -euo pipefail
cd "$(dirname "$0")/.."
build=1 variant="" app=dist/photofinder
for arg in "$@"; do
    case "$arg" in
        --no-build) build="" ;;
        --torch-free) variant=--torch-free app=dist/torch-free/photofinder ;;
        *) echo "unknown option $arg" >&2; exit 2 ;;
    esac
done
[ -z "$build" ] || bash packaging/build-linux.sh $variant

[ -x "$app/photofinder" ] || { echo "no bundle in $app: build it first" >&2; exit 1; }
if find "$app" \( -name 'libcudart*' -o -name 'libcublas*' -o -name 'libcudnn*' -o -name 'libtorch_cuda*' \
        -o -name 'libnccl*' -o -path '*/triton/*' \) | grep -q .; then
    echo "FAIL: CUDA or triton libraries in the CPU bundle:" >&2
    find "$app" -name 'libcu*' -o -name 'libtorch_cuda*' -o -path '*/triton/*' | head >&2
    exit 1
fi
if [ -n "$variant" ] && find "$app" \( -name 'libtorch*' -o -path '*/open_clip/*' \) | grep -q .; then
    echo "FAIL: torch or open_clip in the torch-free bundle" >&2
    exit 1
fi

echo "== the bundle, started without a virtual environment (tests/test_bundle.py)"
PHOTOFINDER_TEST_BUNDLE="$app" QT_QPA_PLATFORM=offscreen \
    "${PYTHON:-.venv/bin/python}" -m pytest tests/test_bundle.py -q -rs -p no:cacheprovider

echo "== size"
du -sh "$app" dist/photofinder-*.tar.gz 2>/dev/null || true
echo "== what dominates it (top entries of $app/_internal)"
du -s "$app"/_internal/* 2>/dev/null | sort -rn | head -15 | awk '{printf "%8.1f MB  %s\n", $1/1024, $2}'

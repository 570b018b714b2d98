#!/usr/bin/env bash
# Before each release: build the Linux bundle (unless --no-build), start it as a user
# would (no virtual environment on PATH) under Xvfb, and report what the bundle weighs.
#   packaging/release-check.sh            build, test, report
#   packaging/release-check.sh --no-build test and report the bundle in dist/
set -euo pipefail
cd "$(dirname "$0")/.."
[ "${1:-}" = "--no-build" ] || bash packaging/build-linux.sh

app=dist/photofinder
[ -x "$app/photofinder" ] || { echo "no bundle in $app: build it first" >&2; exit 1; }
if find "$app" \( -name 'libcudart*' -o -name 'libcublas*' -o -name 'libcudnn*' -o -name 'libtorch_cuda*' \
        -o -name 'libnccl*' -o -path '*/triton/*' \) | grep -q .; then
    echo "FAIL: CUDA or triton libraries in the CPU bundle:" >&2
    find "$app" -name 'libcu*' -o -name 'libtorch_cuda*' -o -path '*/triton/*' | head >&2
    exit 1
fi

echo "== the bundle, started without a virtual environment (tests/test_bundle.py)"
PHOTOFINDER_TEST_BUNDLE="$app" QT_QPA_PLATFORM=offscreen \
    "${PYTHON:-.venv/bin/python}" -m pytest tests/test_bundle.py -q -rs -p no:cacheprovider

echo "== size"
du -sh "$app" dist/photofinder-*.tar.gz 2>/dev/null || true
echo "== what dominates it (top entries of $app/_internal)"
du -s "$app"/_internal/* 2>/dev/null | sort -rn | head -15 | awk '{printf "%8.1f MB  %s\n", $1/1024, $2}'

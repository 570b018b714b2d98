#!/usr/bin/env bash
# Build the macOS bundle: dist/photofinder.app and dist/photofinder-VERSION-macos-ARCH.dmg.
# Run on a Mac (Apple silicon or Intel) with Python 3.10+; the torch wheels for macOS have
# no CUDA in them, and the model runs on Apple's GPU (MPS) where present.
# Not built on the Linux build machine: written to the same recipe (packaging/photofinder.spec).
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
VENV=${BUILD_VENV:-build/venv-macos}
started=$(date +%s)

if [ ! -x "$VENV/bin/pyinstaller" ]; then
    "$PYTHON" -m venv "$VENV"
    "$VENV/bin/pip" install -q -e . "pyinstaller>=6" pyinstaller-hooks-contrib
fi

# The app icon: an .iconset of the PNG sizes, made into .icns by Apple's iconutil.
iconset=build/icons/photofinder.iconset
mkdir -p "$iconset"
for size in 16 32 128 256; do
    sips -z $size $size resources/photofinder-256.png --out "$iconset/icon_${size}x${size}.png" >/dev/null
    double=$((size * 2))
    sips -z $double $double resources/photofinder-256.png --out "$iconset/icon_${size}x${size}@2x.png" >/dev/null
done
iconutil -c icns "$iconset" -o build/icons/photofinder.icns

"$VENV/bin/pyinstaller" --noconfirm --clean --log-level WARN \
    --distpath dist --workpath build/pyinstaller packaging/photofinder.spec

# Ad-hoc signature so Gatekeeper lets a locally built app start; a release is signed with
# a Developer ID instead: CODESIGN_IDENTITY="Developer ID Application: ..." (then notarised).
codesign --force --deep --sign "${CODESIGN_IDENTITY:--}" dist/photofinder.app

version=$("$VENV/bin/python" -c "from importlib.metadata import version; print(version('photofinder'))")
dmg="dist/photofinder-$version-macos-$(uname -m).dmg"
rm -f "$dmg"
staging=build/dmg && rm -rf "$staging" && mkdir -p "$staging"
cp -R dist/photofinder.app "$staging/" && ln -s /Applications "$staging/Applications"
hdiutil create -volname photofinder -srcfolder "$staging" -ov -format UDZO "$dmg"
echo "built in $(( $(date +%s) - started )) s"
du -sh dist/photofinder.app "$dmg"

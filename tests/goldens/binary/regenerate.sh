#!/usr/bin/env bash
# Regenerates the goldens of this folder with ImageJ 1.53t (Debian's `imagej` package).
# CI never runs this: it only reads the committed results.
#
#   tests/goldens/binary/regenerate.sh            (from anywhere in the repository)
#
# Needs: apt-get install -y imagej xvfb xauth; the datasets in ../shared/data beside the
# repository (or HEMATO_DATA_DIR); the ImageJ runner in ../shared/tools/imagej (or IMAGEJ_RUNNER).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../../.." && pwd)"
runner="${IMAGEJ_RUNNER:-$repo/../shared/tools/imagej/run_ij.sh}"
export HEMATO_DATA_DIR="${HEMATO_DATA_DIR:-$repo/../shared/data}"
rgb="$(mktemp -d)"
trap 'rm -rf "$rgb"' EXIT

# 1. Synthetic masks (drawn by the generator) and RGB PNG copies of the real images (decoded by
#    hemato, so that ImageJ never decodes a JPEG itself).
rm -rf "$here/inputs" "$here/expected"
mkdir -p "$here/inputs/real" "$here/inputs/synthetic" "$here/expected"
(cd "$repo" && HEMATO_GOLDEN_RGB_DIR="$rgb" \
    cargo test --release --test morphology_golden_inputs -- --ignored)

# 2. Real masks: ImageJ 8-bit, Default auto-threshold, Convert to Mask.
"$runner" "$here/make_masks.ijm" "$rgb;$here/inputs/real"

# 3. ImageJ's result of every operation on every mask.
for kind in real synthetic; do
    "$runner" "$here/binary_goldens.ijm" "$here/inputs/$kind;$here/expected"
done

# 4. 32-bit results are stored gzipped (the tests unzip them).
gzip -9nf "$here"/expected/edm/*.tif "$here"/expected/ultimate_points/*.tif
echo "goldens regenerated in $here"

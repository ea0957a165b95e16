#!/usr/bin/env bash
# Regenerates the colour goldens:
#  1. hand_computed.csv: Colour Deconvolution 2 pixels computed from the formulas with Python's
#     math module only (hand_computed.py);
#  2. rgb-to-gray/inputs/*.png: RGB PNGs written by hemato (the ignored test generate_inputs in
#     tests/color_goldens.rs, from ../shared/data) and rgb-to-gray/imagej/*.png: ImageJ 1.53t's
#     run("8-bit") of each (convert_8bit.ijm; needs Debian's ImageJ, see
#     ../shared/tools/imagej/README.md). Set HEMATO_SHARED if ../shared is not beside the repository.
#   tests/goldens/color/regenerate.sh
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
export HEMATO_SHARED="${HEMATO_SHARED:-$(cd "$root/.." && pwd)/shared}"
python3 "$here/hand_computed.py" > "$here/hand_computed.csv"
rm -rf "$here/rgb-to-gray"
(cd "$root" && cargo test --release --test color_goldens -- --ignored --exact generate_inputs)
mkdir -p "$here/rgb-to-gray/imagej"
"$HEMATO_SHARED/tools/imagej/run_ij.sh" "$here/convert_8bit.ijm" "$here/rgb-to-gray/inputs;$here/rgb-to-gray/imagej"

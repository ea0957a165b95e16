#!/usr/bin/env bash
# Regenerates the segmentation goldens: the 8-bit channel inputs (from ../shared/data, through
# hemato's own reader, colour deconvolution and PNG writer) and ImageJ 1.53t's chain on them.
# Needs Debian's ImageJ (see ../shared/tools/imagej/README.md). Set HEMATO_SHARED if ../shared is
# not beside the repository. CI never runs this: it reads the committed results.
#   tests/goldens/segment/regenerate.sh
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
export HEMATO_SHARED="${HEMATO_SHARED:-$(cd "$root/.." && pwd)/shared}"
rm -rf "$here/inputs" "$here/imagej"
(cd "$root" && cargo test --release --test segment_goldens -- --ignored --exact generate_inputs)
mkdir -p "$here/imagej"
"$HEMATO_SHARED/tools/imagej/run_ij.sh" "$here/segment_chain.ijm" "$here/inputs;$here/imagej"
# The Count Masks are 16-bit TIFFs that compress well.
gzip -9nf "$here"/imagej/*.tif
echo "segmentation goldens regenerated in $here"

#!/usr/bin/env bash
# Regenerates the threshold goldens: the inputs (from ../shared/data, through hemato's own
# reader and writers) and ImageJ 1.53t's output on them. Needs Debian's ImageJ (see
# ../shared/tools/imagej/README.md). Set HEMATO_SHARED if ../shared is not beside the repository.
#   tests/goldens/threshold/regenerate.sh
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
export HEMATO_SHARED="${HEMATO_SHARED:-$(cd "$root/.." && pwd)/shared}"
rm -rf "$here/inputs" "$here/imagej"
(cd "$root" && cargo test --release --test threshold_goldens -- --ignored --exact generate_inputs)
mkdir -p "$here/imagej/8bit"
"$HEMATO_SHARED/tools/imagej/run_ij.sh" "$here/batch_autothreshold.ijm" "$here/inputs;$here/imagej"

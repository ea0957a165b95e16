#!/usr/bin/env bash
# Regenerates the measure goldens: inputs (from synthetic patterns and ../shared/data), then
# ImageJ 1.53t's Analyze Particles output for every job in jobs.txt.
# Needs Debian's ImageJ: apt-get install -y imagej xvfb xauth (see ../shared/tools/imagej/README.md).
#   tests/goldens/measure/regenerate.sh
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../../.." && pwd)"
cd "$repo"
shared="$repo/../shared"
[ -d "$shared" ] || shared="$repo/../../shared"   # worktrees one level deeper
cargo test --release --test measure_goldens -- --ignored generate_golden_inputs --nocapture
rm -f "$here"/expected/*.csv
"$shared/tools/imagej/run_ij.sh" "$here/batch_analyze_particles.ijm" "$here"
# The format golden: ImageJ's own ResultsTable.d2s on many values (needs javac).
"$here/d2s/regenerate_d2s.sh"

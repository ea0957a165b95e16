#!/usr/bin/env bash
# Wall and CPU time of `hemato slide` against `hemato count` on the same image, two builds
# interleaved (issue 6's throughput target: the slide run within 15 % of the single image).
#
#   benches/slide_vs_count.sh ROUNDS OLD_BINARY NEW_BINARY IMAGE [PIXEL_SIZE]
#
# Each round runs, in turn: count (old), count (new), slide (old), slide (new), and the two
# slide runs with --pixel-size PIXEL_SIZE (default 0.088), all with 2 threads, each under
# `perf stat -e task-clock`. Prints the medians and their ratios to `count` of the same build.
# Make the usual 5.5 MP image with
#   hemato mosaic ../shared/data/smears-sample/images --grid 4x4 -o m.tif
set -euo pipefail
rounds=$1 old=$2 new=$3 image=$4 pixel=${5:-0.088}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
run() { # label command...
  local label=$1; shift
  rm -rf "$work/out"
  local start end
  start=$(date +%s%N)
  perf stat -x, -e task-clock -o "$work/stat" "$@" >/dev/null 2>&1
  end=$(date +%s%N)
  echo "$label $(((end - start) / 1000000)) $(grep task-clock "$work/stat" | cut -d, -f1)" >>"$work/log"
}
uptime
for _ in $(seq "$rounds"); do
  for build in old new; do
    binary=$old; [ $build = new ] && binary=$new
    run "count-$build" "$binary" count "$image" -q
  done
  for build in old new; do
    binary=$old; [ $build = new ] && binary=$new
    run "slide-$build" "$binary" slide "$image" -o "$work/out" -q --threads 2
    run "slide-pixel-size-$build" "$binary" slide "$image" -o "$work/out" -q --threads 2 --pixel-size "$pixel"
  done
done
uptime
python3 - "$work/log" <<'PY'
import collections, statistics, sys
runs = collections.defaultdict(lambda: ([], []))
for line in open(sys.argv[1]):
    label, wall, cpu = line.split()
    runs[label][0].append(int(wall))
    runs[label][1].append(float(cpu))
for label, (walls, cpus) in sorted(runs.items()):
    build = label.rsplit("-", 1)[1]
    base_wall = statistics.median(runs[f"count-{build}"][0])
    base_cpu = statistics.median(runs[f"count-{build}"][1])
    wall, cpu = statistics.median(walls), statistics.median(cpus)
    print(f"{label:20s} wall {wall / 1000:.3f} s ({wall / base_wall:.2f}x)  "
          f"cpu {cpu / 1000:.3f} s ({cpu / base_cpu:.2f}x)  n={len(walls)}")
PY

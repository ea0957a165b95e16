#!/bin/sh
# Peak memory (max RSS) and throughput of `hemato slide` as the slide grows.
#
#   benches/slide_memory.sh [SIZE...]        (default: 10000 20000 40000)
#
# For each SIZE, writes a SIZE x SIZE mosaic of the real smear fields of
# ../shared/data/smears-sample (tiled BigTIFF, Deflate, 512-pixel TIFF tiles) with `hemato mosaic`,
# then runs `hemato slide` on it with 2 threads and the default 2048-pixel tiles under
# /usr/bin/time -v, and prints one line per size: pixels, wall time, MP/s, max RSS, cells.
# Peak memory should stay flat as the slide grows (it is set by tile size x threads).
#
# Environment: THREADS (default 2), TILE (default 2048), SLIDE_ARGS (more `hemato slide`
# options, e.g. "--analysis stain-watershed" or "--pixel-size 0.1"), WORK (scratch folder, default
# target/slide-memory; a 40,000^2 mosaic takes about 2-3 GB of disk), KEEP=1 keeps the mosaics.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
threads=${THREADS:-2}
tile=${TILE:-2048}
work=${WORK:-$root/target/slide-memory}
fields="$root/../shared/data/smears-sample/images"
[ $# -gt 0 ] || set -- 10000 20000 40000
cargo build --release --quiet --manifest-path "$root/Cargo.toml"
hemato="$root/target/release/hemato"
mkdir -p "$work"
printf '%-8s %14s %10s %8s %12s %10s\n' size pixels wall_s MP/s max_rss_MiB cells
for size in "$@"; do
    slide="$work/mosaic-$size.tif"
    if [ ! -f "$slide" ]; then
        "$hemato" mosaic "$fields" --size "${size}x${size}" --no-counts -o "$slide" 2>/dev/null
    fi
    out="$work/out-$size"
    rm -rf "$out"
    /usr/bin/time -v -o "$work/time-$size.txt" \
        "$hemato" slide "$slide" --threads "$threads" --tile "$tile" --quiet ${SLIDE_ARGS:-} -o "$out"
    rss_kb=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$work/time-$size.txt")
    wall=$(sed -n 's/.*Elapsed (wall clock) time (h:mm:ss or m:ss): //p' "$work/time-$size.txt" |
        awk -F: '{ s = 0; for (i = 1; i <= NF; i++) s = s * 60 + $i; print s }')
    pixels=$(python3 -c "import json; s = json.load(open('$out/summary.json'))['slides'][0]; print(s['width'] * s['height'])")
    cells=$(($(wc -l < "$out/cells.csv") - 1))
    awk -v size="$size" -v pixels="$pixels" -v wall="$wall" -v rss="$rss_kb" -v cells="$cells" 'BEGIN {
        printf "%-8s %14d %10.1f %8.2f %12.1f %10d\n", size, pixels, wall, pixels / 1e6 / wall, rss / 1024, cells }'
    [ "${KEEP:-0}" = 1 ] || rm -f "$slide" "${slide%.tif}.fields.csv"
    rm -rf "$out"
done

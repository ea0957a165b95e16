#!/usr/bin/env bash
# Byte-for-byte comparison of every output of two hemato binaries (performance work must not
# change a single byte), and of one binary's outputs at 1 and N threads.
#
# Usage: benches/compare_outputs.sh OLD_HEMATO NEW_HEMATO [WORK_DIR]
#
# Inputs: the 4 MP and 16 MP mosaics of benches/peers (made by `benches/peers/run.sh` into
# target/peers; skipped with a note when missing), 5 BCCD fields and 3 Aslan fields from
# ../shared/data. For each image both binaries run, at 2 threads:
#   - `measure` with 9 option sets (stain channels, Include holes, Exclude edges, size and
#     circularity filters, other pipelines, no fill holes, no watershed, JSON and bloodcells
#     layouts, H&E stains),
#   - `segment` (mask PNG and label TIFF),
#   - `watershed` and `edm` of the pipeline's mask before the watershed;
# then NEW runs the default `measure` and `segment` at 1 and 3 threads. Every pair of files is
# compared with `cmp`; the script prints one line per difference and exits 1 if there is any.
set -euo pipefail

old=${1:?usage: compare_outputs.sh OLD_HEMATO NEW_HEMATO [WORK_DIR]}
new=${2:?usage: compare_outputs.sh OLD_HEMATO NEW_HEMATO [WORK_DIR]}
work=${3:-$(mktemp -d)}
repo=$(cd "$(dirname "$0")/.." && pwd)
data="$repo/../shared/data"
mkdir -p "$work"

images=()
for mosaic in mosaic-4mp mosaic-16mp; do
    if [[ -f "$repo/target/peers/$mosaic.png" ]]; then
        images+=("$repo/target/peers/$mosaic.png")
    else
        echo "note: $repo/target/peers/$mosaic.png missing (run benches/peers/run.sh); skipped"
    fi
done
mapfile -t bccd < <(ls "$data"/smears-sample/images/*.jpg | head -5)
mapfile -t aslan < <(ls "$data"/aslan-sample/images/*.png | head -3)
images+=("${bccd[@]}" "${aslan[@]}")

option_sets=(
    "--channels stain2"
    "--channels red,green,blue,stain1,stain2,stain3,image"
    "--channels stain2 --include-holes --exclude-edges"
    "--channels stain2 --size 50-Infinity --circularity 0.3-1"
    "--channels stain1 --channel stain1 --threshold Default"
    "--channels red --channel gray --threshold Li --fill-holes false"
    "--channels stain2 --watershed false --format json"
    "--format bloodcells --channel red"
    "--channels stain1,stain2 --stains H&E --threshold Triangle --objects bright"
)

differences=0
compare() { # compare FILE_A FILE_B WHAT
    if ! cmp -s "$1" "$2"; then
        echo "DIFFERENT: $3 ($1 vs $2)"
        differences=$((differences + 1))
    fi
}
run() { # run BINARY THREADS ARGS...: quiet, fails loudly
    local binary=$1 threads=$2
    shift 2
    RAYON_NUM_THREADS=$threads "$binary" "$@" >/dev/null 2>"$work/stderr" ||
        { cat "$work/stderr"; echo "FAILED: $binary $*"; exit 2; }
}

checked=0
for image in "${images[@]}"; do
    name=$(basename "${image%.*}")
    for index in "${!option_sets[@]}"; do
        read -r -a options <<<"${option_sets[$index]}"
        for side in old new; do
            binary=${!side}
            run "$binary" 2 measure "$image" "${options[@]}" -o "$work/$name-m$index-$side.csv"
        done
        compare "$work/$name-m$index-old.csv" "$work/$name-m$index-new.csv" \
            "measure $name ${option_sets[$index]}"
        checked=$((checked + 1))
    done
    for side in old new; do
        binary=${!side}
        run "$binary" 2 segment "$image" -o "$work/$name-s-$side.png" --labels "$work/$name-s-$side.tif"
        run "$binary" 2 segment "$image" --watershed false -o "$work/$name-uncut-$side.png"
    done
    compare "$work/$name-s-old.png" "$work/$name-s-new.png" "segment mask $name"
    compare "$work/$name-s-old.tif" "$work/$name-s-new.tif" "segment labels $name"
    compare "$work/$name-uncut-old.png" "$work/$name-uncut-new.png" "segment --watershed false $name"
    for side in old new; do
        binary=${!side}
        run "$binary" 2 watershed "$work/$name-uncut-old.png" -o "$work/$name-w-$side.png"
        run "$binary" 2 edm "$work/$name-uncut-old.png" -o "$work/$name-e-$side.tif"
    done
    compare "$work/$name-w-old.png" "$work/$name-w-new.png" "watershed $name"
    compare "$work/$name-e-old.tif" "$work/$name-e-new.tif" "edm $name"
    for threads in 1 3; do
        run "$new" "$threads" measure "$image" --channels stain2 -o "$work/$name-t$threads.csv"
        run "$new" "$threads" segment "$image" -o "$work/$name-t$threads.png"
        compare "$work/$name-m0-new.csv" "$work/$name-t$threads.csv" "measure $name at $threads threads"
        compare "$work/$name-s-new.png" "$work/$name-t$threads.png" "segment $name at $threads threads"
    done
    checked=$((checked + 9))
    echo "$name: done"
done
echo "$checked comparisons on ${#images[@]} images, $differences different"
[[ $differences -eq 0 ]]

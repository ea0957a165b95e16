#!/usr/bin/env bash
# Held-out accuracy of `hemato count` on PBC: every image is counted by a model that never saw it.
#
# The shipped model (models/pbc.json) was trained on all of PBC, so `evaluate-detection
# --folders` on PBC scores it on its own training images. This script splits the feature
# table's rows into the same 5 stratified folds that `hemato train --cv 5 --seed 0` uses, trains
# the shipped setting (RBF SVM, C = 100, gamma = 0.005, the model file's 50 columns) on four
# folds, and runs the whole count path (detection, features, model, class gate) with
# `evaluate-detection --folders --model` on the images of the fifth, once with the class gate
# and once with `--trust-model`. Not run by CI (about 5 minutes on 2 cores); its output is in
# docs/accuracy.md.
#
# Usage, from the repository root:
#   tests/pbc_held_out/run.sh [PBC_DIR] [WORK_DIR]
# defaults: ../shared/data/pbc and target/pbc-held-out.
set -euo pipefail

pbc=$(realpath "${1:-../shared/data/pbc}")
work=${2:-target/pbc-held-out}
hemato=${HEMATO:-target/release/hemato}
[ -n "${HEMATO:-}" ] || cargo build --release --locked --quiet
mkdir -p "$work"

table=$work/pbc_features.csv
[ -s "$table" ] || "$hemato" features "$pbc" --class-from-dir -o "$table"
features=$(python3 -c 'import json; print(",".join(json.load(open("models/pbc.json"))["feature_names"]))')
grid=$work/grid.json
echo '{"model": "svm", "c": 100, "gamma": 0.005}' >"$grid"

# The folds of `--cv 5 --seed 0` (row,fold; rows numbered from 0 in table order).
"$hemato" train "$table" --model svm --grid "$grid" --cv 5 --seed 0 --features "$features" \
    --folds-out "$work/folds.csv" -o "$work/all-rows.json" >/dev/null

for fold in 0 1 2 3 4; do
    images=$work/fold-$fold
    rm -rf "$images"
    # Table line n + 2 is row n (line 1 is the header); column 1 is CLASS/FILE under PBC.
    awk -F, -v fold=$fold 'NR == FNR { if (FNR > 1) of[$1] = $2; next }
        FNR == 1 || of[FNR - 2] != fold' "$work/folds.csv" "$table" >"$work/train-$fold.csv"
    awk -F, -v fold=$fold 'NR == FNR { if (FNR > 1) of[$1] = $2; next }
        FNR > 1 && of[FNR - 2] == fold { print $1 }' "$work/folds.csv" "$table" |
        while read -r image; do
            mkdir -p "$images/$(dirname "$image")"
            ln -s "$pbc/$image" "$images/$image"
        done
    "$hemato" train "$work/train-$fold.csv" --model svm --grid "$grid" --cv 0 --seed 0 \
        --features "$features" -o "$work/model-$fold.json" >/dev/null 2>&1
    "$hemato" evaluate-detection --folders "$images" --model "$work/model-$fold.json" \
        >"$work/gated-$fold.md"
    "$hemato" evaluate-detection --folders "$images" --model "$work/model-$fold.json" \
        --trust-model >"$work/trusted-$fold.md"
done

# Sum the per-class rows of the five evaluations; macro F1 per fold as each evaluation prints it.
summarise() {
    awk -F'|' '
        /^\| [a-z]+ \| [0-9]+ \|/ {
            class = $2; gsub(/ /, "", class)
            images[class] += $3; right[class] += $7
        }
        /macro F1/ {
            match($0, /macro F1 over the folder classes [0-9]+\.[0-9]+/)
            f1 = substr($0, RSTART + 33, RLENGTH - 33); folds = folds " " f1; sum += f1; n++
        }
        END {
            print "| class | held-out images | class right | recall |"
            print "| --- | ---: | ---: | ---: |"
            for (class in images) {
                printf "| %s | %d | %d | %.3f |\n", class, images[class], right[class], right[class] / images[class] | "sort"
                total += images[class]; correct += right[class]
            }
            close("sort")
            printf "\nAll: %d of %d right (accuracy %.3f); macro F1 per fold:%s (mean %.3f)\n",
                correct, total, correct / total, folds, sum / n
        }' "$@"
}
echo "## Gated (hemato count's default)"
echo
summarise "$work"/gated-[0-4].md
echo
echo "## Most probable class (hemato count --trust-model)"
echo
summarise "$work"/trusted-[0-4].md

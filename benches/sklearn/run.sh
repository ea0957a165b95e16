#!/usr/bin/env bash
# hemato vs scikit-learn on the same stratified folds: macro F1 and fit time per model.
#
#   benches/sklearn/run.sh [TABLE] [MODELS]
#
# TABLE defaults to ../shared/data/bloodcells/bloodcells_train.csv, MODELS to
# logistic,mlp,forest,boosting,svm. Creates a private virtual environment under
# target/sklearn-venv with the pinned versions of requirements.txt (from PyPI), builds hemato
# in release mode, cross-validates each model with hemato (writing the folds), then fits
# scikit-learn on the same folds. Results go to target/sklearn-compare/comparison.md.
# Timings are wall-clock on this machine: run it on a quiet machine.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
cd "$root"
table="${1:-../shared/data/bloodcells/bloodcells_train.csv}"
models="${2:-logistic,mlp,forest,boosting,svm}"
venv="$root/target/sklearn-venv"
out="$root/target/sklearn-compare"
if ! "$venv/bin/python" -c "import sklearn" 2>/dev/null; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet -r "$here/requirements.txt"
fi
cargo build --release --quiet
mkdir -p "$out"
for model in ${models//,/ }; do
    target/release/hemato train "$table" --model "$model" \
        --grid "$here/settings/$model.json" --cv 5 --seed 0 --json \
        --folds-out "$out/folds.csv" -o "$out/$model.model.json" > "$out/$model.cv.json"
done
# One BLAS thread: on these 5,000 x 33 problems threaded OpenBLAS only spins, and on a machine
# with any other load it slows scikit-learn's logistic regression and MLP 70-fold (measured:
# 1.1 s vs 80 s per fit). The forest (n_jobs=-1) and boosting (OpenMP) still use every core.
OPENBLAS_NUM_THREADS=1 "$venv/bin/python" "$here/compare.py" --table "$table" --folds "$out/folds.csv" \
    --results "$out" --settings "$here/settings" --models "$models" | tee "$out/comparison.md"

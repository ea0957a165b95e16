#!/usr/bin/env bash
# hemato against scikit-image, OpenCV and ImageJ on the same images, in one run.
#
#   benches/peers/run.sh [--rounds 5] [--sizes 1,4,16] [--no-imagej]
#
# Installs what it needs into private folders under target/ (nothing system-wide except
# Debian's ImageJ when it is missing and we are root): a Python virtual environment with the
# pinned peers of requirements.txt from PyPI, and builds hemato in release mode. Prints a
# Markdown table (docs/performance.md shows the last one) and writes target/peers/results.json.
set -euo pipefail
repo="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$repo"
rounds=5 sizes=1,4,16 imagej=yes
while [ $# -gt 0 ]; do
  case "$1" in
    --rounds) rounds="$2"; shift 2 ;;
    --sizes) sizes="$2"; shift 2 ;;
    --no-imagej) imagej=no; shift ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done

venv="$repo/target/peers-venv"
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
fi
"$venv/bin/pip" install --quiet --disable-pip-version-check -r benches/peers/requirements.txt

cargo build --release --locked --quiet
hemato="$repo/target/release/hemato"

imagej_args=()
if [ "$imagej" = yes ]; then
  if [ ! -f /usr/share/java/ij.jar ] && [ "$(id -u)" = 0 ]; then
    apt-get install -y -q imagej xvfb xauth >/dev/null
  fi
  run_ij="$repo/../shared/tools/imagej/run_ij.sh"
  if [ -f /usr/share/java/ij.jar ] && [ -x "$run_ij" ]; then
    imagej_args=(--imagej "$run_ij")
  else
    echo "ImageJ not available: measuring without it" >&2
  fi
fi

# One BLAS thread for numpy: its small matrix products only spin with more, and on a loaded
# machine threaded OpenBLAS slows them many-fold (which would flatter hemato).
OPENBLAS_NUM_THREADS=1 exec "$venv/bin/python" benches/peers/compare.py --hemato "$hemato" \
  --fixture fixtures/smears/BloodImage_00003.jpg --work "$repo/target/peers" \
  --rounds "$rounds" --sizes "$sizes" "${imagej_args[@]}"

#!/bin/sh
# Regenerates the TIFF fixtures of tests/slide_formats.rs from a real smear field.
# Needs python3 with venv; installs tifffile, imagecodecs, numpy and Pillow under target/.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../../.." && pwd)
venv="$root/target/fixture-venv"
if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet tifffile imagecodecs numpy Pillow
fi
"$venv/bin/python" "$here/make_fixtures.py" "$root/../shared/data/smears-sample/images/BloodImage_00003.jpg"

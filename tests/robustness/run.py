"""How `hemato count` holds up when the same smears are imaged differently.

Writes copies of ../shared/data/aslan-sample (50 fields, complete boxes) and
../shared/data/smears-sample (20 BCCD fields) changed in one way each -- gamma 0.8 and 1.25,
a warm and a cool white balance, 20 % less light, JPEG at quality 70, a Gaussian blur of one
pixel, and for Aslan 0.75x and 1.5x magnification (boxes scaled with it) -- and scores each
copy with `hemato evaluate-detection`, printing one line per copy; then a second table of
Aslan copies with smaller red cells (shrunk 0.6x to 0.2x, and shrunk then enlarged back). Not
run by CI (about three minutes); the output is in docs/accuracy.md ("Robustness to imaging
changes", "Small red cells").

Usage, from the repository root, with numpy and Pillow (e.g. the venv that
benches/peers/run.sh makes):

    target/peers-venv/bin/python tests/robustness/run.py [HEMATO] [WORK_DIR]

defaults: target/release/hemato and target/robustness.
"""

import csv
import io
import os
import re
import shutil
import subprocess
import sys

import numpy as np
from PIL import Image, ImageFilter

HEMATO = sys.argv[1] if len(sys.argv) > 1 else "target/release/hemato"
WORK = sys.argv[2] if len(sys.argv) > 2 else "target/robustness"
ASLAN = "../shared/data/aslan-sample"
BCCD = "../shared/data/smears-sample"


def per_pixel(change):
    def apply(image):
        values = change(np.asarray(image).astype(float))
        return Image.fromarray(np.clip(values, 0, 255).round().astype(np.uint8))

    return apply


def jpeg(image):
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=70)
    buffer.seek(0)
    return Image.open(buffer).convert("RGB")


def resized(factor):
    return lambda image: image.resize(
        (round(image.width * factor), round(image.height * factor)), Image.LANCZOS
    )


CHANGES = {
    "unchanged (decoded by Pillow)": (lambda image: image, 1.0),
    "gamma 0.8": (per_pixel(lambda a: 255 * (a / 255) ** 0.8), 1.0),
    "gamma 1.25": (per_pixel(lambda a: 255 * (a / 255) ** 1.25), 1.0),
    "warm white balance (R x1.08, B x0.9)": (per_pixel(lambda a: a * [1.08, 1.0, 0.9]), 1.0),
    "cool white balance (R x0.9, B x1.08)": (per_pixel(lambda a: a * [0.9, 1.0, 1.08]), 1.0),
    "20 % less light": (per_pixel(lambda a: a * 0.8), 1.0),
    "JPEG quality 70": (jpeg, 1.0),
    "Gaussian blur, radius 1": (lambda image: image.filter(ImageFilter.GaussianBlur(1)), 1.0),
    "0.75x magnification": (resized(0.75), 0.75),
    "1.5x magnification": (resized(1.5), 1.5),
}


def aslan_copy(folder, change, scale):
    os.makedirs(f"{folder}/images", exist_ok=True)
    for name in sorted(os.listdir(f"{ASLAN}/images")):
        image = Image.open(f"{ASLAN}/images/{name}").convert("RGB")
        change(image).save(f"{folder}/images/{name}")
    with open(f"{ASLAN}/annotations.csv") as source, open(f"{folder}/annotations.csv", "w") as out:
        writer = csv.writer(out)
        for number, row in enumerate(csv.reader(source)):
            if number > 0:
                row[1:5] = [f"{float(value) * scale:.2f}" for value in row[1:5]]
            writer.writerow(row)


def bccd_copy(folder, change):
    # The VOC files name the .jpg files: the changed pixels are written losslessly as PNG
    # under those names (hemato reads images by their content).
    os.makedirs(f"{folder}/images", exist_ok=True)
    shutil.copytree(f"{BCCD}/annotations", f"{folder}/annotations", dirs_exist_ok=True)
    for name in sorted(os.listdir(f"{BCCD}/images")):
        image = Image.open(f"{BCCD}/images/{name}").convert("RGB")
        change(image).save(f"{folder}/images/{name}", format="PNG")


def score(kind, folder):
    report = subprocess.run(
        [HEMATO, "evaluate-detection", kind, folder], capture_output=True, text=True, check=True
    ).stdout
    error = re.search(r"per image mean \|error\| ([0-9.]+) %", report)
    rows = dict(
        (cells.strip(), (recall.strip(), precision.strip()))
        for cells, _, _, _, recall, precision in re.findall(
            r"^\| (red cells|white cells|platelets) \| (\d+) \| (\d+) \| (\d+) \| ([^|]+) \| ([^|]+) \|",
            report,
            re.M,
        )
    )
    return error.group(1) if error else "", rows


print("| change | Aslan red-cell count error | Aslan white cells recall / precision "
      "| BCCD white cells recall / precision | BCCD platelets recall / precision |")
print("| --- | ---: | ---: | ---: | ---: |")
for label, (change, scale) in CHANGES.items():
    slug = re.sub(r"[^a-z0-9]+", "-", label.lower()).strip("-")
    aslan_copy(f"{WORK}/aslan-{slug}", change, scale)
    error, aslan = score("--csv", f"{WORK}/aslan-{slug}")
    if scale == 1.0:
        bccd_copy(f"{WORK}/bccd-{slug}", change)
        _, bccd = score("--voc", f"{WORK}/bccd-{slug}")
        bccd_white = " / ".join(bccd["white cells"])
        bccd_platelets = " / ".join(bccd["platelets"])
    else:
        bccd_white = bccd_platelets = "–"
    print(f"| {label} | {error} % | {' / '.join(aslan['white cells'])} | {bccd_white} | {bccd_platelets} |")

# Small red cells: the Aslan fields shrunk (their red cells are about 49 px across), and shrunk
# then enlarged back to the original size (the pixels lost are the same; only the size the
# detector works at differs). docs/accuracy.md, "Small red cells".
print()
print("| Aslan copy | red cells about | red-cell count error | red cells recall / precision "
      "| white cells recall / precision |")
print("| --- | ---: | ---: | ---: | ---: |")
SIZES = [(0.6, 1.0), (0.5, 1.0), (0.4, 1.0), (1 / 3, 1.0), (0.25, 1.0), (0.2, 1.0),
         (0.5, 2.0), (0.4, 2.5), (0.25, 2.0), (0.25, 4.0)]
for shrink, enlarge in SIZES:
    folder = f"{WORK}/aslan-shrunk-{shrink:.2f}-enlarged-{enlarge:.1f}"
    change = (lambda s, e: lambda image: resized(e)(resized(s)(image)))(shrink, enlarge)
    aslan_copy(folder, change, shrink * enlarge)
    error, aslan = score("--csv", folder)
    label = f"{shrink:.2f}x" + (f", then {enlarge:g}x" if enlarge != 1.0 else "")
    print(f"| {label} | {49 * shrink * enlarge:.0f} px | {error} % | "
          f"{' / '.join(aslan['red cells'])} | {' / '.join(aslan['white cells'])} |")

#!/usr/bin/env python3
"""hemato side by side with the tools users would otherwise run, in one run.

Called by run.sh (which builds hemato and prepares the private environment). For each input
image, in interleaved rounds (the order of the tools rotates every round, so slow drifts of the
machine hit every tool alike), it times:

end to end: RGB smear -> Giemsa eosin channel -> Otsu -> fill holes -> distance map ->
watershed -> labels -> per-particle measurements -> CSV
  * hemato      `hemato measure IMAGE --channels stain2` (all 33 ImageJ columns), one process,
                with 1 thread and with every core (RAYON_NUM_THREADS)
  * scikit-image separate_stains, threshold_otsu, binary_fill_holes, distance_transform_edt,
                peak_local_max + watershed, regionprops_table (16 columns)
  * OpenCV      LUT + transform, threshold(OTSU), floodFill, distanceTransform, watershed,
                per-particle contours/moments/ellipse/hull/meanStdDev (14 columns)

measurement only: the same mask and 8-bit channel
  * hemato      `hemato measure CHANNEL --mask MASK` (33 columns)
  * ImageJ      Analyze Particles with every measurement, redirected to CHANNEL (33 columns),
                timed inside the macro (open + analyse + save; the Java start-up is reported
                apart)

Python peers are timed in-process, including reading the image and writing the CSV; hemato is
timed as a whole process (start-up, decoding and writing included), which favours the peers.
The result is a Markdown table of medians (milliseconds) and peer/hemato ratios.
"""

import argparse
import csv
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np
import scipy
import skimage
from scipy import ndimage
from skimage import io as skio
from skimage.color import separate_stains
from skimage.feature import peak_local_max
from skimage.filters import threshold_otsu
from skimage.measure import label, regionprops_table
from skimage.segmentation import watershed

# Colour Deconvolution 2's Giemsa vectors (methylene blue, eosin), normalised, third = cross.
METHYLENE_BLUE = np.array([0.834750233, 0.513556283, 0.196330403])
EOSIN = np.array([0.092789, 0.954111, 0.283111])


def giemsa_matrix():
    rows = [METHYLENE_BLUE / np.linalg.norm(METHYLENE_BLUE), EOSIN / np.linalg.norm(EOSIN)]
    third = np.cross(rows[0], rows[1])
    rows.append(third / np.linalg.norm(third))
    return np.array(rows)


RGB_FROM_GIEMSA = giemsa_matrix()
GIEMSA_FROM_RGB = np.linalg.inv(RGB_FROM_GIEMSA)

SKIMAGE_PROPERTIES = (
    "label",
    "area",
    "bbox",
    "centroid",
    "perimeter",
    "axis_major_length",
    "axis_minor_length",
    "orientation",
    "eccentricity",
    "solidity",
    "feret_diameter_max",
    "intensity_mean",
    "intensity_min",
    "intensity_max",
)


def write_table(path, columns):
    names = list(columns)
    with open(path, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(names)
        writer.writerows(zip(*(columns[name] for name in names)))


def to_8bit(values):
    low, high = float(values.min()), float(values.max())
    scale = 255.0 / (high - low) if high > low else 0.0
    return np.clip((values - low) * scale + 0.5, 0, 255).astype(np.uint8)


def skimage_pipeline(image_path, out_path):
    rgb = skio.imread(image_path)[..., :3]
    eosin = separate_stains(rgb, GIEMSA_FROM_RGB)[..., 1]
    channel = to_8bit(eosin)
    mask = channel > threshold_otsu(channel)
    mask = ndimage.binary_fill_holes(mask)
    distance = ndimage.distance_transform_edt(mask)
    peaks = peak_local_max(distance, min_distance=7, labels=label(mask))
    markers = np.zeros(mask.shape, dtype=np.int32)
    markers[tuple(peaks.T)] = np.arange(1, len(peaks) + 1)
    labels = watershed(-distance, markers, mask=mask)
    table = regionprops_table(labels, intensity_image=channel, properties=SKIMAGE_PROPERTIES)
    write_table(out_path, table)
    return len(table["label"])


def opencv_pipeline(image_path, out_path):
    bgr = cv2.imread(str(image_path), cv2.IMREAD_COLOR)
    optical_density = (-np.log10((np.arange(256) + 1) / 256.0)).astype(np.float32)
    density = cv2.LUT(bgr, optical_density)
    # rows of the transform act on (B, G, R): reverse the RGB columns of the inverse matrix
    to_stains = GIEMSA_FROM_RGB.T[:, ::-1].astype(np.float32)
    eosin = cv2.transform(density, to_stains)[..., 1]
    channel = cv2.normalize(eosin, None, 0, 255, cv2.NORM_MINMAX, cv2.CV_8U)
    _, mask = cv2.threshold(channel, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    padded = cv2.copyMakeBorder(mask, 1, 1, 1, 1, cv2.BORDER_CONSTANT, value=0)
    outside = padded.copy()
    cv2.floodFill(outside, None, (0, 0), 255)
    mask = (padded | cv2.bitwise_not(outside))[1:-1, 1:-1]
    distance = cv2.distanceTransform(mask, cv2.DIST_L2, 5)
    peaks = (distance == cv2.dilate(distance, np.ones((15, 15), np.uint8))) & (distance > 2)
    _, markers = cv2.connectedComponents(peaks.astype(np.uint8))
    markers = markers + 1
    markers[(mask > 0) & ~peaks] = 0
    cv2.watershed(bgr, markers)
    markers[markers <= 1] = 0
    rows = {name: [] for name in (
        "label", "area", "x", "y", "bx", "by", "width", "height", "perimeter",
        "major", "minor", "angle", "solidity", "mean", "stddev", "min", "max")}
    for index, region in enumerate(ndimage.find_objects(markers)):
        if region is None:
            continue
        particle = (markers[region] == index + 1).astype(np.uint8)
        contours, _ = cv2.findContours(particle, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_NONE)
        contour = max(contours, key=len)
        moments = cv2.moments(particle, binaryImage=True)
        area = moments["m00"]
        if len(contour) >= 5:
            (_, _), (axis_a, axis_b), angle = cv2.fitEllipse(contour)
        else:
            axis_a = axis_b = angle = 0.0
        hull_area = cv2.contourArea(cv2.convexHull(contour))
        mean, stddev = cv2.meanStdDev(channel[region], mask=particle)
        low, high, _, _ = cv2.minMaxLoc(channel[region], mask=particle)
        x, y, width, height = cv2.boundingRect(contour)
        rows["label"].append(index + 1)
        rows["area"].append(area)
        rows["x"].append(moments["m10"] / area + region[1].start)
        rows["y"].append(moments["m01"] / area + region[0].start)
        rows["bx"].append(x + region[1].start)
        rows["by"].append(y + region[0].start)
        rows["width"].append(width)
        rows["height"].append(height)
        rows["perimeter"].append(cv2.arcLength(contour, True))
        rows["major"].append(max(axis_a, axis_b))
        rows["minor"].append(min(axis_a, axis_b))
        rows["angle"].append(angle)
        rows["solidity"].append(area / hull_area if hull_area > 0 else 1.0)
        rows["mean"].append(float(mean[0, 0]))
        rows["stddev"].append(float(stddev[0, 0]))
        rows["min"].append(low)
        rows["max"].append(high)
    write_table(out_path, rows)
    return len(rows["label"])


def data_rows(path):
    with open(path) as handle:
        return max(sum(1 for _ in handle) - 1, 0)


def run_hemato(hemato, arguments, out_path, threads):
    environment = dict(os.environ, RAYON_NUM_THREADS=str(threads))
    command = [hemato, *arguments, "-o", str(out_path)]
    start = time.perf_counter()
    subprocess.run(command, check=True, env=environment, stdout=subprocess.DEVNULL)
    elapsed = time.perf_counter() - start
    return elapsed, data_rows(out_path)


def run_imagej(run_ij, macro, mask, channel, out_path):
    start = time.perf_counter()
    result = subprocess.run(
        [run_ij, macro, f"{mask};{channel};{out_path}"],
        check=True, capture_output=True, text=True)
    wall = time.perf_counter() - start
    values = dict(line.split("=", 1) for line in result.stdout.splitlines() if "=" in line)
    if "elapsed_ms" not in values:
        sys.exit(f"ImageJ printed no timing:\n{result.stdout}\n{result.stderr}")
    inside = float(values["elapsed_ms"]) / 1000.0
    return inside, int(values["particles"]), wall - inside


def timed(function, *arguments):
    start = time.perf_counter()
    particles = function(*arguments)
    return time.perf_counter() - start, particles


def make_inputs(fixture, sizes, work):
    """The real field as PNG, and square mosaics of it with `sizes` megapixels."""
    field = cv2.imread(str(fixture), cv2.IMREAD_COLOR)
    images = []
    real = work / "field.png"
    cv2.imwrite(str(real), field)
    images.append(("real field", real))
    for megapixels in sizes:
        side = int(round((megapixels * 1024 * 1024) ** 0.5))
        reps_y = -(-side // field.shape[0])
        reps_x = -(-side // field.shape[1])
        mosaic = np.tile(field, (reps_y, reps_x, 1))[:side, :side]
        path = work / f"mosaic-{megapixels}mp.png"
        cv2.imwrite(str(path), mosaic)
        images.append((f"{megapixels} MP mosaic", path))
    return images


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hemato", required=True)
    parser.add_argument("--fixture", required=True, type=Path)
    parser.add_argument("--work", required=True, type=Path)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--sizes", default="1,4,16")
    parser.add_argument("--imagej", help="run_ij.sh; ImageJ is skipped without it")
    parser.add_argument("--skip-skimage-above", type=float, default=64.0,
                        help="megapixels above which scikit-image is not run (it is slow)")
    options = parser.parse_args()
    options.work.mkdir(parents=True, exist_ok=True)
    cores = os.cpu_count()
    sizes = [int(size) for size in options.sizes.split(",") if size]
    images = make_inputs(options.fixture, sizes, options.work)
    macro = str(Path(__file__).with_name("imagej_measure.ijm"))

    # The mask and channel every measurement-only tool gets: hemato's own segmentation.
    prepared = {}
    for name, path in images:
        stem = options.work / path.stem
        subprocess.run([options.hemato, "segment", str(path), "-o", f"{stem}-mask.png"],
                       check=True, stdout=subprocess.DEVNULL)
        subprocess.run([options.hemato, "deconvolve", str(path), "-o", str(stem)],
                       check=True, stdout=subprocess.DEVNULL)
        prepared[name] = (Path(f"{stem}-mask.png"), Path(f"{stem}-2.png"))

    tools = {
        "end to end": ["hemato 1 thread", f"hemato {cores} threads", "scikit-image", "OpenCV"],
        "measurement only": [f"hemato {cores} threads", "ImageJ"] if options.imagej
        else [f"hemato {cores} threads"],
    }
    times = {}
    particles = {}
    java_startup = []
    out = options.work / "out.csv"
    for round_index in range(options.rounds):
        for name, path in images:
            megapixels = cv2.imread(str(path), cv2.IMREAD_UNCHANGED).size / 3 / 1e6
            mask, channel = prepared[name]
            for job, job_tools in tools.items():
                order = job_tools[round_index % len(job_tools):] + job_tools[:round_index % len(job_tools)]
                for tool in order:
                    if tool == "scikit-image" and megapixels > options.skip_skimage_above:
                        continue
                    if tool.startswith("hemato"):
                        threads = 1 if "1 thread" in tool else cores
                        arguments = (["measure", str(path), "--channels", "stain2"]
                                     if job == "end to end"
                                     else ["measure", str(channel), "--mask", str(mask)])
                        seconds, count = run_hemato(options.hemato, arguments, out, threads)
                    elif tool == "scikit-image":
                        seconds, count = timed(skimage_pipeline, path, out)
                    elif tool == "OpenCV":
                        seconds, count = timed(opencv_pipeline, path, out)
                    else:
                        seconds, count, startup = run_imagej(options.imagej, macro, mask, channel, out)
                        java_startup.append(startup)
                    times.setdefault((name, job, tool), []).append(seconds)
                    particles[(name, job, tool)] = count
            print(f"round {round_index + 1}/{options.rounds} done", file=sys.stderr)

    print(f"Machine: {platform.processor() or platform.machine()}, {cores} cores; "
          f"Python {platform.python_version()}, numpy {np.__version__}, scipy {scipy.__version__}, "
          f"scikit-image {skimage.__version__}, OpenCV {cv2.__version__}; "
          f"{options.rounds} interleaved rounds, medians.")
    if java_startup:
        print(f"ImageJ Java start-up (not counted): median {statistics.median(java_startup):.2f} s")
    print()
    print("| image | job | tool | particles | median ms | peer / hemato |")
    print("| --- | --- | --- | ---: | ---: | ---: |")
    results = []
    for name, _ in images:
        for job, job_tools in tools.items():
            reference = statistics.median(times[(name, job, f"hemato {cores} threads")])
            for tool in job_tools:
                if (name, job, tool) not in times:
                    continue
                median = statistics.median(times[(name, job, tool)])
                ratio = "" if tool.startswith("hemato") else f"{median / reference:.1f}x"
                print(f"| {name} | {job} | {tool} | {particles[(name, job, tool)]} | "
                      f"{median * 1000:.0f} | {ratio} |")
                results.append({"image": name, "job": job, "tool": tool,
                                "particles": particles[(name, job, tool)],
                                "seconds": times[(name, job, tool)]})
    (options.work / "results.json").write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()

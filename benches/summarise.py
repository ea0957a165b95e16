#!/usr/bin/env python3
"""Markdown table of the criterion results under target/criterion (after `cargo bench`).

    python3 benches/summarise.py [target/criterion]

One row per benchmark: group, function, median time per iteration, and the throughput the
bench declared (elements per second, shown as MP/s for pixel groups and items/s otherwise).
Standard library only.
"""
import json
import sys
from pathlib import Path


def human_time(nanoseconds):
    for unit, scale in (("s", 1e9), ("ms", 1e6), ("µs", 1e3)):
        if nanoseconds >= scale:
            return f"{nanoseconds / scale:.3g} {unit}"
    return f"{nanoseconds:.3g} ns"


def throughput(benchmark, nanoseconds):
    declared = benchmark.get("throughput") or {}
    if "Elements" in declared:
        per_second = declared["Elements"] / (nanoseconds / 1e9)
        group = benchmark["group_id"].lower()
        if "cells" in group or "particles" in group or "fit" in group or "predict" in group:
            return f"{per_second:,.0f} items/s"
        return f"{per_second / 1e6:.1f} MP/s"
    if "Bytes" in declared:
        return f"{declared['Bytes'] / (nanoseconds / 1e9) / 1e6:.1f} MB/s"
    return ""


def main():
    root = Path(sys.argv[1] if len(sys.argv) > 1 else "target/criterion")
    rows = []
    for estimates in sorted(root.glob("**/new/estimates.json")):
        benchmark = json.loads((estimates.parent / "benchmark.json").read_text())
        median = json.loads(estimates.read_text())["median"]["point_estimate"]
        rows.append((benchmark["group_id"], benchmark.get("function_id") or "",
                     human_time(median), throughput(benchmark, median)))
    print("| group | bench | median | throughput |")
    print("| --- | --- | ---: | ---: |")
    for row in rows:
        print("| " + " | ".join(row) + " |")


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""CPU time of `hemato measure` by pipeline stage and by thread, from `perf` samples.

Usage (see docs/performance-notes.md):

    RAYON_NUM_THREADS=2 perf record -F 4000 --call-graph dwarf,32768 -o run.data \
        target/release/hemato measure mosaic-4mp.png --channels stain2 -o out.csv
    perf script -i run.data -F tid,ip,sym | python3 benches/profile_stages.py [TOTAL_MS]

Each sample goes to the stage of the innermost frame of its call stack that matches a stage
pattern below (inlined frames count). With TOTAL_MS (the run's task-clock from `perf stat`),
sample shares are also printed as milliseconds. The per-thread lines give the samples of each
thread: the first thread listed with decoding is the main thread, whose samples are the serial
part; the critical path at 2 threads is about main + busiest worker. Stage patterns match
function names, so after inlining changes some work moves between stages ("watershed_other"
is the per-share closure of `watershed_distance_map`, into which the local-maximum keys, the
level computation and the share's buffers are inlined).
"""
import sys, re, collections
# ordered: first match from the leaf upwards wins? No: we match from root (outermost) inward, the
# innermost matching stage wins (so more specific beats general).
STAGES = [
    ("decode", r"hemato::io::read_image|png::decoder|fdeflate|zune_png|zune_inflate|png::filter|read_png|decode_png"),
    ("deconvolve", r"hemato::color::|stain_transmittance|deconvolve"),
    ("threshold", r"hemato::threshold::"),
    ("fill_holes", r"fill_holes"),
    ("edm", r"hemato::edm::|squared_sweeps|line_pass|nearest_of_three|(?<!watershed_)distance_map"),
    ("max:heights", r"true_heights|ridge_height"),
    ("max:local", r"sorted_local_maxima|par_sort|value_range"),
    ("max:analyse", r"analyse_maxima"),
    ("maxima", r"hemato::watershed::maxima::|find_edm_maxima"),
    ("levels", r"level_image|java_round|LevelScale"),
    ("lower_rejected", r"lower_rejected"),
    ("flood", r"hemato::watershed::segment::|flood_level|pixels_by_level|LevelFlood|share_out"),
    ("pad/unpad", r"Frame::pad|Frame::unpad"),
    ("watershed_other", r"hemato::watershed::watershed|watershed_distance_map"),
    ("find_particles", r"find_particles|hemato::morphology::Particles|find_where"),
    ("mask_of/filter", r"hemato::segment::mask_of|hemato::segment::segment_gray|mask_of"),
    ("measure", r"hemato::measure::measure_particles|hemato::measure::intensity|hemato::measure::shape|hemato::measure::measure"),
    ("csv", r"hemato::measure::table|hemato::output|write_imagej_csv"),
    ("startup", r"_dl_|clap|rayon_core::registry::global_registry|rayon_core::registry::Registry::new"),
    ("rayon_idle", r"rayon_core::sleep|crossbeam|WorkerThread::wait_until|sched_yield|futex"),
    ("exit/munmap", r"exit_mmap|__munmap|do_exit"),
]
comp = [(n, re.compile(p)) for n, p in STAGES]
total = collections.Counter(); per_thread = collections.defaultdict(collections.Counter)
threads = collections.Counter()
def flush(tid, frames):
    if tid is None: return
    stage = "other"
    # frames listed leaf first; innermost matching = first in list that matches
    for f in frames:
        for n, c in comp:
            if c.search(f):
                stage = n; break
        if stage != "other": break
    total[stage] += 1; per_thread[tid][stage] += 1; threads[tid] += 1
tid = None; frames = []
for line in sys.stdin:
    if not line.strip():
        flush(tid, frames); tid = None; frames = []; continue
    if not line.startswith("\t"):
        m = re.match(r"\s*\S+\s+(\d+)", line)
        parts = line.split()
        tid = parts[0] if parts else "?"
        # format: comm tid ...
        frames = []
    else:
        parts = line.strip().split(None, 1)
        if len(parts) == 2: frames.append(parts[1])
flush(tid, frames)
n = sum(total.values())
ms = float(sys.argv[1]) if len(sys.argv) > 1 else None
print(f"samples {n}")
for stage, c in total.most_common():
    extra = f"{c / n * ms:7.1f} ms" if ms else ""
    print(f"{stage:18s} {c:6d} {100*c/n:5.1f}% {extra}")
print("per thread:")
for t, c in threads.most_common():
    top = ", ".join(f"{s} {v}" for s, v in per_thread[t].most_common(6))
    print(f"  {t}: {c} ({100*c/n:.1f}%)  {top}")

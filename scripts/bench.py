#!/usr/bin/env python3
"""Start-up and `hoist init` benchmarks: wall time and peak memory of the whole process.

    python3 scripts/bench.py [--runs N]

Builds the release binary, then runs each case N times (after a warm-up run) and
prints min / median / p95 wall time and the peak resident memory, with the
target each case has. Exits 1 if a median misses its target.
"""

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BINARY = os.path.join(ROOT, "target", "release", "hoist")
MEMORY_RUNS = 5


def run_once(args, cwd, measure_memory):
    """Wall time in ms of one run of the binary, or its peak RSS in MiB.

    Memory is read by GNU time: a child forked from Python starts with Python's
    own pages counted in its peak RSS, one forked from `time` does not.
    """
    env = {"PATH": os.environ.get("PATH", ""), "HOME": cwd, "NO_COLOR": "1"}
    if measure_memory:
        with tempfile.NamedTemporaryFile("r") as report:
            subprocess.run(
                ["/usr/bin/time", "-f", "%M", "-o", report.name, BINARY, *args],
                cwd=cwd, env=env, check=True,
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            )
            return int(report.read().strip().splitlines()[-1]) / 1024
    start = time.perf_counter()
    done = subprocess.run(
        [BINARY, *args], cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    elapsed = (time.perf_counter() - start) * 1000
    if done.returncode != 0:
        sys.exit(f"`hoist {' '.join(args)}` failed (exit {done.returncode})")
    return elapsed


def bench(label, make_args, runs, target_ms):
    times, peaks = [], []
    for i in range(runs + 1 + MEMORY_RUNS):
        work = tempfile.mkdtemp(prefix="hoist-bench-")
        try:
            value = run_once(make_args(i), work, measure_memory=i > runs)
        finally:
            shutil.rmtree(work, ignore_errors=True)
        if i == 0:
            continue  # warm-up: page cache, binary loading
        (peaks if i > runs else times).append(value)
    times.sort()
    median = statistics.median(times)
    p95 = times[min(len(times) - 1, int(round(0.95 * (len(times) - 1))))]
    ok = median <= target_ms
    print(
        f"{label:<46} min {times[0]:6.2f} ms  median {median:6.2f} ms  p95 {p95:6.2f} ms  "
        f"peak RSS {max(peaks):5.1f} MiB  target <= {target_ms} ms  {'ok' if ok else 'MISSED'}",
        flush=True,
    )
    return ok


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()

    print("building the release binary ...", file=sys.stderr, flush=True)
    subprocess.run(["cargo", "build", "--release", "--locked", "--quiet"], cwd=ROOT, check=True)
    print(f"hoist {subprocess.run([BINARY, '--version'], capture_output=True, text=True).stdout.split()[-1]}, "
          f"{args.runs} runs per case, {os.cpu_count()} cores\n", flush=True)

    results = [bench("hoist --help", lambda i: ["--help"], args.runs, 10)]
    for frontend in ["react", "vue", "react-native", "none"]:
        results.append(
            bench(
                f"hoist init app --frontend {frontend} --yes",
                lambda i, f=frontend: ["init", "app", "--frontend", f, "--yes"],
                args.runs,
                50,
            )
        )
    sys.exit(0 if all(results) else 1)


if __name__ == "__main__":
    main()

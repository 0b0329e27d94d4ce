#!/usr/bin/env python3
"""Step Functions engine benchmark (`hoist workflow`).

    python3 scripts/bench_workflow.py [--runs N]

1. validate every definition of ../shared/corpus/asl/ (one process per file,
   and the total);
2. run a Map over 10,000 items whose body is a Pass and a Choice (virtual
   clock, mocks not needed), without and with the execution history.

Prints whole-process wall time (median of the runs) and peak memory.
Target: the 10,000-item Map <= 1 s.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BINARY = os.path.join(ROOT, "target", "release", "hoist")
CORPUS = os.path.join(ROOT, "..", "shared", "corpus", "asl")

MAP_DEFINITION = {
    "Comment": "A Map over many items with a Pass/Choice body",
    "StartAt": "Each",
    "States": {
        "Each": {
            "Type": "Map",
            "ItemsPath": "$.items",
            "MaxConcurrency": 40,
            "ItemSelector": {"value.$": "$$.Map.Item.Value", "index.$": "$$.Map.Item.Index"},
            "ItemProcessor": {
                "StartAt": "Tag",
                "States": {
                    "Tag": {
                        "Type": "Pass",
                        "Parameters": {"n.$": "$.value.n", "i.$": "States.MathAdd($.index, 1)"},
                        "Next": "Big?",
                    },
                    "Big?": {
                        "Type": "Choice",
                        "Choices": [{"Variable": "$.n", "NumericGreaterThanEquals": 5000, "Next": "Big"}],
                        "Default": "Small",
                    },
                    "Big": {"Type": "Pass", "Result": "big", "End": True},
                    "Small": {"Type": "Pass", "Result": "small", "End": True},
                },
            },
            "End": True,
        }
    },
}


def measure(args):
    """Wall time (s) and peak RSS (MiB) of one process."""
    start = time.perf_counter()
    child = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - start
    if status != 0:
        sys.exit(f"{' '.join(args)} failed:\n{child.stderr.read().decode()}")
    return wall, usage.ru_maxrss / 1024


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    opts = parser.parse_args()
    if not os.path.exists(BINARY):
        print("building the release binary ...", file=sys.stderr)
        subprocess.run(["cargo", "build", "--release", "--quiet"], cwd=ROOT, check=True)

    files = sorted(
        os.path.join(CORPUS, f) for f in os.listdir(CORPUS) if f.endswith(".asl.json")
    )
    totals = []
    for _ in range(opts.runs):
        start = time.perf_counter()
        for f in files:
            measure([BINARY, "-q", "workflow", "validate", f])
        totals.append(time.perf_counter() - start)
    print(f"validate: {len(files)} corpus definitions, one process each: median total "
          f"{statistics.median(totals) * 1000:.1f} ms "
          f"({statistics.median(totals) * 1000 / len(files):.1f} ms per file)")

    with tempfile.TemporaryDirectory() as tmp:
        definition = os.path.join(tmp, "map.asl.json")
        data = os.path.join(tmp, "input.json")
        history = os.path.join(tmp, "history.json")
        with open(definition, "w") as f:
            json.dump(MAP_DEFINITION, f)
        with open(data, "w") as f:
            json.dump({"items": [{"n": i} for i in range(10_000)]}, f)
        for label, extra in [("", []), (" with --history", ["--history", history])]:
            walls, peaks = [], []
            for _ in range(opts.runs):
                wall, peak = measure(
                    [BINARY, "-q", "workflow", "run", definition, "--input", "@" + data, "--json"] + extra
                )
                walls.append(wall)
                peaks.append(peak)
            median = statistics.median(walls)
            verdict = "ok" if median <= 1.0 else "MISSED"
            print(f"run: Map over 10,000 items (Pass + Choice){label}: median {median * 1000:.0f} ms, "
                  f"min {min(walls) * 1000:.0f} ms, peak RSS {max(peaks):.1f} MiB "
                  f"(target <= 1 s) {verdict}")


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""GraphQL transform benchmark over generated N-model schemas.

    python3 scripts/bench_transform.py [--runs N]

Each model has 8 scalar fields of mixed types, one @index, and a @hasMany /
@belongsTo pair with the previous model. Prints whole-process wall time (median)
and peak memory per N, and the N=1000 / N=200 time ratio (linear means about 5).
Targets: N=200 <= 200 ms and <= 100 MB; N=1000 <= 5.5 x N=200.
"""

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BINARY = os.path.join(ROOT, "target", "release", "examples", "transform")


def schema(n):
    parts = []
    for i in range(n):
        fields = [
            "  id: ID!",
            "  title: String!",
            "  body: String",
            f"  rank: Int @index(name: \"byRank{i}\", queryField: \"model{i}ByRank\")",
            "  score: Float",
            "  active: Boolean",
            "  publishedAt: AWSDateTime",
            "  email: AWSEmail",
            "  tags: [String]",
        ]
        if i > 0:
            fields.append(f"  parent: Model{i - 1} @belongsTo")
        if i < n - 1:
            fields.append(f"  children: [Model{i + 1}] @hasMany")
        parts.append(f"type Model{i} @model {{\n" + "\n".join(fields) + "\n}\n")
    return "\n".join(parts)


def run(path, measure_memory):
    if measure_memory:
        with tempfile.NamedTemporaryFile("r") as report:
            subprocess.run(["/usr/bin/time", "-f", "%M", "-o", report.name, BINARY, path], check=True, stdout=subprocess.DEVNULL)
            return int(report.read().strip().splitlines()[-1]) / 1024
    start = time.perf_counter()
    subprocess.run([BINARY, path], check=True, stdout=subprocess.DEVNULL)
    return (time.perf_counter() - start) * 1000


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    print("building the release example ...", file=sys.stderr, flush=True)
    subprocess.run(["cargo", "build", "--release", "--locked", "--quiet", "--example", "transform"], cwd=ROOT, check=True)
    medians = {}
    with tempfile.TemporaryDirectory() as work:
        for n in [10, 50, 200, 1000]:
            path = os.path.join(work, f"schema-{n}.graphql")
            with open(path, "w") as f:
                f.write(schema(n))
            run(path, False)  # warm-up
            times = sorted(run(path, False) for _ in range(args.runs))
            memory = max(run(path, True) for _ in range(2))
            medians[n] = statistics.median(times)
            print(f"N={n:<5} median {medians[n]:8.1f} ms   min {times[0]:8.1f} ms   peak RSS {memory:6.1f} MiB", flush=True)
    ratio = medians[1000] / medians[200]
    ok = medians[200] <= 200 and ratio <= 5.5
    print(f"N=1000 / N=200 = {ratio:.2f} (linear is about 5; target <= 5.5)   {'ok' if ok else 'MISSED'}")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()

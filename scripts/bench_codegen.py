#!/usr/bin/env python3
"""Codegen benchmark over generated N-model schemas (those of bench_transform.py).

    python3 scripts/bench_codegen.py [--runs N]

Prints, per N, the in-process time of codegen itself (parsing the transformed
schema, writing the documents and types, the model introspection: median of
--runs), and the whole `hoist codegen` command on a 200-model project (release
binary, transform and file writes included; median of --runs processes).
Target: codegen on a 200-model schema <= 100 ms.
"""

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_transform import schema  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
EXAMPLE = os.path.join(ROOT, "target", "release", "examples", "codegen")
HOIST = os.path.join(ROOT, "target", "release", "hoist")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args()
    print("building the release binary and example ...", file=sys.stderr, flush=True)
    subprocess.run(["cargo", "build", "--release", "--quiet", "--bin", "hoist", "--example", "codegen"], cwd=ROOT, check=True)

    with tempfile.TemporaryDirectory() as tmp:
        for n in (10, 50, 200, 1000):
            path = os.path.join(tmp, f"schema-{n}.graphql")
            with open(path, "w") as f:
                f.write(schema(n))
            out = subprocess.run([EXAMPLE, path, str(args.runs)], check=True, capture_output=True, text=True)
            print(f"in process, N={n}: {out.stdout.strip()}")

        project = os.path.join(tmp, "app")
        env = dict(os.environ, NO_COLOR="1")
        subprocess.run([HOIST, "init", project, "--frontend", "react", "--yes", "-q"], check=True, env=env)
        subprocess.run([HOIST, "add", "api", "--template", "blank", "--yes", "-q"], cwd=project, check=True, env=env)
        with open(os.path.join(project, "hoist", "api", "main", "schema.graphql"), "w") as f:
            f.write(schema(200))
        times = []
        for i in range(args.runs):
            if i % 2 == 0:
                # Every other run starts from nothing, so files are written.
                shutil.rmtree(os.path.join(project, "src", "graphql"), ignore_errors=True)
            start = time.perf_counter()
            subprocess.run([HOIST, "codegen", "-q"], cwd=project, check=True, env=env)
            times.append((time.perf_counter() - start) * 1000)
        print(
            f"`hoist codegen`, 200 models, whole process (transform included): "
            f"median {statistics.median(times):.1f} ms, min {min(times):.1f} ms over {args.runs} runs"
        )


if __name__ == "__main__":
    main()

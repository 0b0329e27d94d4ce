#!/usr/bin/env python3
"""Whole `hoist synth` of an api against Amplify's own transformer, side by side.

    python3 scripts/bench_synth.py [--runs N]

The schemas are bench_transform.py's (N models, each with 8 scalar fields, an
@index and a @hasMany/@belongsTo pair with the previous model), API key as the
default authorization mode on both sides.

hoist: the release binary's whole process, `hoist synth` in a project that has
never been synthesized (a fresh copy for every run, so that each one is a first
synth) and again over an existing build (a re-synth), median wall time.
Amplify: `executeTransform` of `@aws-amplify/graphql-transformer` 2.5.1 (Gen 1
defaults, with the stack's synthesis, as tests/transformer-oracle runs it),
timed inside one Node process after a warm-up run: Node's start and the loading
of its modules are not counted, which favours Amplify.

Targets (issue 17): a first synth of 200 models <= 200 ms; hoist >= 100x faster
than Amplify on 50 models. Exits 1 if one is missed.
"""

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
HOIST = os.path.join(ROOT, "target", "release", "hoist")
ORACLE = os.path.join(ROOT, "tests", "transformer-oracle")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_transform import schema  # noqa: E402

API_KEY = {"defaultAuthentication": {"authenticationType": "API_KEY"}, "additionalAuthenticationProviders": []}


def hoist(env, cwd, *args):
    subprocess.run([HOIST, *args], cwd=cwd, env=env, check=True, stdout=subprocess.DEVNULL)


def timed_synth(env, app):
    start = time.perf_counter()
    subprocess.run([HOIST, "synth", "--yes", "-q"], cwd=app, env=env, check=True, stdout=subprocess.DEVNULL)
    return (time.perf_counter() - start) * 1000


def hoist_figures(work, n, runs):
    """Median first synth and re-synth of an n-model api, in ms, and the build's file count."""
    env = {"PATH": os.environ.get("PATH", ""), "HOME": work, "NO_COLOR": "1"}
    path = os.path.join(work, f"schema-{n}.graphql")
    with open(path, "w") as f:
        f.write(schema(n))
    template = os.path.join(work, f"app-{n}")
    hoist(env, work, "init", f"app-{n}", "--frontend", "none", "--yes", "-q")
    hoist(env, template, "add", "api", "--schema", path, "--auth", "api-key", "--yes", "-q")
    first = []
    for i in range(runs + 1):
        app = os.path.join(work, f"run-{n}-{i}")
        shutil.copytree(template, app)
        elapsed = timed_synth(env, app)
        if i > 0:  # the first run warms the page cache and loads the binary
            first.append(elapsed)
    again = [timed_synth(env, app) for _ in range(runs)]
    files = sum(len(names) for _, _, names in os.walk(os.path.join(app, ".hoist", "build")))
    return statistics.median(first), statistics.median(again), files


def amplify_ms(work, n, runs):
    path = os.path.join(work, f"schema-{n}.graphql")
    env = dict(os.environ, ORACLE_BENCH_RUNS=str(runs))
    done = subprocess.run(
        ["node", os.path.join(ORACLE, "transform.mjs"), json.dumps(API_KEY), path],
        env=env, check=True, capture_output=True, text=True,
    )
    return statistics.median(json.loads(done.stdout)[path]["ms"])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--amplify-runs", type=int, default=3)
    args = parser.parse_args()
    print("building the release binary ...", file=sys.stderr, flush=True)
    subprocess.run(["cargo", "build", "--release", "--locked", "--quiet"], cwd=ROOT, check=True)
    if not os.path.exists(os.path.join(ORACLE, "node_modules", ".installed")):
        print("installing Amplify's transformer (tests/transformer-oracle) ...", file=sys.stderr, flush=True)
        subprocess.run(["npm", "install", "--no-audit", "--no-fund", "--no-package-lock", "--loglevel=error"], cwd=ORACLE, check=True)
        shutil.copy(os.path.join(ORACLE, "package.json"), os.path.join(ORACLE, "node_modules", ".installed"))
    ok = True
    with tempfile.TemporaryDirectory() as work:
        figures = {n: hoist_figures(work, n, args.runs) for n in [50, 200]}
        for n, (first, again, files) in figures.items():
            print(f"hoist synth, {n:>3} models: first {first:7.1f} ms, again {again:7.1f} ms ({files} files in the build)")
        hit = figures[200][0] <= 200
        ok &= hit
        print(f"first synth of 200 models: {figures[200][0]:.1f} ms (target <= 200 ms)   {'ok' if hit else 'MISSED'}")
        amplify = amplify_ms(work, 50, args.amplify_runs)
        ratio = amplify / figures[50][0]
        hit = ratio >= 100
        ok &= hit
        print(f"Amplify's transformer, 50 models: {amplify:.0f} ms in process; hoist's first synth is {ratio:.0f}x faster (target >= 100x)   {'ok' if hit else 'MISSED'}")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()

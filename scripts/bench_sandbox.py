#!/usr/bin/env python3
"""The sandbox's field resolution, in process (issue 14's round-trip targets).

    python3 scripts/bench_sandbox.py [--rounds N]

Scaffolds the todo starter's api with the release binary, then runs
examples/sandbox.rs over its build: N creates and N gets through the generated
resolvers (QuickJS) and the in-memory DynamoDB, then the first page of a list
over the N items. Prints p50/p95 per operation against the targets (get and
create p50 <= 5 ms; first page of a 10,000-item list <= 20 ms) and exits 1 if
a p50 misses. The HTTP endpoint is not measured here: it does not exist yet.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
HOIST = os.path.join(ROOT, "target", "release", "hoist")
EXAMPLE = os.path.join(ROOT, "target", "release", "examples", "sandbox")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=10000)
    args = parser.parse_args()
    subprocess.run(["cargo", "build", "--release", "--locked", "--quiet", "--example", "sandbox"], cwd=ROOT, check=True)
    subprocess.run(["cargo", "build", "--release", "--locked", "--quiet"], cwd=ROOT, check=True)
    with tempfile.TemporaryDirectory() as tmp:
        env = {"PATH": os.environ.get("PATH", ""), "HOME": tmp, "NO_COLOR": "1"}
        run = lambda *a, cwd=tmp: subprocess.run([HOIST, *a], cwd=cwd, env=env, check=True, stdout=subprocess.DEVNULL)
        run("init", "app", "--frontend", "none", "--yes", "-q")
        app = os.path.join(tmp, "app")
        run("add", "api", "--template", "todo", "--yes", "-q", cwd=app)
        run("synth", "--yes", "-q", cwd=app)
        build_root = os.path.join(app, ".hoist", "build")
        build = os.path.join(build_root, sorted(os.listdir(build_root))[0])
        out = subprocess.run([EXAMPLE, build, "main", str(args.rounds)], check=True, capture_output=True, text=True)
    figures = json.loads(out.stdout)
    print(f"load the todo api: {figures['load_ms']:.1f} ms")
    ok = True
    for op in ["create", "get"]:
        p50 = figures[f"{op}_p50_ms"]
        ok &= p50 <= 5
        print(f"{op}: p50 {p50:.2f} ms, p95 {figures[f'{op}_p95_ms']:.2f} ms over {figures['rounds']} (target p50 <= 5 ms) {'ok' if p50 <= 5 else 'MISSED'}")
    first = figures["list_first_100_of_n_ms"]
    ok &= first <= 20
    print(f"first page (100) of a {figures['rounds']}-item list: {first:.2f} ms (target <= 20 ms) {'ok' if first <= 20 else 'MISSED'}")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()

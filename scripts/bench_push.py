#!/usr/bin/env python3
"""`hoist push` benchmarks against the local AWS emulator (moto, with hoist's extension).

    python3 scripts/bench_push.py [--runs N]

Prints, for the acceptance project (auth with optional MFA and a group, storage):
- the first push: wall time, hoist's own CPU time, and the emulator's CPU time
  (the time hoist spends waiting is the wall time minus its own share);
- a push with no changes: wall time over N runs (target <= 100 ms), which makes no AWS call.
Needs the moto virtualenv that scripts/test.sh makes (or HOIST_MOTO_PYTHON).
"""

import argparse
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BINARY = os.path.join(ROOT, "target", "release", "hoist")
PYTHON = os.environ.get("HOIST_MOTO_PYTHON", os.path.join(ROOT, ".venv", "moto", "bin", "python"))


def cpu_seconds(pid):
    """User + system CPU time of a running process, from /proc."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def hoist(args, cwd, env):
    start = time.perf_counter()
    proc = subprocess.Popen([BINARY, *args], cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    stderr = proc.stderr.read().decode()
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"hoist {' '.join(args)} failed:\n{stderr}")
    return wall, usage.ru_utime + usage.ru_stime, stderr


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    if not os.path.exists(PYTHON):
        sys.exit(f"moto's Python not found at {PYTHON}: run scripts/test.sh first, or set HOIST_MOTO_PYTHON")
    print("building the release binary ...", file=sys.stderr, flush=True)
    subprocess.run(["cargo", "build", "--release", "--locked", "--quiet"], cwd=ROOT, check=True)

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    moto = subprocess.Popen(
        [PYTHON, os.path.join(ROOT, "tests", "moto", "hoist_moto.py"), "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    work = tempfile.mkdtemp(prefix="hoist-bench-push-")
    try:
        endpoint = f"http://127.0.0.1:{port}"
        for _ in range(200):
            try:
                urllib.request.urlopen(f"{endpoint}/moto-api/", timeout=1)
                break
            except OSError:
                time.sleep(0.05)
        env = {
            "PATH": os.environ.get("PATH", ""), "HOME": work, "NO_COLOR": "1",
            "AWS_ENDPOINT_URL": endpoint, "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
        }
        hoist(["init", "shop", "--frontend", "react", "--yes", "-q"], work, env)
        project = os.path.join(work, "shop")
        hoist(["add", "auth", "--yes", "-q", "--mfa", "optional", "--mfa-methods", "totp", "--group", "Admins:0"], project, env)
        hoist(["add", "storage", "--yes", "-q"], project, env)

        moto_before = cpu_seconds(moto.pid)
        wall, own, _ = hoist(["push", "--yes"], project, env)
        moto_cpu = cpu_seconds(moto.pid) - moto_before
        print(f"first push (auth + storage): wall {wall * 1000:7.1f} ms   hoist CPU {own * 1000:6.1f} ms   "
              f"emulator CPU {moto_cpu * 1000:6.1f} ms   waiting (wall - hoist CPU) {(wall - own) * 1000:7.1f} ms")

        walls = []
        for _ in range(args.runs):
            wall, _, stderr = hoist(["push", "--yes"], project, env)
            assert "No changes" in stderr, stderr
            walls.append(wall * 1000)
        walls.sort()
        median = statistics.median(walls)
        print(f"push with no changes ({args.runs} runs):  min {walls[0]:6.2f} ms   median {median:6.2f} ms   "
              f"max {walls[-1]:6.2f} ms   target <= 100 ms  {'ok' if median <= 100 else 'MISSED'}")
        sys.exit(0 if median <= 100 else 1)
    finally:
        moto.kill()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()

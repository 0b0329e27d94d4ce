#!/usr/bin/env python3
"""Run checkov over synthesized templates and report its findings.

    checkov_report.py CHECKOV TEMPLATES_DIR SECURITY_MD

Prints each failed check with the templates it failed in. Exits 1 if a failed
check's id is not discussed in SECURITY_MD (fixed or justified there), so a new
finding cannot slip by unreviewed.
"""

import json
import os
import subprocess
import sys
from collections import defaultdict


def main():
    checkov, templates, security = sys.argv[1:4]
    if not os.path.isdir(templates):
        sys.exit(f"{templates} does not exist: the cfn-lint test writes it (cargo test -- --include-ignored)")
    run = subprocess.run(
        [checkov, "--directory", templates, "--framework", "cloudformation", "--output", "json", "--compact"],
        capture_output=True,
        text=True,
    )
    try:
        report = json.loads(run.stdout or "[]")
    except json.JSONDecodeError:
        sys.exit(f"checkov did not print JSON (exit {run.returncode}):\n{run.stdout[-2000:]}\n{run.stderr[-2000:]}")
    reports = report if isinstance(report, list) else [report]

    failed = defaultdict(set)
    names = {}
    passed = 0
    for entry in reports:
        results = entry.get("results", {})
        passed += len(results.get("passed_checks", []))
        for check in results.get("failed_checks", []):
            failed[check["check_id"]].add(f"{check['file_path'].lstrip('/')}:{check['resource']}")
            names[check["check_id"]] = check.get("check_name", "")

    documented = open(security, encoding="utf-8").read()
    undocumented = []
    print(f"checkov: {passed} checks passed, {sum(len(v) for v in failed.values())} failed ({len(failed)} distinct)")
    for check_id in sorted(failed):
        mark = "justified" if check_id in documented else "NOT IN docs/security.md"
        if check_id not in documented:
            undocumented.append(check_id)
        resources = sorted(failed[check_id])
        print(f"  {check_id} {names[check_id]} [{mark}]")
        print(f"      {len(resources)}: {', '.join(resources[:4])}{' ...' if len(resources) > 4 else ''}")
    if undocumented:
        print(f"\nfix these or justify them in {security}: {', '.join(undocumented)}", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()

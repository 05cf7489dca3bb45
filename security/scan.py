"""Security scans for scripts/test: bandit (static analysis) and pip-audit (known vulnerabilities).

    python -m security.scan bandit     # fails on any finding not accepted in security/accepted_findings.toml
    python -m security.scan pip-audit  # fails on any vulnerability not accepted there

Every accepted finding names its file (or package), the check, the code it matches and the reason;
docs/security.md explains the policy. pip-audit needs PyPI: offline it warns and passes, except in
CI (CI=true), where an unreachable PyPI fails the run.
"""

import json
import os
import subprocess  # nosec B404 -- runs the two scanners with fixed argument lists
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ACCEPTED = ROOT / "security" / "accepted_findings.toml"
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def _accepted() -> dict:
    return tomllib.loads(ACCEPTED.read_text(encoding="utf-8"))


def bandit() -> int:
    cmd = [sys.executable, "-m", "bandit", "-q", "-r", ".", "-c", "pyproject.toml", "-f", "json"]
    run = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=600)  # nosec B603  # noqa: S603 -- fixed argv
    try:
        report = json.loads(run.stdout)
    except json.JSONDecodeError:
        print(run.stdout, run.stderr, sep="\n")
        print("bandit: could not read its report")
        return 2
    rules = _accepted().get("bandit", [])
    used, open_findings = set(), []
    for finding in report["results"]:
        for i, rule in enumerate(rules):
            if (
                finding["filename"].removeprefix("./") == rule["file"]
                and finding["test_id"] == rule["test"]
                and rule["code"] in finding["code"]
            ):
                used.add(i)
                break
        else:
            open_findings.append(finding)
    for f in open_findings:
        print(f"{f['filename']}:{f['line_number']}: {f['test_id']} {f['issue_severity']} {f['issue_text']}")
    stale = [rules[i] for i in range(len(rules)) if i not in used]
    for rule in stale:
        print(f"note: accepted bandit finding no longer occurs (remove it): {rule['file']} {rule['test']}")
    scanned = report.get("metrics", {}).get("_totals", {}).get("loc", "?")
    accepted = len(report["results"]) - len(open_findings)
    print(f"bandit: {len(report['results'])} findings in {scanned} lines, {accepted} accepted with a reason "
          f"({len(used)} entries of security/accepted_findings.toml), {len(open_findings)} open")
    if open_findings:
        print("Fix each, or mark the line `# nosec BXXX -- why`, or accept it in security/accepted_findings.toml.")
    return 1 if open_findings else 0


def pip_audit() -> int:
    ignores = _accepted().get("pip_audit", [])
    cmd = [sys.executable, "-m", "pip_audit", "-r", "requirements/lock.txt", "--no-deps", "--disable-pip",
           "--progress-spinner", "off", "--format", "json"]
    for item in ignores:
        cmd += ["--ignore-vuln", item["id"]]
    run = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=600)  # nosec B603  # noqa: S603 -- fixed argv
    try:
        report = json.loads(run.stdout)
    except json.JSONDecodeError:
        offline = any(s in run.stderr for s in ("ConnectionError", "Max retries", "NameResolutionError", "timed out"))
        if offline and not IN_CI:
            print("pip-audit: PyPI is unreachable; skipped (CI fails instead).")
            return 0
        print(run.stderr[-3000:])
        print("pip-audit: failed to run")
        return 2
    vulnerable, unaudited = [], []
    for dep in report.get("dependencies", []):
        if dep.get("skip_reason"):
            unaudited.append(dep["name"])
        for vuln in dep.get("vulns", []):
            vulnerable.append(f"{dep['name']} {dep['version']}: {vuln['id']} (fixed in {', '.join(vuln.get('fix_versions') or ['?'])})")
    for line in vulnerable:
        print(line)
    audited = len(report.get("dependencies", [])) - len(unaudited)
    print(f"pip-audit: {audited} pinned packages audited, {len(vulnerable)} known vulnerabilities open, "
          f"{len(ignores)} accepted with a reason; {len(unaudited)} not known to the vulnerability service")
    if unaudited:
        print("  not audited (version unknown to PyPI's vulnerability data): " + ", ".join(sorted(unaudited)))
    return 1 if vulnerable else 0


if __name__ == "__main__":
    which = sys.argv[1] if len(sys.argv) > 1 else ""
    if which == "bandit":
        sys.exit(bandit())
    if which == "pip-audit":
        sys.exit(pip_audit())
    print(__doc__)
    sys.exit(2)

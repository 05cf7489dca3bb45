"""Replaced by the jobs suite of the one benchmark command (benchmarks/jobs_suite.py, run by scripts/bench):
review launch over ~100,000 and ~300,000 accounts, daily hygiene (first run and steady state) and findings
evaluation, each beside a plain-SQL reference on the same rows. This wrapper runs that suite:

    python benchmarks/hygiene_daily.py [--quick] [--json FILE]     (same as: scripts/bench --only jobs ...)
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.bench import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main(["--only", "jobs", *sys.argv[1:]]))

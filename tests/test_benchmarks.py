"""The benchmark scripts run (tiny sizes; no timing is asserted here: speed
is measured by running benchmarks/ itself, see the README)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_bench_apply_runs_and_reports_every_ratio() -> None:
    proc = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "bench_apply.py"), "--resources", "30", "--repeat", "1",
         "--cli-runs", "1"],
        capture_output=True, text=True, check=False,
    )
    assert proc.returncode in (0, 1), proc.stderr  # 1 = a target missed, which tiny sizes may do
    for label in ("round trip / taskpatch", "taskpatch / event scan", "CLI / python -c"):
        assert label in proc.stdout

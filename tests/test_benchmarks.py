"""The benchmark scripts run (tiny sizes; no timing is asserted here: speed
is measured by running benchmarks/ itself, see the README)."""

from __future__ import annotations

import json
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


def test_bench_specs_runs_and_reports_every_kind() -> None:
    proc = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "bench_specs.py"), "--count", "40", "--rounds", "1", "--json"],
        capture_output=True, text=True, check=False,
    )
    assert proc.returncode in (0, 1), proc.stderr
    report = json.loads(proc.stdout.splitlines()[-1])
    if "skipped" in report:  # hydra-core is the optional `bench` extra
        assert report["rows"] == [] and "skipped" in proc.stdout
        return
    assert [row["id"] for row in report["rows"]] == ["P4-env", "P4-set", "P4-unset", "P4-args"]
    for row in report["rows"]:
        assert row["value"] > 0 and row["ok"] == (row["value"] >= 5) and row["unit"] == "x"
    assert proc.returncode == (0 if all(row["ok"] for row in report["rows"]) else 1)


def test_bench_startup_runs_and_reports_every_row() -> None:
    proc = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "bench_startup.py"), "--runs", "1", "--json"],
                          capture_output=True, text=True, check=False)
    assert proc.returncode in (0, 1), proc.stderr  # 1 = a goal missed, which one noisy run may do
    rows = json.loads(proc.stdout.splitlines()[-1])["rows"]
    assert [row["id"] for row in rows] == ["P3-first", "P3-warm", "P3-lark", "P3-help"]
    for row in rows:
        assert row["value"] > 0 and row["cpu_median_s"] > 0 and row["wall_median_s"] > 0
        assert row["ok"] == (row["value"] <= float(row["goal"].split()[-1]))
    assert proc.returncode == (0 if all(row["ok"] for row in rows) else 1)

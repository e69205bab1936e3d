"""Run every benchmark script in turn and print one table of issue 10's rows.

The table's columns: id, what, measured, goal, ok or MISSED.

    python benchmarks/run.py [--quick] [--no-large] [--json]

The exit status is 1 when a row missed its goal or a script failed. A row
of the issue that no script reported is listed as "not measured" (say,
bench_specs.py skips when Hydra is not installed) and does not fail the
run. Scripts never run in parallel: they would time each other.

The convention every ``benchmarks/bench_*.py`` follows, so that this
script can read it (benchkit.py has helpers for all of it):

- With ``--json``, the LAST line of stdout is one JSON object
  ``{"rows": [ROW, ...], ...}``; other keys (such as "figures") are the
  script's own, and human-readable lines come before it.
- A ROW is ``{"id": "P2-string-args", "what": "1,000 variants / one
  apply, string args", "value": 7.3, "unit": "x", "goal": "<= 10",
  "ok": true}``, optionally with "cpu_min_s", "wall_median_s" and
  "wall_value" (the same ratio on median wall times; "value" is on min CPU
  time). "id" is issue 10's row id (P1, P2, P2w, P3, P4, M1, P5), then
  "-" and a name of the script's choosing.
- The exit status is 1 when a row's "ok" is false, else 0; any other
  status, or no JSON last line, is a failed script.
- Two optional flags, passed only to a script whose ``--help`` lists
  them: ``--quick`` (tiny sizes, one round: ``run.py --quick`` passes it,
  for tests) and ``--large`` (slow rows, such as 50 MB of input: passed
  unless ``--quick`` or ``--no-large``).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchkit import measured_text, print_table_head, table_line

HERE = Path(__file__).resolve().parent

# Issue 10's table: id, what, goal (for the rows no script reported).
ISSUE_ROWS = (
    ("P1", "10 specs on 1,000 resources vs the C event scan", "<= 3"),
    ("P2", "1,000 variants vs one apply, every shape", "<= 10"),
    ("P2w", "taskpatch variants writing 1,000 files vs one apply", "<= 3"),
    ("P3", "CLI on 5 KB vs python -c 'import ruamel.yaml, lark'", "<= 1.5"),
    ("P4", "spec parsing, faster than Hydra's override parser", ">= 5"),
    ("M1", "peak memory of a 1,000-resource apply, MB per MB", "<= 10"),
    ("P5", "10x the resources, up to 50 MB", "<= 11"),
)


@dataclass(frozen=True)
class Outcome:
    """What one script reported (its JSON object), or why it reported none."""

    script: str
    report: dict[str, Any]
    error: str | None = None

    @property
    def rows(self) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = self.report.get("rows", [])
        return rows


def optional_flags(script: Path, wanted: list[str]) -> list[str]:
    """The flags of ``wanted`` that the script's --help lists."""
    proc = subprocess.run([sys.executable, str(script), "--help"], capture_output=True, text=True)
    return [flag for flag in wanted if flag in proc.stdout]


def run_script(script: Path, wanted: list[str]) -> Outcome:
    flags = ["--json", *optional_flags(script, wanted)]
    print(f"run.py: {script.name} {' '.join(flags)}", file=sys.stderr, flush=True)
    started = time.perf_counter()
    proc = subprocess.run([sys.executable, str(script), *flags], capture_output=True, text=True)
    print(f"run.py:   exit {proc.returncode} after {time.perf_counter() - started:.0f} s", file=sys.stderr)
    report = json_report(proc.stdout) if proc.returncode in (0, 1) else None
    if report is None:
        last = (proc.stderr.strip().splitlines() or ["nothing on stderr"])[-1]
        return Outcome(script.name, {}, f'exit {proc.returncode} without a JSON {{"rows": [...]}} last line; {last}')
    return Outcome(script.name, report)


ROW_KEYS = {"id", "what", "value", "goal", "ok"}


def json_report(stdout: str) -> dict[str, Any] | None:
    """The last line's JSON object, if its rows have what the table shows."""
    try:
        report = json.loads(stdout.strip().splitlines()[-1])
        if all(ROW_KEYS <= row.keys() and isinstance(row["value"], (int, float)) for row in report["rows"]):
            return dict(report)
    except (IndexError, ValueError, KeyError, TypeError, AttributeError):
        pass
    return None


def issue_row(row_id: str) -> str | None:
    for issue_id, _, _ in ISSUE_ROWS:
        if row_id == issue_id or row_id.startswith(issue_id + "-"):
            return issue_id
    return None


def row_line(row: dict[str, Any], width: int) -> str:
    measured = measured_text(row["value"], row.get("unit", ""), row.get("wall_value"))
    return table_line(row["id"], row["what"], measured, row["goal"], "ok" if row["ok"] else "MISSED", width)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny sizes, one round (for tests)")
    parser.add_argument("--no-large", action="store_true", help="skip the slow rows (50 MB of input)")
    parser.add_argument("--json", action="store_true", help="print every row and every script's JSON as the last line")
    options = parser.parse_args(argv)
    wanted = ["--quick"] if options.quick else [] if options.no_large else ["--large"]

    outcomes = [run_script(script, wanted) for script in sorted(HERE.glob("bench_*.py"))]
    rows = [row for outcome in outcomes for row in outcome.rows]
    width = max(len(what) for what in [*(row["what"] for row in rows), *(what for _, what, _ in ISSUE_ROWS)])
    print_table_head(width)
    for issue_id, what, goal in ISSUE_ROWS:
        mine = [row for row in rows if issue_row(row["id"]) == issue_id]
        for row in mine:
            print(row_line(row, width))
        if not mine:
            print(table_line(issue_id, what, "not measured", goal, "-", width))
    for row in rows:
        if issue_row(row["id"]) is None:
            print(row_line(row, width))
    failed = [outcome for outcome in outcomes if outcome.error]
    for outcome in failed:
        print(f"{outcome.script}: FAILED, {outcome.error}")
    missed = sum(not row["ok"] for row in rows)
    print(f"{len(rows)} rows from {len(outcomes)} scripts; missed: {missed}; scripts failed: {len(failed)}")
    if options.json:
        print(json.dumps({"rows": rows, "scripts": {outcome.script: outcome.report for outcome in outcomes},
                          "failed": {outcome.script: outcome.error for outcome in failed}}))
    return 1 if missed or failed else 0


if __name__ == "__main__":
    sys.exit(main())

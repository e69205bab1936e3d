"""Benchmark: the CLI's start-up, against ``python -c "import ruamel.yaml, lark"``.

    python benchmarks/bench_startup.py [--runs 21] [--json]

Three rows, each the installed ``taskpatch`` script against that floor:

- first run: ``taskpatch apply`` on a 5 KB config with a new empty HOME
  (no cache of any kind) in a new folder for every run; bytecode is there,
  as pip compiles it at install (one untimed run writes it first);
- warm run: the same, with one HOME kept between runs;
- a first run whose spec takes Lark's path (a quoted selector): the common
  specs are read without importing lark at all, so this is the slower case;
- ``taskpatch --help``.

Runs are interleaved with the floor's, so a busy machine slows both alike.
The ratio is of the median CPU time (user + system of the child process,
``os.wait4``); the median wall time is printed beside it. Goals (issue 10,
P3): every run <= 1.5x, ``--help`` <= 1.2x. Exit 1 when missed.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_apply import make_config  # noqa: E402

SPECS = ["-e", "MY_VAR=MY-VAL", "-s", "*.resources.requests.cpu=1000m", "-s", "worker-*.replicas=3",
         "-a", "*.batch-size=23"]


def timed(argv: list[str], env: dict[str, str], cwd: str) -> tuple[float, float]:
    """(CPU seconds of the child, wall seconds) of one run, which must succeed."""
    wall = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, env=env, cwd=cwd)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - wall
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} exited {proc.returncode}")
    return usage.ru_utime + usage.ru_stime, wall


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=21)
    parser.add_argument("--json", action="store_true", help="end with one JSON line of rows")
    options = parser.parse_args(argv)

    script = os.path.join(os.path.dirname(sys.executable), "taskpatch")  # what pip installs
    launcher = [script] if os.path.exists(script) else [sys.executable, "-m", "taskpatch"]
    floor = [sys.executable, "-c", "import ruamel.yaml, lark"]
    # Users run installed code with bytecode; a sandbox may turn writing it off.
    base_env = {k: v for k, v in os.environ.items() if k not in ("PYTHONDONTWRITEBYTECODE", "XDG_CACHE_HOME")}
    times: dict[str, list[tuple[float, float]]] = {"floor": [], "first": [], "warm": [], "lark": [], "help": []}
    with tempfile.TemporaryDirectory() as work:
        config = os.path.join(work, "task.yaml")
        Path(config).write_text(make_config(8), encoding="utf-8")
        apply = [*launcher, "apply", config, *SPECS]
        warm_home = os.path.join(work, "warm-home")
        os.mkdir(warm_home)
        warm_env = {**base_env, "HOME": warm_home}
        for command in (apply, floor):  # bytecode written once, as an install does; the warm HOME's first run
            timed(command, warm_env, work)
        quoted = [*launcher, "apply", config, "-s", '"worker-3".replicas=3']
        for run in range(options.runs):
            for name, command in (("first", apply), ("lark", quoted)):
                fresh = os.path.join(work, f"{name}-{run}")
                os.makedirs(os.path.join(fresh, "home"))
                times[name].append(timed(command, {**base_env, "HOME": os.path.join(fresh, "home")}, fresh))
            times["floor"].append(timed(floor, warm_env, work))
            times["warm"].append(timed(apply, warm_env, work))
            times["help"].append(timed([*launcher, "--help"], warm_env, work))

    def median(name: str, which: int) -> float:
        return statistics.median(sample[which] for sample in times[name])

    floor_cpu, floor_wall = median("floor", 0), median("floor", 1)
    print(f"CLI start-up, median of {options.runs} runs (CPU = user + system of the process; wall beside it)")
    print(f"  {'python -c import ruamel.yaml, lark':48} {floor_cpu * 1000:6.1f} ms CPU  {floor_wall * 1000:6.1f} ms wall")
    rows = []
    for name, what, goal in (("first", "first run (empty HOME, no cache), apply on 5 KB", 1.5),
                             ("warm", "warm run, apply on 5 KB", 1.5),
                             ("lark", "first run, a spec on Lark's path", 1.5),
                             ("help", "taskpatch --help", 1.2)):
        cpu, wall = median(name, 0), median(name, 1)
        ratio = cpu / floor_cpu
        ok = ratio <= goal
        print(f"  {what:48} {cpu * 1000:6.1f} ms CPU  {wall * 1000:6.1f} ms wall  "
              f"{ratio:5.2f}x ({wall / floor_wall:.2f}x wall)  goal <= {goal:g}x  {'ok' if ok else 'MISSED'}")
        rows.append({"id": f"P3-{name}", "what": f"{what} / python -c 'import ruamel.yaml, lark'",
                     "value": round(ratio, 3), "unit": "x", "goal": f"<= {goal:g}", "ok": ok,
                     "cpu_min_s": min(sample[0] for sample in times[name]), "cpu_median_s": cpu,
                     "wall_median_s": wall, "wall_ratio": round(wall / floor_wall, 3)})
    if options.json:
        print(json.dumps({"rows": rows}))
    return 0 if all(row["ok"] for row in rows) else 1


if __name__ == "__main__":
    sys.exit(main())

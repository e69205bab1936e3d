"""Benchmark: 1,000 sweep variants of a 5 KB config against one single apply
of it, for every shape of sweep, side by side in one run; and the CLI
writing the variants against one ``taskpatch apply`` process.

    python benchmarks/bench_variants.py [--variants 1000] [--rounds 5] [--cli-runs 5] [--json]

Goals (issue 10): for every shape (mapping args, string args, no args,
override axes, env axes, render), all the variants cost at most 10x one
apply of one variant (P2), in CPU time, min over rounds; ``taskpatch
variants`` writing 1,000 files costs at most 3x one ``taskpatch apply``
process (P2w, wall time, median over runs). Exit status 1 when a goal is
missed. With ``--json`` the last line of stdout is ``{"rows": [...]}``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

sys.path.insert(0, str(Path(__file__).resolve().parent))

import taskpatch  # noqa: E402
from bench_apply import make_config, median_run  # noqa: E402

SWEEP_GOAL = 10.0  # P2: all the variants / one apply
WRITE_GOAL = 3.0  # P2w: the variants CLI / one apply CLI


@dataclass(frozen=True)
class Shape:
    id: str
    what: str
    text: str  # the config
    grid: list[str]  # two axes: (variants / 10) x 10 values
    render: bool = False


def shapes(variants: int) -> list[Shape]:
    """Each shape of sweep on the ~5 KB benchmark config (8 resources)."""
    base = make_config(8)
    many = ",".join(f"0.{i:04d}" for i in range(1, variants // 10 + 1))  # 100 values for 1,000 variants
    ten = ",".join(str(100 * i) for i in range(1, 11))
    count = f"{(variants // 10) * 10:,} variants / one apply"
    # The same config with string args, and with no args at all.
    string = base.replace("    args:\n      steps: 1000   # per epoch\n      lr: 0.001\n",
                          "    args: --data-dir $DATA_DIR --epochs 3   # per run\n")
    bare = base.replace("    args:\n      steps: 1000   # per epoch\n      lr: 0.001\n", "")
    assert string != base and bare != base
    args_grid = [f"worker-3.lr={many}", f"worker-3.steps={ten}"]
    return [
        Shape("P2-mapping-args", f"{count}, mapping args", base, args_grid),
        Shape("P2-string-args", f"{count}, string args", string, args_grid),
        Shape("P2-no-args", f"{count}, no args", bare, args_grid),
        Shape("P2-override", f"{count}, set axes", base,
              [f"set worker-3.resources.limits.cpu={many}", f"set worker-3.replicas={ten}"]),
        Shape("P2-env", f"{count}, env axes", base, [f"env worker-3:LR={many}", f"env STEPS={ten}"]),
        Shape("P2-render", f"{count}, render", base, args_grid, render=True),
    ]


def cpu_times(rounds: int, action: Callable[[], object]) -> tuple[float, float]:
    """CPU time (min over rounds: the least disturbed by other processes) and
    wall time (median) of ``action``."""
    cpu, wall = [], []
    for _ in range(rounds):
        start_cpu, start_wall = time.process_time(), time.perf_counter()
        action()
        cpu.append(time.process_time() - start_cpu)
        wall.append(time.perf_counter() - start_wall)
    return min(cpu), statistics.median(wall)


def first_variant(grid: list[str]) -> tuple[list[str], list[str], list[str]]:
    """The specs of the sweep's first variant, as patch_text takes them."""
    kinds: dict[str, list[str]] = {"env": [], "set": [], "args": []}
    for axis in grid:
        word, _, rest = axis.partition(" ") if axis.startswith(("set ", "env ")) else ("args", "", axis)
        kinds[word].append(rest.split(",")[0])
    return kinds["env"], kinds["set"], kinds["args"]


def sweep_row(shape: Shape, rounds: int, expected: int) -> dict[str, Any]:
    env, overrides, args = first_variant(shape.grid)

    def single() -> str:
        return taskpatch.patch_text(shape.text, env=env, overrides=overrides, args=args, render=shape.render)

    def sweep() -> int:
        return sum(1 for _ in taskpatch.variants(shape.text, grid=shape.grid, render=shape.render))

    assert sweep() == expected and single() != shape.text  # warm up and sanity-check
    one_cpu, one_wall = cpu_times(rounds * 4, single)
    all_cpu, all_wall = cpu_times(rounds, sweep)
    ratio = all_cpu / one_cpu
    return {"id": shape.id, "what": shape.what, "value": round(ratio, 2), "unit": "x", "goal": f"<= {SWEEP_GOAL:g}",
            "ok": ratio <= SWEEP_GOAL, "cpu_min_s": all_cpu, "wall_median_s": all_wall,
            "one_apply_cpu_min_s": one_cpu, "one_apply_wall_median_s": one_wall}


def write_row(variants: int, runs: int) -> dict[str, Any]:
    """P2w: ``taskpatch variants -d`` writing the files, against one
    ``taskpatch apply`` process on the same config (wall time, median)."""
    script = os.path.join(os.path.dirname(sys.executable), "taskpatch")
    launcher = [script] if os.path.exists(script) else [sys.executable, "-m", "taskpatch"]
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "task.yaml")
        Path(path).write_text(make_config(8), encoding="utf-8")
        outdir = os.path.join(folder, "out")
        many = ",".join(f"0.{i:04d}" for i in range(1, variants // 10 + 1))
        sweep = [*launcher, "variants", path, "--grid", f"worker-3.lr={many}",
                 "--grid", "worker-3.steps=" + ",".join(str(100 * i) for i in range(1, 11)), "-d", outdir]
        apply = [*launcher, "apply", path, "-a", "worker-3.lr=0.0001", "-a", "worker-3.steps=100"]

        # As bench_apply's CLI row: bytecode written, as installed code has it.
        env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
        median_run(apply, 1, env)  # bytecode and the grammar cache, once
        one = median_run(apply, runs, env)
        fresh, floor = [], []
        for _ in range(runs):  # into a new folder each time, as a first run writes
            shutil.rmtree(outdir, ignore_errors=True)
            fresh.append(median_run(sweep, 1, env))
            floor.append(plain_files(os.path.join(folder, "floor"), (variants // 10) * 10, Path(path).read_bytes()))
        assert len(os.listdir(outdir)) == (variants // 10) * 10 + 1
        all_ = statistics.median(fresh)
    ratio = all_ / one
    return {"id": "P2w-write", "what": f"taskpatch variants writing {(variants // 10) * 10:,} files / one apply "
            "process", "value": round(ratio, 2), "unit": "x", "goal": f"<= {WRITE_GOAL:g}", "ok": ratio <= WRITE_GOAL,
            "wall_median_s": all_, "one_apply_wall_median_s": one,
            "plain_files_wall_median_s": statistics.median(floor)}


def plain_files(folder: str, count: int, data: bytes) -> float:
    """The file system's share of P2w: a plain loop creating ``count`` files
    of ``data`` (no temporary files, no sync), wall time."""
    os.makedirs(folder)
    start = time.perf_counter()
    for number in range(count):
        with open(os.path.join(folder, f"task-{number:04d}.yaml"), "wb") as handle:
            handle.write(data)
    took = time.perf_counter() - start
    shutil.rmtree(folder)
    return took


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--variants", type=int, default=1000, help="a multiple of 10 (a grid of N/10 x 10)")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--cli-runs", type=int, default=5)
    parser.add_argument("--json", action="store_true", help="end with one JSON line of rows")
    options = parser.parse_args(argv)

    expected = (options.variants // 10) * 10
    rows = [sweep_row(shape, options.rounds, expected) for shape in shapes(options.variants)]
    rows.append(write_row(options.variants, options.cli_runs))
    print(f"{expected} variants (a {expected // 10} x 10 grid) of a {len(make_config(8).encode()) / 1024:.1f} KB "
          "config; CPU time, min over rounds (P2w: wall time, median)")
    for row in rows:
        print(f"  {row['id']:18} {row['what']:58} {row['value']:7.2f}x  (goal {row['goal']}x)  "
              f"{'ok' if row['ok'] else 'MISSED'}")
    seconds = {key: f"{value * 1000:.0f} ms" for key, value in rows[-1].items() if key.endswith("_s")}
    print(f"  (P2w: one apply {seconds['one_apply_wall_median_s']}, the variants {seconds['wall_median_s']}; "
          f"a plain Python loop creating the files alone, {seconds['plain_files_wall_median_s']})")
    if options.json:
        print(json.dumps({"rows": rows}))
    return 0 if all(row["ok"] for row in rows) else 1


if __name__ == "__main__":
    sys.exit(main())

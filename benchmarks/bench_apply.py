"""Benchmark taskpatch apply: issue 10's rows P1, M1 and P5, on two config styles.

    python benchmarks/bench_apply.py [--resources 1000] [--repeat 5] [--scale-from 800] [--large]
                                     [--quick] [--json]

P1 and M1 run on the benchmark's config (``make_config``) and on one of
about the same size in another hand (``make_restyled_config``: 4-space
indent, ``-   `` items, flow env lists, string args, a comment a line).

- P1: 10 specs (6,400 edits) on 1,000 resources against the C event scan
  (``YAML(typ='safe', pure=False).parse``), verified (goal <= 3x) and with
  ``verify=False`` (<= 2x); and a ruamel.yaml round trip against the
  verified apply (>= 20x).
- M1: the peak memory of that apply, in a fresh process, in MB per MB of
  input (<= 10).
- P5: the apply at 800 and 8,000 resources (0.5 and 5 MB), and with
  ``--large`` at 80,000 (50 MB, tens of seconds and GBs of memory), each in
  a fresh process: each 10x the resources costs <= 11x the time.

The CLI's start-up (P3) is measured by bench_startup.py. Times are CPU and
wall, min and median over rounds (see benchkit.py); the exit status is 1
when a goal is missed.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from ruamel.yaml import YAML

import taskpatch
from benchkit import Goal, Row, Timing, finish, measure, measure_each, print_time, ratio_row
from taskpatch.spec_parser import parse_args, parse_env, parse_override

SPECS = [
    parse_env("MY_VAR=MY-VAL"),
    parse_env("SOME_VAR=expression=22"),
    parse_env("worker-6:ONLY_HERE=1"),
    parse_override("*.resources.requests.cpu=1000m"),
    parse_override("*.resources.requests.memory=1Gi"),
    parse_override("worker-1*.replicas=3"),
    parse_override("ps-*.image=tensorflow/tensorflow:2.0.0"),
    parse_override("~*.workDir"),
    parse_args("*.batch-size=23"),
    parse_args("worker-3.test_arg=12.2"),
]
MIN_RESOURCES = 13  # the specs name worker-6 and worker-1*, which the 13th resource (worker-12) matches

RESOURCE = """\
  # resource {i}: keep this comment
  - name: {role}-{i}
    image: "kuberlab/tf:1.9.0-gpu"   # pinned for reproducibility
    replicas: {replicas}
    workDir: $SRC_DIR
    command: >-
      python train.py
      --data-dir $DATA_DIR
      --log-dir $TRAINING_DIR/$BUILD_ID
    args:
      steps: 1000   # per epoch
      lr: 0.001
    env:
    - name: PYTHONPATH
      value: $LIB_DIR:/usr/local/lib/python3
    - name: LOG_LEVEL
      value: "2"
    resources:
      accelerators:
        gpu: 1
      requests: {{cpu: 100m, memory: 64Mi}}
      limits: {{cpu: 4000m, memory: 8Gi}}
    volumes: [{{name: training}}, {{name: src, subPath: example/src}}]
"""

# The same resource in another hand: 4-space indent, "-   " items, a flow
# env list, string args and a comment on every line. Its args have no
# --batch-size, since the specs' `-a *.batch-size=23` refuses to change a
# flag a string already holds (it asks for `-a '*=...'` instead).
RESTYLED_RESOURCE = """\
    # {i}
    -   name: {role}-{i}   # name
        image: 'kuberlab/tf:1.9.0-gpu'   # pinned
        replicas: {replicas}   # copies
        workDir: $SRC_DIR   # cwd
        command: python train.py --data-dir $DATA_DIR   # entry
        args: --steps 1000 --lr 0.001   # a string
        env: [{{name: PYTHONPATH, value: "$LIB_DIR"}}, {{name: LOG_LEVEL, value: "2"}}]   # flow
        resources:   # asks
            requests:   # floor
                cpu: 100m   # cpu
                memory: 64Mi   # memory
            limits: {{cpu: 4000m, memory: 8Gi}}   # ceiling
        volumes:   # mounts
        -   name: training   # data
        -   {{name: src, subPath: example/src}}   # code
"""


def _generate(head: str, resource: str, resources: int) -> str:
    roles = ("worker", "ps", "eval")
    return head + "".join(resource.format(i=i, role=roles[i % 3], replicas=1 + i % 4) for i in range(resources))


def make_config(resources: int) -> str:
    return _generate("# A generated task config for benchmarking taskpatch.\nkind: MLApp-like\nresources:\n",
                     RESOURCE, resources)


def make_restyled_config(resources: int) -> str:
    return _generate("# A generated task config, restyled.   # (a comment)\nkind: MLApp-like   # a kind\n"
                     "resources:   # the tasks\n", RESTYLED_RESOURCE, resources)


@dataclass(frozen=True)
class Style:
    name: str
    label: str
    description: str
    make: Callable[[int], str]


STYLES = (
    Style("bench", "bench config", "the benchmark's config (2-space, block env, mapping args)", make_config),
    Style("restyled", "restyled config", "4-space, '-   ' items, flow env, string args, a comment a line",
          make_restyled_config),
)


def best_of(repeat: int, action: Callable[[], object]) -> float:
    """The least wall time over ``repeat`` runs (bench_variants.py's timer)."""
    return measure(repeat, action).wall_min


def median_run(argv: list[str], runs: int, env: dict[str, str]) -> float:
    """The median wall time of a command: the CLI timer bench_variants.py's
    P2w row imports (the CLI row it was written for is bench_startup.py's)."""
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, env=env)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def round_trip(text: str) -> None:
    yaml = YAML()
    out = io.StringIO()
    yaml.dump(yaml.load(text), out)


def event_scan(text: str) -> None:
    for _ in YAML(typ="safe", pure=False).parse(text):
        pass


def taskpatch_apply(text: str, verify: bool = True) -> str:
    document = taskpatch.loads(text, verify=verify)
    document.apply(SPECS)
    return document.text


def check_patched(style: str, text: str) -> None:
    """Timing an apply that does nothing, or writes what no reader takes,
    would measure nothing: the output must load, differ from the input,
    and come out unchanged when patched again."""
    patched = taskpatch_apply(text)
    YAML(typ="safe", pure=False).load(patched)
    if patched == text or taskpatch_apply(patched) != patched:
        raise SystemExit(f"bench_apply: the {style} config's patched text is unchanged or not a fixed point")


def p1_rows(style: Style, text: str, repeat: int, figures: dict[str, Any]) -> list[Row]:
    check_patched(style.name, text)
    scan, ours, unverified = measure_each(repeat, [lambda: event_scan(text), lambda: taskpatch_apply(text),
                                                   lambda: taskpatch_apply(text, verify=False)])
    trip = measure(max(1, repeat // 2), lambda: round_trip(text))
    print(f"P1, {style.label}: {style.description}; {len(text.encode()) / 1024:.0f} KB, {len(SPECS)} specs")
    for name, timing in (("C event scan (typ='safe').parse", scan), ("taskpatch apply (verified)", ours),
                         ("taskpatch apply, verify=False", unverified), ("ruamel.yaml round trip", trip)):
        print_time(name, timing)
    figures[f"P1-{style.name}"] = {
        "bytes": len(text.encode()), "event_scan": scan.to_json(), "apply": ours.to_json(),
        "apply_no_verify": unverified.to_json(), "round_trip": trip.to_json(),
        "verification_cost": ours.cpu_min / unverified.cpu_min,
    }
    return [
        ratio_row(f"P1-verify-{style.name}", f"apply / C event scan, {style.label}", ours, scan, Goal("<=", 3)),
        ratio_row(f"P1-no-verify-{style.name}", f"apply verify=False / event scan, {style.label}", unverified,
                  scan, Goal("<=", 2)),
        ratio_row(f"P1-round-trip-{style.name}", f"round trip / apply, {style.label}", trip, ours,
                  Goal(">=", 20)),
    ]


def probe(text: str, rounds: int) -> dict[str, Any]:
    """Apply the specs to ``text`` in a fresh process (apply_probe.py)."""
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "task.yaml")
        Path(path).write_text(text, encoding="utf-8")
        proc = subprocess.run([sys.executable, str(Path(__file__).with_name("apply_probe.py")), path,
                               "--rounds", str(rounds)], check=True, capture_output=True, text=True)
    result: dict[str, Any] = json.loads(proc.stdout)
    return result


def memory_row(row_id: str, what: str, text: str, result: dict[str, Any]) -> Row:
    megabytes = len(text.encode()) / 2**20
    grown = result["rss_peak_mb"] - result["rss_after_imports_mb"]
    print(f"  {what}: peak RSS {result['rss_peak_mb']:.0f} MB, {grown:.0f} MB over the "
          f"{result['rss_after_imports_mb']:.0f} MB after imports, for {megabytes:.2f} MB of input")
    return Row(row_id, what, grown / megabytes, " MB/MB", Goal("<=", 10))


def m1_row(style: Style, text: str, figures: dict[str, Any]) -> Row:
    result = probe(text, rounds=1)
    figures[f"M1-{style.name}"] = result
    return memory_row(f"M1-{style.name}", f"peak RSS per MB of input, {style.label}", text, result)


def p5_rows(smallest: int, steps: int, repeat: int, figures: dict[str, Any]) -> list[Row]:
    print(f"P5: the benchmark's config at {smallest:,} resources and each 10x, in fresh processes")
    rows: list[Row] = []
    previous: tuple[int, float, Timing] | None = None
    for step in range(steps):
        resources = smallest * 10**step
        text = make_config(resources)
        megabytes = len(text.encode()) / 2**20
        # Fewer rounds as the size grows: the 50 MB one takes tens of seconds.
        result = probe(text, rounds=max(min(repeat, 2), repeat >> step))
        timing = Timing.from_rounds(result["timing"])
        figures[f"P5-{resources}"] = {**result, "megabytes": megabytes, "timing": timing.to_json()}
        print_time(f"{resources:,} resources, {megabytes:.1f} MB", timing)
        print(f"    {timing.cpu_min / megabytes * 1000:.0f} ms CPU per MB")
        if previous is not None:
            before, before_mb, before_timing = previous
            rows.append(ratio_row(f"P5-{before}-{resources}",
                                  f"apply, {megabytes:.1f} MB / {before_mb:.1f} MB (10x resources)",
                                  timing, before_timing, Goal("<=", 11)))
        if step == 2:  # the 50 MB input: how memory scales too
            rows.append(memory_row("M1-large", f"peak RSS per MB of input, {resources:,} resources", text,
                                   result))
        previous = (resources, megabytes, timing)
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--resources", type=int, default=1000, help="P1 and M1's size")
    parser.add_argument("--repeat", type=int, default=5, help="rounds per timing (fewer for the slow ones)")
    parser.add_argument("--scale-from", type=int, default=800, help="P5's smallest size, in resources")
    parser.add_argument("--large", action="store_true", help="P5 up to 100x --scale-from (50 MB): slow")
    parser.add_argument("--quick", action="store_true",
                        help="tiny sizes, one round, for tests: --resources 30 --scale-from 20 --repeat 1")
    parser.add_argument("--json", action="store_true", help="print every figure as JSON, as the last line")
    options = parser.parse_args(argv)
    if options.quick:
        options.resources, options.scale_from, options.repeat = 30, 20, 1
    if min(options.resources, options.scale_from) < MIN_RESOURCES:
        parser.error(f"--resources and --scale-from must be at least {MIN_RESOURCES}: the specs name worker-12")

    started = time.perf_counter()
    figures: dict[str, Any] = {"resources": options.resources, "specs": len(SPECS)}
    rows: list[Row] = []
    for style in STYLES:
        rows += p1_rows(style, style.make(options.resources), options.repeat, figures)
    print(f"M1: a {options.resources:,}-resource apply in a fresh process (peak RSS: VmHWM, not tracemalloc)")
    rows += [m1_row(style, style.make(options.resources), figures) for style in STYLES]
    rows += p5_rows(options.scale_from, 3 if options.large else 2, options.repeat, figures)
    print(f"({time.perf_counter() - started:.0f} s in all; CPU time is process_time, wall is perf_counter)")
    return finish(rows, figures, options.json)


if __name__ == "__main__":
    sys.exit(main())

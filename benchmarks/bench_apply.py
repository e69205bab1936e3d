"""Benchmark: taskpatch apply against a ruamel.yaml round trip, the C event
scan floor, and plain Python start-up, side by side in one run.

    python benchmarks/bench_apply.py [--resources 1000] [--repeat 5] [--json]

Targets (issue 2), with verification on (the default): at least 20x faster
than the round trip, within 3x of the event scan, and the whole CLI on a 5 KB
file within 1.5x of ``python -c "import ruamel.yaml, lark"``. The cost of
verification (issue 9) is printed beside them: the same apply with
``verify=False``. The exit status is 1 when a target
is missed, so the script can gate CI if wanted.
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
from typing import Callable

from ruamel.yaml import YAML

import taskpatch
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


def make_config(resources: int) -> str:
    head = "# A generated task config for benchmarking taskpatch.\nkind: MLApp-like\nresources:\n"
    roles = ("worker", "ps", "eval")
    return head + "".join(
        RESOURCE.format(i=i, role=roles[i % 3], replicas=1 + i % 4) for i in range(resources)
    )


def best_of(repeat: int, action: Callable[[], object]) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return min(times)


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


def median_run(argv: list[str], runs: int, env: dict[str, str]) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, env=env)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def cli_times(runs: int) -> tuple[float, float, int]:
    text = make_config(8)  # about 5 KB
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "task.yaml")
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(text)
        # Users run installed code with bytecode; this sandbox may set
        # PYTHONDONTWRITEBYTECODE, which would charge a compile to every run.
        env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
        # The console script users run (pip installs it next to the interpreter).
        script = os.path.join(os.path.dirname(sys.executable), "taskpatch")
        launcher = [script] if os.path.exists(script) else [sys.executable, "-m", "taskpatch"]
        cli = [*launcher, "apply", path, "-e", "MY_VAR=MY-VAL",
               "-s", "*.resources.requests.cpu=1000m", "-s", "worker-*.replicas=3", "-a", "*.batch-size=23"]
        floor = [sys.executable, "-c", "import ruamel.yaml, lark"]
        for warm in (cli, floor):  # write bytecode and the grammar cache once
            subprocess.run(warm, check=True, stdout=subprocess.DEVNULL, env=env)
        return median_run(cli, runs, env), median_run(floor, runs, env), len(text.encode())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--resources", type=int, default=1000, help="at least 7 (the specs name worker-6)")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--cli-runs", type=int, default=21)
    parser.add_argument("--json", action="store_true", help="print the figures as JSON too")
    options = parser.parse_args(argv)

    text = make_config(options.resources)
    patched = taskpatch_apply(text)  # warm up (LALR build) and sanity-check
    assert patched != text and taskpatch_apply(patched) == patched

    scan = best_of(options.repeat, lambda: event_scan(text))
    ours = best_of(options.repeat, lambda: taskpatch_apply(text))
    unverified = best_of(options.repeat, lambda: taskpatch_apply(text, verify=False))
    trip = best_of(max(1, options.repeat // 2), lambda: round_trip(text))
    cli, floor, cli_size = cli_times(options.cli_runs)

    figures = {
        "config_bytes": len(text.encode()),
        "resources": options.resources,
        "specs": len(SPECS),
        "round_trip_s": trip,
        "event_scan_s": scan,
        "taskpatch_s": ours,
        "taskpatch_no_verify_s": unverified,
        "verification_cost": ours / unverified,
        "no_verify_over_event_scan": unverified / scan,
        "round_trip_over_taskpatch": trip / ours,
        "taskpatch_over_event_scan": ours / scan,
        "cli_file_bytes": cli_size,
        "cli_s": cli,
        "python_import_s": floor,
        "cli_over_import": cli / floor,
    }
    targets = [
        ("round trip / taskpatch", figures["round_trip_over_taskpatch"], ">=", 20.0),
        ("taskpatch / event scan", figures["taskpatch_over_event_scan"], "<=", 3.0),
        ("CLI / python -c 'import ruamel.yaml, lark'", figures["cli_over_import"], "<=", 1.5),
    ]
    print(f"config: {options.resources} resources, {figures['config_bytes'] / 1024:.0f} KB; {len(SPECS)} specs")
    print(f"  ruamel.yaml round trip (load + dump)  {trip * 1000:9.1f} ms")
    print(f"  C event scan (typ='safe').parse       {scan * 1000:9.1f} ms")
    print(f"  taskpatch apply (verified)            {ours * 1000:9.1f} ms")
    print(f"  taskpatch apply --no-verify           {unverified * 1000:9.1f} ms")
    print(f"  verification costs {ours / unverified:.2f}x; without it, taskpatch / event scan = "
          f"{unverified / scan:.2f}x, round trip / taskpatch = {trip / unverified:.1f}x")
    print(f"CLI on {cli_size / 1024:.1f} KB (median of {options.cli_runs}):")
    print(f"  taskpatch apply                       {cli * 1000:9.1f} ms")
    print(f"  python -c 'import ruamel.yaml, lark'  {floor * 1000:9.1f} ms")
    missed = 0
    for label, value, op, target in targets:
        ok = value >= target if op == ">=" else value <= target
        missed += not ok
        print(f"{label:45} {value:7.2f}x  (target {op} {target:g}x)  {'ok' if ok else 'MISSED'}")
    if options.json:
        print(json.dumps(figures, indent=2))
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())

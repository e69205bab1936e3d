"""Benchmark: spec parsing per spec, taskpatch against Hydra 1.3.8's override parser.

    python benchmarks/bench_specs.py [--count 3000] [--rounds 5] [--json]

Each round parses ``count`` distinct generated strings of each kind (no
string is parsed twice, so no cache can help), with
``taskpatch.parse_spec`` and with Hydra's
``OverridesParser.create().parse_override`` on the same override written
in Hydra's syntax. CPU time (``time.process_time``), min and median over
the rounds. Goal (issue 10, P4): taskpatch at least 5x faster per spec, for
every kind. Exit 1 when missed; exit 0 with "skipped" when hydra-core is
not installed (``pip install 'taskpatch[bench]'``).
"""

from __future__ import annotations

import argparse
import gc
import json
import random
import statistics
import sys
import time
from typing import Any, Callable

GOAL = 5.0
SELECTORS = ["worker", "ps", "eval", "chief", "*", "worker-*", "ps-?", "trainer-{i}", "job{i}"]
KEYS = ["replicas", "image", "resources", "requests", "limits", "cpu", "memory", "workDir", "command",
        "env", "value", "args", "timeout", "nodeSelector", "port", "batch-size", "lr", "steps", "k{i}"]
VALUES = ["{i}", "0.{i}", "{i}m", "{i}Mi", "2Gi", "true", "tensorflow/tensorflow:2.{i}.0", "'00{i}'",
          '"run {i}"', "python train.py --epochs {i}", "a=b{i}", ""]


def generate(kind: str, count: int, rng: random.Random, seen: set[str]) -> list[tuple[str, str]]:
    """``count`` (taskpatch, Hydra) pairs of one kind, none of them in ``seen``
    (which they are added to). About one in twenty uses a quoted key, an
    index or a filter (taskpatch's Lark path or its rarer shapes); Hydra gets
    the same override in its own syntax."""
    pairs: list[tuple[str, str]] = []
    while len(pairs) < count:
        n = rng.randrange(100_000)

        def pick(words: list[str]) -> str:
            return rng.choice(words).format(i=n)

        value = pick(VALUES)
        hydra_value = f"'{value}'" if "=" in value else value  # Hydra's unquoted values stop at '='
        if kind == "env":
            name = f"VAR_{pick(KEYS).upper().replace('-', '_')}_{n}"
            selector = pick(SELECTORS)
            spec = f"{selector}:{name}={value}" if rng.random() < 0.3 else f"{name}={value}"
            pair = (spec, f"+env.{name}={hydra_value}")
        else:
            pair = _override(kind, pick, value, hydra_value, rng)
        if pair[0] not in seen:
            seen.add(pair[0])
            pairs.append(pair)
    return pairs


def _override(kind: str, pick: Callable[[list[str]], str], value: str, hydra_value: str,
              rng: random.Random) -> tuple[str, str]:
    selector = pick(SELECTORS)
    path = ".".join(pick(KEYS) for _ in range(rng.randint(1, 1 if kind == "args" else 4)))
    if kind != "args" and rng.random() < 0.05:
        path += rng.choice(['."nvidia.com/gpu"', "[0]", "[name=A].value", "[2].name"])
    hydra_key = f"{selector}.{path}"
    for old, new in (("*", "all"), ("?", "x"), ('"', ""), ("[", "."), ("]", ""), ("=", "_"), ("/", "_")):
        hydra_key = hydra_key.replace(old, new)
    if kind == "unset":
        return f"~{selector}.{path}", f"~{hydra_key}"
    return f"{selector}.{path}={value}", f"{hydra_key}={hydra_value}"


def cpu_time(parse: Callable[[str], Any], texts: list[str]) -> tuple[float, float]:
    gc.collect()
    gc.disable()
    try:
        wall, cpu = time.perf_counter(), time.process_time()
        for text in texts:
            parse(text)
        return time.process_time() - cpu, time.perf_counter() - wall
    finally:
        gc.enable()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=3000, help="distinct strings per kind and round")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--json", action="store_true", help="end with one JSON line of rows")
    options = parser.parse_args(argv)
    try:
        from hydra.core.override_parser.overrides_parser import OverridesParser
    except ImportError:
        print("skipped: hydra-core is not installed (pip install 'taskpatch[bench]' for hydra-core==1.3.8)")
        if options.json:
            print(json.dumps({"rows": [], "skipped": "hydra-core is not installed"}))
        return 0
    import hydra

    from taskpatch import parse_spec
    from taskpatch.spec_parser import parse_with_lark

    hydra_parse = OverridesParser.create().parse_override
    rng = random.Random(10)
    rows = []
    print(f"spec parsing, per spec: {options.count} distinct strings per kind and round, {options.rounds} rounds, "
          f"CPU time (hydra-core {hydra.__version__})")
    print(f"{'kind':6} {'taskpatch min':>14} {'median':>9} {'hydra min':>10} {'median':>9} {'ratio':>7}  goal"
          "        (Lark path alone, min)")
    for kind in ("env", "set", "unset", "args"):
        ours: list[float] = []
        theirs: list[float] = []
        walls: list[float] = []
        lark_only: list[float] = []
        seen: set[str] = set()
        for _ in range(options.rounds):
            pairs = generate(kind, options.count, rng, seen)
            spec_kind = "set" if kind == "unset" else kind  # `~SEL.PATH` is -s's delete
            cpu, wall = cpu_time(lambda text: parse_spec(text, spec_kind), [spec for spec, _ in pairs])
            ours.append(cpu)
            walls.append(wall)
            theirs.append(cpu_time(hydra_parse, [override for _, override in pairs])[0])
            lark_only.append(cpu_time(lambda text: parse_with_lark(text, spec_kind), [spec for spec, _ in pairs])[0])
        ratio = min(theirs) / min(ours)
        ok = ratio >= GOAL
        per = 1e6 / options.count
        print(f"{kind:6} {min(ours) * per:11.1f} us {statistics.median(ours) * per:6.1f} us "
              f"{min(theirs) * per:7.1f} us {statistics.median(theirs) * per:6.1f} us {ratio:6.1f}x  "
              f">= {GOAL:g}x {'ok' if ok else 'MISSED':6}  ({min(lark_only) * per:.1f} us, "
              f"{min(theirs) / min(lark_only):.1f}x)")
        rows.append({"id": f"P4-{kind}", "what": f"{kind} spec parsing per spec, Hydra 1.3.8 / taskpatch",
                     "value": round(ratio, 2), "unit": "x", "goal": f">= {GOAL:g}", "ok": ok,
                     "cpu_min_s": min(ours) / options.count, "wall_median_s": statistics.median(walls) / options.count,
                     "hydra_cpu_min_s": min(theirs) / options.count})
    if options.json:
        print(json.dumps({"rows": rows}))
    return 0 if all(row["ok"] for row in rows) else 1


if __name__ == "__main__":
    sys.exit(main())

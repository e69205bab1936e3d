"""``python -m tests.fuzz [--minutes N] [--seed S] [--cases N]``: the long run.

Prints a line per failure (with its seed, specs and input, enough to
reproduce it with ``--seed S --cases 1``) and a summary; exits 1 when any
case failed."""

from __future__ import annotations

import argparse
import collections
import sys
import time

from .run import run_case


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.fuzz", description=__doc__)
    parser.add_argument("--minutes", type=float, default=1.0, help="how long to run (default 1)")
    parser.add_argument("--seed", type=int, default=0, help="first seed (default 0)")
    parser.add_argument("--cases", type=int, default=0, help="stop after this many cases (0: no limit)")
    parser.add_argument("--max-failures", type=int, default=20, help="stop after this many failures")
    options = parser.parse_args(argv)
    deadline = time.monotonic() + options.minutes * 60
    results: collections.Counter[str] = collections.Counter()
    traits: collections.Counter[str] = collections.Counter()
    failures = 0
    seed = options.seed
    while time.monotonic() < deadline and (not options.cases or seed - options.seed < options.cases):
        outcome = run_case(seed)
        results[outcome.result] += 1
        traits.update(outcome.traits)
        if outcome.failure:
            failures += 1
            print(outcome.failure, "\n", flush=True)
            if failures >= options.max_failures:
                break
        seed += 1
        if sys.stderr.isatty() and seed % 100 == 0:
            print(f"\r{seed - options.seed} cases, {failures} failed", end="", file=sys.stderr, flush=True)
    total = seed - options.seed
    summary = ", ".join(f"{n} {kind}" for kind, n in sorted(results.items()))
    print(f"{total} cases (seeds {options.seed}-{seed - 1}): {summary}; {failures} failed")
    print("inputs with: " + ", ".join(f"{name} {n}" for name, n in traits.most_common()))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())

"""Benchmark: 1,000 sweep variants of a 5 KB config against one single apply,
in the same process.

    python benchmarks/bench_variants.py [--variants 1000] [--repeat 5]

Target (issue 3): all the variants cost at most 10x one apply, which only
holds if the input is not re-parsed per variant. Exit status 1 when missed.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Callable

sys.path.insert(0, str(Path(__file__).resolve().parent))

import taskpatch  # noqa: E402
from bench_apply import best_of, make_config  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--variants", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=5)
    options = parser.parse_args(argv)

    text = make_config(8)  # about 5 KB
    lrs = ",".join(f"0.{i:04d}" for i in range(1, options.variants // 10 + 1))
    grid = [f"worker-3.lr={lrs}", "worker-3.steps=" + ",".join(str(100 * i) for i in range(1, 11))]

    def single() -> str:
        return taskpatch.patch_text(text, args=["worker-3.lr=0.0001", "worker-3.steps=100"])

    def sweep() -> int:
        return sum(1 for _ in taskpatch.variants(text, grid=grid))

    count = sweep()
    assert count == (options.variants // 10) * 10
    one: Callable[[], object] = single
    single_s = best_of(options.repeat, one)
    sweep_s = best_of(options.repeat, sweep)
    ratio = sweep_s / single_s
    print(f"config: {len(text.encode()) / 1024:.1f} KB; {count} variants (2 args each)")
    print(f"  one apply (parse + plan + splice)   {single_s * 1000:8.2f} ms")
    print(f"  {count} variants from one parse     {sweep_s * 1000:8.2f} ms  ({sweep_s / count * 1e6:.1f} us each)")
    ok = ratio <= 10
    print(f"{'variants / one apply':36} {ratio:7.2f}x  (target <= 10x)  {'ok' if ok else 'MISSED'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

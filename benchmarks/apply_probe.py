"""Apply the benchmark's 10 specs to one config file in a fresh process.

For the figures that other work in the same process would disturb: peak
memory (M1) and the time at sizes up to 50 MB (P5). ``bench_apply.py``
runs it.

    python benchmarks/apply_probe.py CONFIG [--rounds N]

Prints one JSON object: the rounds' CPU and wall times, and the resident
memory right after the imports and its peak after the rounds. Memory is the kernel's count of resident pages, not tracemalloc's,
which would slow the timed rounds and miss the C parser's allocations.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import resource
import sys
from pathlib import Path

from bench_apply import make_config, taskpatch_apply
from benchkit import measure


def memory_mb(field: str) -> float:
    """``VmRSS`` (resident now) or ``VmHWM`` (the peak) of this process, in
    MB. Not ``ru_maxrss``: Linux keeps it across fork and exec, so a child
    of a big benchmark process would report its parent's peak. Where there
    is no /proc (macOS), ``ru_maxrss`` stands in for both."""
    try:
        status = Path("/proc/self/status").read_text()
    except OSError:
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return peak / 2**20 if sys.platform == "darwin" else peak / 1024  # bytes on macOS, KB elsewhere
    line = next(line for line in status.splitlines() if line.startswith(field + ":"))
    return int(line.split()[1]) / 1024  # "VmHWM:   71234 kB"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("config")
    parser.add_argument("--rounds", type=int, default=1)
    options = parser.parse_args(argv)
    # A tiny apply first, so that the modules taskpatch imports on first use
    # count as imports, not as the memory the measured apply needs.
    taskpatch_apply(make_config(13))
    after_imports = memory_mb("VmRSS")
    text = Path(options.config).read_text(encoding="utf-8")
    timing = measure(options.rounds, lambda: taskpatch_apply(text))
    print(json.dumps({"timing": dataclasses.asdict(timing), "rss_after_imports_mb": after_imports,
                      "rss_peak_mb": memory_mb("VmHWM")}))


if __name__ == "__main__":
    main()

"""What the benchmark scripts share: timing over rounds, goal rows, and the
output convention that ``benchmarks/run.py`` reads (described at its top).

Times are taken twice per round: CPU time (``time.process_time``), which the
other processes on a busy machine disturb least, and wall time
(``time.perf_counter``). Ratios are computed on the minimum CPU time, and
shown beside that on the median wall time.
"""

from __future__ import annotations

import json
import statistics
import time
from dataclasses import dataclass
from typing import Any, Callable, Sequence


@dataclass(frozen=True)
class Timing:
    """The CPU and wall times of each round of one measurement, in seconds."""

    cpu: tuple[float, ...]
    wall: tuple[float, ...]

    @property
    def cpu_min(self) -> float:
        return min(self.cpu)

    @property
    def cpu_median(self) -> float:
        return statistics.median(self.cpu)

    @property
    def wall_min(self) -> float:
        return min(self.wall)

    @property
    def wall_median(self) -> float:
        return statistics.median(self.wall)

    def to_json(self) -> dict[str, float]:
        return {"cpu_min_s": self.cpu_min, "cpu_median_s": self.cpu_median,
                "wall_min_s": self.wall_min, "wall_median_s": self.wall_median, "rounds": len(self.cpu)}

    @classmethod
    def from_rounds(cls, data: dict[str, list[float]]) -> Timing:
        """The timing a child process sent as ``{"cpu": [...], "wall": [...]}``."""
        return cls(tuple(data["cpu"]), tuple(data["wall"]))


def measure(rounds: int, action: Callable[[], object]) -> Timing:
    return measure_each(rounds, [action])[0]


def measure_each(rounds: int, actions: Sequence[Callable[[], object]]) -> list[Timing]:
    """Time the actions in turn, round after round, so that a spell of load
    from other processes falls on all of them rather than on one: their
    ratios hold better than their times."""
    cpu: list[list[float]] = [[] for _ in actions]
    wall: list[list[float]] = [[] for _ in actions]
    for _ in range(rounds):
        for index, action in enumerate(actions):
            cpu_start, wall_start = time.process_time(), time.perf_counter()
            action()
            wall[index].append(time.perf_counter() - wall_start)
            cpu[index].append(time.process_time() - cpu_start)
    return [Timing(tuple(c), tuple(w)) for c, w in zip(cpu, wall)]


@dataclass(frozen=True)
class Goal:
    """A bound on a row's value: ``<= 3`` or ``>= 20``."""

    op: str
    bound: float

    def met(self, value: float) -> bool:
        return value <= self.bound if self.op == "<=" else value >= self.bound

    def __str__(self) -> str:
        return f"{self.op} {self.bound:g}"


@dataclass(frozen=True)
class Row:
    """One measured line of issue 10's table. ``wall_value`` is the same
    ratio on median wall times, where the row is a ratio of two timings."""

    id: str
    what: str
    value: float
    unit: str
    goal: Goal
    cpu_min_s: float | None = None
    wall_median_s: float | None = None
    wall_value: float | None = None

    @property
    def ok(self) -> bool:
        return self.goal.met(self.value)

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "what": self.what, "value": self.value, "unit": self.unit,
                "goal": str(self.goal), "ok": self.ok, "cpu_min_s": self.cpu_min_s,
                "wall_median_s": self.wall_median_s, "wall_value": self.wall_value}


def ratio_row(row_id: str, what: str, numerator: Timing, denominator: Timing, goal: Goal) -> Row:
    """``numerator / denominator`` on min CPU (the value) and on median wall."""
    return Row(row_id, what, numerator.cpu_min / denominator.cpu_min, "x", goal,
               cpu_min_s=numerator.cpu_min, wall_median_s=numerator.wall_median,
               wall_value=numerator.wall_median / denominator.wall_median)


def measured_text(value: float, unit: str, wall_value: float | None) -> str:
    text = f"{value:.2f}{unit}"
    return text if wall_value is None else f"{text} (wall {wall_value:.2f}{unit})"


def table_line(row_id: str, what: str, measured: str, goal: str, status: str, width: int = 58) -> str:
    """One line of the goals table, the same in every script and in run.py;
    ``width`` is the "what" column's."""
    return f"{row_id:22} {what:{width}} {measured:24} {goal:8} {status}"


def print_table_head(width: int = 58) -> None:
    print(table_line("id", "what", "measured (cpu min)", "goal", "status", width))


def print_time(label: str, timing: Timing) -> None:
    print(f"  {label:44} cpu min {timing.cpu_min * 1000:9.1f} ms  median {timing.cpu_median * 1000:9.1f} ms"
          f"  | wall min {timing.wall_min * 1000:9.1f} ms  median {timing.wall_median * 1000:9.1f} ms"
          f"  ({len(timing.cpu)} rounds)")


def finish(rows: list[Row], figures: dict[str, Any], as_json: bool) -> int:
    """Print the goals table (and, with ``--json``, the JSON object as the
    last line of stdout); the exit status is 1 when a goal is missed."""
    print_table_head()
    for row in rows:
        print(table_line(row.id, row.what, measured_text(row.value, row.unit, row.wall_value), str(row.goal),
                         "ok" if row.ok else "MISSED"))
    if as_json:
        print(json.dumps({"rows": [row.to_json() for row in rows], "figures": figures}))
    return 0 if all(row.ok for row in rows) else 1

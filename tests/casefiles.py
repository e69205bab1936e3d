"""Case files shared by the golden tests and the worked examples.

A case is ``NAME.tp``, a spec file whose first line may be
``# options: ...`` (extra CLI options such as ``--task``), run by the real
CLI against an input file.
"""

from __future__ import annotations

import shlex
from pathlib import Path

from taskpatch.cli import main


def spec_options(spec_file: Path) -> list[str]:
    first = spec_file.read_text().splitlines()[:1]
    if first and first[0].startswith("# options:"):
        return shlex.split(first[0].removeprefix("# options:"))
    return []


def apply_case(source: Path, spec_file: Path, out: Path) -> int:
    return main(["apply", str(source), "--spec-file", str(spec_file), *spec_options(spec_file), "-O", str(out)])

"""Golden cases: whole files, compared byte for byte (black's case-file style).

Each case in ``tests/golden/`` is three files:
``NAME.in.yaml`` (the input), ``NAME.tp`` (a spec file; a first line
``# options: ...`` adds CLI options such as ``--task``) and ``NAME.out.yaml``
(the exact expected output). Cases run through the real CLI; the output must
also be a fixed point (patching it again changes nothing).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from casefiles import apply_case

GOLDEN = Path(__file__).parent / "golden"
CASES = sorted(p.stem for p in GOLDEN.glob("*.tp"))


def _apply(source: Path, name: str, out: Path) -> int:
    return apply_case(source, GOLDEN / f"{name}.tp", out)


def test_there_are_golden_cases() -> None:
    assert len(CASES) >= 15
    for name in CASES:
        assert (GOLDEN / f"{name}.in.yaml").exists() and (GOLDEN / f"{name}.out.yaml").exists(), name


@pytest.mark.parametrize("name", CASES)
def test_golden(name: str, tmp_path: Path) -> None:
    expected = (GOLDEN / f"{name}.out.yaml").read_bytes()
    once, twice = tmp_path / "once.yaml", tmp_path / "twice.yaml"
    assert _apply(GOLDEN / f"{name}.in.yaml", name, once) == 0
    assert once.read_bytes() == expected
    assert _apply(once, name, twice) == 0
    assert twice.read_bytes() == expected

"""The package ships ``py.typed``, so its type hints must hold: mypy over it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def test_mypy_is_clean() -> None:
    if not os.environ.get("CI"):  # CI installs the test extras: there it must run
        pytest.importorskip("mypy", reason="mypy is a test dependency; install '.[test]'")
    proc = subprocess.run([sys.executable, "-m", "mypy", "taskpatch"], cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr

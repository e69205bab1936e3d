"""The worked examples in examples/ and the README's first two commands."""

from __future__ import annotations

import shlex
from pathlib import Path

import pytest

from casefiles import apply_case
from taskpatch.cli import main

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"


def _readme_commands() -> list[str]:
    text = (ROOT / "README.md").read_text()
    block = text.split("```sh\n", 1)[1].split("```", 1)[0]
    return block.strip().splitlines()


def test_readme_starts_with_the_two_commands() -> None:
    assert (ROOT / "README.md").read_text().split("```sh\n", 1)[0].count("\n") <= 2  # right under the title
    run_example, run_tests = _readme_commands()
    assert "examples/" in run_example and "taskpatch apply" in run_example
    assert "pytest" in run_tests
    # CI runs exactly the README's test command.
    assert run_tests in (ROOT / ".ci" / "run").read_text().splitlines()


def test_readme_example_command_gives_the_expected_file(monkeypatch: pytest.MonkeyPatch,
                                                         capfd: pytest.CaptureFixture[str]) -> None:
    run_example = _readme_commands()[0]
    argv = shlex.split(run_example.split(".venv/bin/taskpatch ", 1)[1])
    monkeypatch.chdir(ROOT)
    assert main(argv) == 0
    assert capfd.readouterr().out == (EXAMPLES / "task.expected.yaml").read_text()


@pytest.mark.parametrize("name", sorted(p.stem for p in EXAMPLES.glob("*.tp")))
def test_example(name: str, tmp_path: Path) -> None:
    out = tmp_path / "out.yaml"
    assert apply_case(EXAMPLES / f"{name}.yaml", EXAMPLES / f"{name}.tp", out) == 0
    assert out.read_bytes() == (EXAMPLES / f"{name}.expected.yaml").read_bytes()

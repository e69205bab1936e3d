"""The command-line conventions of issue 12, part 3: colour variables,
``-O -``, where ``taskpatch.yaml`` is looked for, error kinds and exit
codes, messages."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from taskpatch.cli import main
from taskpatch.commands.common import wants_colour
from taskpatch.targets import find_targets_file

ROOT = Path(__file__).resolve().parent.parent
TASK = ROOT / "examples" / "task.yaml"
RED = "\033[31m"


def _cli(*argv: str, env: dict[str, str] | None = None, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR", "TERM")}
    return subprocess.run([sys.executable, "-m", "taskpatch", *argv], capture_output=True, text=True,
                          env={**clean, **(env or {})}, cwd=cwd, check=False)


# -- colour -------------------------------------------------------------------------------


@pytest.mark.parametrize("env,flag,coloured", [
    ({}, None, False),  # a pipe: no colour
    ({"FORCE_COLOR": "1"}, None, True),  # forced, even into a pipe
    ({"FORCE_COLOR": ""}, None, False),  # empty is unset
    ({"FORCE_COLOR": "1"}, "never", False),  # --color wins
    ({"NO_COLOR": "1"}, "always", True),  # --color wins
    ({"NO_COLOR": "1", "FORCE_COLOR": "1"}, None, False),  # NO_COLOR first, as CPython has it
    ({"TERM": "dumb"}, "always", True),
])
def test_colour_variables_and_the_flag(env: dict[str, str], flag: str | None, coloured: bool) -> None:
    argv = ["apply", str(TASK), "-s", "worker.replicas=9", "--diff"] + ([f"--color={flag}"] if flag else [])
    done = _cli(*argv, env=env)
    assert done.returncode == 0, done.stderr
    assert "+  replicas: 9" in done.stdout.replace(RED, "").replace("\033[32m", "")
    assert (RED in done.stdout) is coloured


class _Terminal:
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize("env,expected", [
    ({}, True), ({"TERM": "dumb"}, False), ({"TERM": "xterm"}, True), ({"NO_COLOR": "1"}, False),
    ({"TERM": "dumb", "FORCE_COLOR": "1"}, True),
])
def test_colour_on_a_terminal(monkeypatch: pytest.MonkeyPatch, env: dict[str, str], expected: bool) -> None:
    for name in ("NO_COLOR", "FORCE_COLOR", "TERM"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert wants_colour("auto", _Terminal()) is expected
    assert wants_colour("never", _Terminal()) is False and wants_colour("always", None) is True


# -- -O - is stdout ---------------------------------------------------------------------------


def test_output_dash_is_stdout(tmp_path: Path) -> None:
    done = _cli("apply", str(TASK), "-s", "worker.replicas=9", "-O", "-", cwd=tmp_path)
    assert done.returncode == 0 and "replicas: 9" in done.stdout
    assert list(tmp_path.iterdir()) == []  # no file called '-'


# -- taskpatch.yaml discovery -------------------------------------------------------------


def _manifest(folder: Path) -> None:
    (folder / "task.yaml").write_text(TASK.read_text())
    (folder / "taskpatch.yaml").write_text("targets:\n  - {source: task.yaml, output: out.yaml}\n")


@pytest.mark.parametrize("git", ["folder", "file"])  # a worktree's .git is a file
def test_discovery_walks_up_to_the_repository_root_and_never_above(tmp_path: Path, git: str) -> None:
    repo = tmp_path / "repo"
    deep = repo / "a" / "b"
    deep.mkdir(parents=True)
    _manifest(tmp_path)  # above the repository: not its business
    if git == "folder":
        (repo / ".git").mkdir()
    else:
        (repo / ".git").write_text("gitdir: /elsewhere\n")
    done = _cli("build", cwd=deep)
    assert done.returncode == 2
    assert re.fullmatch(rf".*: I/O error: no taskpatch\.yaml here up to the repository root \({re.escape(str(repo))}\)"
                        r"; give one with -f\n", done.stderr), done.stderr
    assert not (tmp_path / "out.yaml").exists()
    _manifest(repo)  # at the root: found from below
    done = _cli("build", cwd=deep)
    assert done.returncode == 1 and (repo / "out.yaml").exists(), done.stderr


def test_discovery_outside_a_repository_goes_to_the_top(tmp_path: Path) -> None:
    deep = tmp_path / "a" / "b"
    deep.mkdir(parents=True)
    _manifest(tmp_path)
    assert find_targets_file(str(deep)) == str(tmp_path / "taskpatch.yaml")


# -- exit codes and error kinds ---------------------------------------------------------------


@pytest.mark.parametrize("make,reason", [(lambda p: None, "no such folder"), (lambda p: p.write_text("x: 1\n"),
                                                                              "not a folder")])
def test_corpus_needs_a_folder(tmp_path: Path, capfd: pytest.CaptureFixture[str], make, reason: str) -> None:  # type: ignore[no-untyped-def]
    target = tmp_path / "corpus"
    make(target)
    assert main(["corpus", str(target)]) == 2
    assert capfd.readouterr() == ("", f"{target}: I/O error: cannot read: {reason}\n")


def test_variants_without_anything_to_vary_is_a_usage_error(tmp_path: Path,
                                                            capfd: pytest.CaptureFixture[str]) -> None:
    assert main(["variants", str(TASK), "-d", str(tmp_path / "out")]) == 2
    assert capfd.readouterr().err == (f"{TASK}: usage error: variants need --transforms or at least one --grid\n")
    assert not (tmp_path / "out").exists()


def test_a_missing_targets_file_is_an_io_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                               capfd: pytest.CaptureFixture[str]) -> None:
    (tmp_path / ".git").mkdir()
    monkeypatch.chdir(tmp_path)
    assert main(["build"]) == 2
    assert ": I/O error: no taskpatch.yaml here" in capfd.readouterr().err


def test_a_duplicate_output_is_reported_with_its_targets_other_errors(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                      capfd: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "task.yaml").write_text(TASK.read_text())
    (tmp_path / "taskpatch.yaml").write_text(
        "targets:\n"
        "  - {source: task.yaml, output: x.yaml}\n"
        "  - source: task.yaml\n"
        "    output: x.yaml\n"
        "    set: [w..x=1]\n"
        "  - {source: task.yaml, output: y.yaml, render: maybe}\n")
    monkeypatch.chdir(tmp_path)
    assert main(["build"]) == 2
    lines = capfd.readouterr().err.splitlines()
    assert [line.split(": ")[0] for line in lines] == ["taskpatch.yaml:4:13", "taskpatch.yaml:5:13",
                                                       "taskpatch.yaml:6:49"], lines
    assert "two targets write x.yaml (the other at line 2)" in lines[0]


# -- messages ---------------------------------------------------------------------------------

MLAPP = "kind: MLApp\nspec:\n  tasks: [{name: t}]\n  serving:\n  - name: s\n    command: run $model_path\n"


def test_serve_warns_about_each_unused_var(tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "app.yaml").write_text(MLAPP)
    (tmp_path / "info.json").write_text('{"model_path": "/m", "checkpoint_path": "/c"}')
    argv = ["serve", str(tmp_path / "app.yaml"), "--serving", "s", "--task", "t"]
    assert main([*argv, "--var", "model_path=/m", "--var", "checkpoint_path=/c", "--var", "extra=1"]) == 0
    warnings = [line for line in capfd.readouterr().err.splitlines() if "warning" in line]
    assert [re.search(r"never uses (\$\w+);", line).group(1) for line in warnings] == [  # type: ignore[union-attr]
        "$checkpoint_path", "$extra"]
    # A task-info file records both paths; the one the command does not use is no news.
    assert main([*argv, "--info", str(tmp_path / "info.json")]) == 0
    assert "warning" not in capfd.readouterr().err


@pytest.mark.parametrize("values,message", [("1", "1 variant written"), ("1,2", "2 variants written")])
def test_variants_count_agrees(tmp_path: Path, capfd: pytest.CaptureFixture[str], values: str, message: str) -> None:
    assert main(["variants", str(TASK), "--grid", f"worker.lr={values}", "-d", str(tmp_path)]) == 0
    assert f"taskpatch: {message} to {tmp_path}\n" in capfd.readouterr().err

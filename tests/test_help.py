"""Help and completion (issue 12, part 2): every subcommand's ``--help``
documents every option and ends with examples that parse and the exit
codes; ``taskpatch completion`` scripts are valid and complete from the
real parser; ``apply`` on a terminal says it reads stdin."""

from __future__ import annotations

import argparse
import os
import pty
import select
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from taskpatch.cli import build_parser, main
from taskpatch.commands.epilogs import EPILOGS

from test_packaging import _loaded


def _commands(parser: argparse.ArgumentParser, prefix: str = "") -> dict[str, argparse.ArgumentParser]:
    """Every subcommand's parser, nested ones (``info set``) included, by name."""
    found = {}
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                found[prefix + name] = sub
                found.update(_commands(sub, prefix + name + " "))
    return found


COMMANDS = _commands(build_parser())


def test_every_command_has_an_epilog_and_nothing_else_does() -> None:
    assert set(COMMANDS) == set(EPILOGS)
    assert {"apply", "plan", "build", "serve", "variants", "info set", "corpus", "validate", "completion"} <= set(COMMANDS)


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_every_option_has_help(name: str) -> None:
    undocumented = [action.option_strings or action.dest for action in COMMANDS[name]._actions
                    if not action.help or action.help == argparse.SUPPRESS]
    assert undocumented == []


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_help_ends_with_examples_then_exit_codes(name: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        main([*name.split(), "--help"])
    assert done.value.code == 0
    text = capsys.readouterr().out
    examples, codes = text.split("\nexamples:\n")[1].split("\nexit codes:\n")
    assert [line.split("  ")[1].split()[0] for line in codes.splitlines()] == [str(c) for c in sorted(EPILOGS[name][1])]
    assert "0" in codes.split()[0] and codes.endswith("\n") and not codes.endswith("\n\n")
    lines = [line.strip() for line in examples.splitlines() if line.strip()]
    assert lines and all(f"taskpatch {name}" in line for line in lines)


@pytest.mark.parametrize("name,example", [(n, e) for n in sorted(EPILOGS) for e in EPILOGS[n][0]])
def test_every_example_parses(name: str, example: str) -> None:
    """The examples use only options the parser has, with valid values."""
    command = example.split("|")[-1]  # `cat x | taskpatch apply -`
    words = shlex.split(command, comments=True)
    words = words[:words.index(">")] if ">" in words else words
    assert words[0] == "taskpatch"
    options = build_parser().parse_args(words[1:])  # argparse exits 2 on anything it does not know
    assert options.command == name.split()[0]


def test_top_level_help_points_to_the_commands(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["--help"])
    out = capsys.readouterr().out
    assert "completion" in out and out.rstrip().endswith("options, examples and exit codes.")


def test_version_is_the_packages(capsys: pytest.CaptureFixture[str]) -> None:
    from importlib.metadata import version

    with pytest.raises(SystemExit) as done:
        main(["--version"])
    assert done.value.code == 0 and capsys.readouterr().out == f"taskpatch {version('taskpatch')}\n"


# -- completion -------------------------------------------------------------------------------


def _script(shell: str) -> str:
    done = subprocess.run([sys.executable, "-m", "taskpatch", "completion", shell], capture_output=True, text=True,
                          check=False)
    assert done.returncode == 0 and done.stderr == "", done.stderr
    return done.stdout


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_completion_scripts_are_valid(shell: str, tmp_path: Path) -> None:
    if shutil.which(shell) is None:
        pytest.skip(f"{shell} is not installed")
    script = tmp_path / f"taskpatch.{shell}"
    script.write_text(_script(shell))
    checked = subprocess.run([shell, "-n", str(script)], capture_output=True, text=True, check=False)
    assert checked.returncode == 0, checked.stderr


BASH_COMPLETE = """
source "$1"
read -ra COMP_WORDS <<< "$2"
[[ "$2" == *" " ]] && COMP_WORDS+=("")
COMP_CWORD=$((${#COMP_WORDS[@]} - 1)); COMP_LINE="$2"; COMP_POINT=${#COMP_LINE}
_shtab_taskpatch
printf '%s\\n' "${COMPREPLY[@]}"
"""


@pytest.mark.parametrize("line,offered", [
    ("taskpatch ap", ["apply"]),
    ("taskpatch apply --ren", ["--render"]),
    ("taskpatch validate --st", ["--strict"]),
    ("taskpatch completion ", ["bash", "zsh", "fish"]),
    ("taskpatch plan --format ", ["text", "json"]),
    ("taskpatch apply --color ", ["auto", "always", "never"]),
])
def test_bash_completes_from_the_parser(tmp_path: Path, line: str, offered: list[str]) -> None:
    script = tmp_path / "taskpatch.bash"
    script.write_text(_script("bash"))
    done = subprocess.run(["bash", "-c", BASH_COMPLETE, "-", str(script), line], capture_output=True, text=True,
                          check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == offered


@pytest.mark.skipif(shutil.which("fish") is None, reason="fish is not installed")
def test_fish_completes_from_the_parser(tmp_path: Path) -> None:
    script = tmp_path / "taskpatch.fish"
    script.write_text(_script("fish"))
    done = subprocess.run(["fish", "--no-config", "-c", f"source {script}; complete -C 'taskpatch apply --ren'"],
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert [line.split("\t")[0] for line in done.stdout.splitlines()] == ["--render"]


def test_an_unknown_shell_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        main(["completion", "tcsh"])
    assert done.value.code == 2 and "invalid choice: 'tcsh'" in capsys.readouterr().err


@pytest.mark.parametrize("argv", [["--help"], ["apply", "--help"]])
def test_only_the_completion_command_imports_shtab(tmp_path: Path, argv: list[str]) -> None:
    assert _loaded(argv, ("shtab",), tmp_path) == []
    assert _loaded(["completion", "bash"], ("shtab",), tmp_path) == ["shtab"]


# -- stdin on a terminal ------------------------------------------------------------------------


def _run_on_a_terminal(argv: list[str], typed: bytes) -> tuple[int, str, str]:
    """Run the CLI with a pseudo-terminal as stdin; type ``typed``, then end the input."""
    main_fd, terminal = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-m", "taskpatch", *argv], stdin=terminal, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    os.close(terminal)
    try:
        # The note comes before the read: wait for it, so that it is not a race with the typing.
        ready, _, _ = select.select([proc.stderr], [], [], 20)
        assert ready, "no note on stderr"
        os.write(main_fd, typed + b"\x04")  # Ctrl-D: end of input, for the terminal's reader
        out, err = proc.communicate(timeout=30)
    finally:
        os.close(main_fd)
    return proc.returncode, out.decode(), err.decode()


def test_apply_on_a_terminal_says_it_reads_stdin() -> None:
    code, out, err = _run_on_a_terminal(["apply", "-e", "A=1"], b"resources:\n- name: w\n")
    assert code == 0, err
    assert err.startswith("taskpatch: reading the config from stdin (end it with Ctrl-D")
    assert "  - name: A\n    value: '1'\n" in out


def test_apply_from_a_pipe_says_nothing() -> None:
    done = subprocess.run([sys.executable, "-m", "taskpatch", "apply", "-e", "A=1"], input="resources:\n- name: w\n",
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0 and done.stderr == ""

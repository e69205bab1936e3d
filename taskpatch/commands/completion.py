"""``taskpatch completion bash|zsh|fish``: a shell completion script, made
from the argument parser itself by shtab, so it can never list an option
the parser does not have."""

from __future__ import annotations

import argparse
from typing import Any

from .common import EXIT_OK, write_stdout

SHELLS = ("bash", "zsh", "fish")
# Metavars of arguments that name a file or a folder: their completion
# offers paths. Set here, not where the options are declared, so that only
# this command imports shtab (it is not needed to run, nor for --help).
FILE_METAVARS = {"FILE", "CONFIG", "OUT", "MANIFEST", "F", "TARGET|MANIFEST"}
FOLDER_METAVARS = {"DIR", "OUTDIR"}


def add_parser(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser("completion", help="print a shell completion script (bash, zsh or fish)")
    parser.add_argument("shell", choices=SHELLS, help="the shell to complete for")
    parser.set_defaults(run=run)


def run(options: argparse.Namespace) -> int:
    import shtab

    from ..cli import build_parser  # the whole parser, this command included

    parser = build_parser()
    _mark_paths(parser, shtab.FILE, shtab.DIRECTORY)
    write_stdout(shtab.complete(parser, shell=options.shell))
    return EXIT_OK


def _mark_paths(parser: argparse.ArgumentParser, files: dict[str, Any], folders: dict[str, Any]) -> None:
    """Give path arguments shtab's path completion, in every subcommand."""
    for action in parser._actions:
        metavar = action.metavar if isinstance(action.metavar, str) else None
        if action.dest == "file" and metavar is None or metavar in FILE_METAVARS:
            action.complete = files  # type: ignore[attr-defined]
        elif metavar in FOLDER_METAVARS:
            action.complete = folders  # type: ignore[attr-defined]
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                _mark_paths(sub, files, folders)

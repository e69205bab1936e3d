"""Command line: ``taskpatch apply|plan|build|serve|variants|info|corpus``.

stdout carries data only; messages go to stderr. Exit codes: 0 done,
1 ``--check`` found a change, 2 bad input (one positioned line per error),
3 an internal error (reported in one line too; never a traceback).
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import Sequence

from . import __version__
from .commands import apply, build, corpus, info, plan, serve, variants
from .commands.common import EXIT_BAD_INPUT, EXIT_INTERNAL, EXIT_OK, display_name
from .errors import TaskpatchError
from .verify import VerificationError


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        # argparse would print the whole usage; one line is the contract.
        self.exit(EXIT_BAD_INPUT, f"{self.prog}: error: {message} (see --help)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="taskpatch", description="Patch ML task configs offline, byte-exactly.")
    parser.add_argument("--version", action="version", version=f"taskpatch {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    for command in (apply, plan, build, serve, variants, info, corpus):
        command.add_parser(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    options = build_parser().parse_args(argv)
    try:
        return options.run(options)
    except VerificationError as exc:  # a bug of ours, caught before anything was written
        exc.with_file(display_name(getattr(options, "file", "-")))
        print(str(exc), file=sys.stderr)
        return EXIT_INTERNAL
    except TaskpatchError as exc:
        exc.with_file(display_name(getattr(options, "file", "-")))
        print(str(exc), file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return EXIT_OK
    except Exception as exc:  # noqa: BLE001 - the contract is: never a traceback
        if os.environ.get("TASKPATCH_DEBUG"):
            raise
        print(f"taskpatch: internal error: {type(exc).__name__}: {exc} (please report this)", file=sys.stderr)
        return EXIT_INTERNAL


def run() -> None:
    """The ``taskpatch`` command: ``main()``, then a fast exit.

    Everything taskpatch writes is flushed and closed by now (outputs are
    fsynced before their rename), so the interpreter's teardown (unloading
    modules, freeing every object one by one) does no work anyone needs,
    yet costs 10-15 ms: a sixth of a small run, which pre-commit pays on
    every commit. ``main()`` itself still returns normally, for embedding.
    """
    code = main()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed pipe: nothing more to say
            pass
    os._exit(code)


"""Command line: ``taskpatch apply|plan|build|serve|variants|info|corpus|validate|completion``.

stdout carries data only; messages go to stderr. Exit codes: 0 done,
1 ``--check`` found a change, 2 bad input (one positioned line per error),
3 an internal error (reported in one line too; never a traceback).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from typing import Any, Sequence

from . import __version__
from .commands import apply, build, completion, corpus, info, plan, serve, validate, variants
from .commands.epilogs import add_epilogs
from .commands.common import EXIT_BAD_INPUT, EXIT_INTERNAL, EXIT_OK, display_name
from .errors import InternalError, TaskpatchError
from .files import discard_stdout, stdout_error, write_stdout


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        # argparse would print the whole usage; one line is the contract.
        self.exit(EXIT_BAD_INPUT, f"{self.prog}: error: {message} (see --help)\n")

    def _print_message(self, message: str, file: Any = None) -> None:
        # argparse drops write errors: --help into a full disk must fail as any other output does.
        if message and (file is None or file is sys.stdout):
            write_stdout(message)
        elif message and file is not None:
            with contextlib.suppress(OSError, ValueError):
                file.write(message)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="taskpatch", description="Patch ML task configs offline, byte-exactly.",
                     epilog="'taskpatch COMMAND --help' shows a command's options, examples and exit codes.")
    parser.add_argument("--version", action="version", version=f"taskpatch {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    for command in (apply, plan, build, serve, variants, info, corpus, validate, completion):
        command.add_parser(commands)
    add_epilogs(parser)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    options = None
    try:
        options = build_parser().parse_args(argv)
        return options.run(options)
    except InternalError as exc:  # a bug of ours, caught before anything was written
        exc.with_file(display_name(getattr(options, "file", "-")))
        print(str(exc), file=sys.stderr)
        return EXIT_INTERNAL
    except TaskpatchError as exc:
        exc.with_file(display_name(getattr(options, "file", "-")))
        print(str(exc), file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # a reader of a stream we wrote has gone: quiet, as write_stdout is
        discard_stdout()
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
    Skipping the teardown also skips its flush, so the flush here must
    report what the teardown would have: stdout that cannot be written is
    exit 2 and one line, never a "lost" message or exit 0.
    """
    if sys.stderr is None:  # fd 2 closed at start: messages go nowhere, and never to stdout
        sys.stderr = open(os.devnull, "w")
    try:
        code = main()
    except SystemExit as exc:  # argparse: --help, --version, usage errors
        code = 0 if exc.code is None else exc.code if isinstance(exc.code, int) else EXIT_BAD_INPUT
    except OSError:  # stderr itself failing while reporting an error
        code = EXIT_BAD_INPUT
    os._exit(_flush(code))


def _flush(code: int) -> int:
    """Flush stdout and stderr; the exit code, made 2 when stdout failed."""
    try:
        if sys.stdout is not None:
            sys.stdout.flush()
    except BrokenPipeError:
        discard_stdout()
    except (OSError, ValueError) as exc:
        with contextlib.suppress(OSError, ValueError):
            print(str(stdout_error(exc)), file=sys.stderr)
        code = max(code, EXIT_BAD_INPUT)
    with contextlib.suppress(OSError, ValueError):
        sys.stderr.flush()
    return code

"""What several commands share: the spec and location options, stdout, diffs."""

from __future__ import annotations

import argparse
import os
import sys
from typing import TYPE_CHECKING, Any

from ..errors import PlanErrors, SpecSyntaxError, TaskpatchError
from ..files import read_text, write_atomic, write_stdout

if TYPE_CHECKING:
    from ..spec_ast import Spec

# The command modules import the parser, YAML and planning code only in
# their run(): building the argument parser (and `--help`) needs argparse alone.

EXIT_OK, EXIT_CHANGED, EXIT_BAD_INPUT, EXIT_INTERNAL = 0, 1, 2, 3

SPEC_KINDS = {"env": "env", "override": "set", "args": "args"}  # option's dest -> parse_spec's kind


class _OrderedSpec(argparse.Action):
    """Keep -e/-s/-a in command-line order: later specs see earlier ones."""

    def __call__(self, parser, namespace, values, option_string=None) -> None:  # type: ignore[override]
        getattr(namespace, "specs").append((self.const, values, option_string))


def add_location_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--task", metavar="NAME",
                        help="the MLApp task to use (a glob is allowed; needed when there are several)")
    parser.add_argument("--resources", metavar="JSONPATH",
                        help="where the containers are, e.g. '$.spec.template.spec.containers'; without it, "
                             "a Kubernetes manifest of a well-known kind (Deployment, TFJob, Argo Workflow...) "
                             "is found from the kinds table")
    add_template_option(parser)


def add_format_option(parser: argparse.ArgumentParser, what: str) -> None:
    parser.add_argument("--format", choices=("text", "json"), default="text",
                        help=f"print {what} as text (default) or as JSON")


def add_color_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--color", choices=("auto", "always", "never"), default="auto",
                        help="colour diffs: always, never, or (auto, the default) on a terminal, unless NO_COLOR "
                             "is set or TERM=dumb; FORCE_COLOR colours into a pipe too")


def add_template_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--template", choices=("auto", "on", "off"), default="auto",
                        help="treat {{ }} as Go template markup: when present (auto), always, or never")


def add_verify_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--no-verify", dest="verify", action="store_false",
                        help="do not read the patched text back and check it against the plan before writing "
                             "(on by default; a mismatch is exit 3 with nothing written)")


def template_mode(options: argparse.Namespace) -> bool | None:
    return {"auto": None, "on": True, "off": False}[options.template]


def add_spec_options(parser: argparse.ArgumentParser) -> None:
    """FILE, the -e/-s/-a specs, spec files, location and --render."""
    parser.add_argument("file", nargs="?", default="-", help="task config (default: stdin, also '-')")
    parser.set_defaults(specs=[])
    parser.add_argument("-e", "--env", action=_OrderedSpec, const="env", metavar="ENV",
                        help="[SELECTOR:]NAME=VALUE, e.g. MY_VAR=MY-VAL")
    parser.add_argument("-s", "--set", action=_OrderedSpec, const="override", metavar="OVERRIDE",
                        help="SELECTOR.PATH=VALUE, e.g. '*.resources.requests.cpu=1000m'; ~SELECTOR.PATH deletes")
    parser.add_argument("-a", "--args", action=_OrderedSpec, const="args", metavar="ARGS",
                        help="SELECTOR.KEY=VALUE sets one argument; SELECTOR=RAW sets the args string")
    parser.add_argument("--spec-file", action="append", default=[], metavar="F",
                        help="file of specs, one per line: env/set/unset/args ...")
    add_location_options(parser)
    parser.add_argument("--render", action="store_true",
                        help="after the specs, fold args into command as task.start() did, and drop args")
    parser.add_argument("--copy-aliases", action="store_true",
                        help="where a path goes through *alias, write a copy of the anchored value there first")


def collect_specs(options: argparse.Namespace) -> list[Spec]:
    """Parse every spec; report all syntax errors together."""
    from ..document import render_spec
    from ..spec_parser import parse_spec, parse_spec_file

    specs: list[Spec] = []
    errors: list[TaskpatchError] = []
    for kind, text, flag in options.specs:
        try:
            specs.append(parse_spec(text, SPEC_KINDS[kind], flag))
        except SpecSyntaxError as exc:
            errors.append(exc)
    for path in options.spec_file:
        try:
            specs.extend(parse_spec_file(read_text(path, SpecSyntaxError), path))
        except TaskpatchError as exc:
            errors.append(exc)
    if errors:
        raise errors[0] if len(errors) == 1 else PlanErrors(errors)
    if options.render:
        specs.append(render_spec())
    return specs


def note_stdin(path: str) -> None:
    """Say so when the config is about to be read from a terminal: without
    a FILE, a run would otherwise just wait, looking stuck."""
    if path == "-" and sys.stdin is not None and sys.stdin.isatty():
        print("taskpatch: reading the config from stdin (end it with Ctrl-D; FILE to read a file, --help for more)",
              file=sys.stderr)


def display_name(path: str) -> str:
    return "<stdin>" if path == "-" else path


def write_output(path: str | None, text: str) -> None:
    """``-O OUT``: the file by the writing contract; no ``-O``, or ``-O -``: stdout."""
    if path is None or path == "-":
        write_stdout(text)
    else:
        write_atomic(path, text)


def warn(message: str) -> None:
    print(f"taskpatch: warning: {message}", file=sys.stderr)


def unified_diff(old: str, new: str, name: str) -> str:
    import difflib  # only --diff needs it

    lines = []
    for line in difflib.unified_diff(
        old.splitlines(keepends=True), new.splitlines(keepends=True), f"a/{name.lstrip('/')}", f"b/{name.lstrip('/')}"
    ):
        lines.append(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n")
    return "".join(lines)


def wants_colour(mode: str, stream: Any) -> bool:
    """``--color always|never`` decides; ``auto`` follows the conventions,
    in CPython's order: ``NO_COLOR`` (no-color.org) turns colour off,
    ``FORCE_COLOR`` (force-color.org) turns it on even into a pipe,
    ``TERM=dumb`` turns it off, and otherwise a terminal gets it. Empty
    values count as unset, as both conventions say."""
    if mode != "auto":
        return mode == "always"
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    if os.environ.get("TERM") == "dumb":
        return False
    return stream is not None and stream.isatty()


def colourise(diff: str, mode: str, stream: Any) -> str:
    if not wants_colour(mode, stream):
        return diff
    colours = {"+": "\033[32m", "-": "\033[31m", "@": "\033[36m"}
    out = []
    for line in diff.splitlines(keepends=True):
        colour = None if line.startswith(("+++", "---")) else colours.get(line[:1])
        out.append(f"{colour}{line.rstrip(chr(10))}\033[0m\n" if colour else line)
    return "".join(out)

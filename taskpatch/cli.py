"""Command line: ``taskpatch apply`` and ``taskpatch plan``.

stdout carries data only; messages go to stderr. Exit codes: 0 done,
1 ``--check`` found a change, 2 bad input (one positioned line per error),
3 an internal error (reported in one line too; never a traceback).
"""

from __future__ import annotations

import argparse
import difflib
import json
import os
import sys
from typing import Any, Sequence

from . import __version__
from .document import Document, render_spec
from .errors import InputOutputError, PlanErrors, SpecSyntaxError, TaskpatchError
from .files import read_text, write_atomic
from .spec_ast import Spec
from .spec_parser import parse_args, parse_env, parse_override, parse_spec_file

EXIT_OK, EXIT_CHANGED, EXIT_BAD_INPUT, EXIT_INTERNAL = 0, 1, 2, 3

SPEC_PARSERS = {"env": parse_env, "override": parse_override, "args": parse_args}


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        # argparse would print the whole usage; one line is the contract.
        self.exit(EXIT_BAD_INPUT, f"{self.prog}: error: {message} (see --help)\n")


class _OrderedSpec(argparse.Action):
    """Keep -e/-s/-a in command-line order: later specs see earlier ones."""

    def __call__(self, parser, namespace, values, option_string=None) -> None:  # type: ignore[override]
        getattr(namespace, "specs").append((self.const, values, option_string))


def _add_inputs(parser: argparse.ArgumentParser) -> None:
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
    parser.add_argument("--task", metavar="NAME", help="MLApp task to patch (a glob is allowed)")
    parser.add_argument("--resources", metavar="JSONPATH",
                        help="where the resources are, e.g. '$.spec.template.spec.containers'")
    parser.add_argument("--render", action="store_true",
                        help="after the specs, fold args into command as task.start() did, and drop args")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="taskpatch", description="Patch ML task configs offline, byte-exactly.")
    parser.add_argument("--version", action="version", version=f"taskpatch {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    apply = commands.add_parser("apply", help="apply specs and write the patched YAML")
    _add_inputs(apply)
    out = apply.add_mutually_exclusive_group()
    out.add_argument("-i", "--in-place", action="store_true", help="rewrite FILE atomically")
    out.add_argument("-O", "--output", metavar="OUT", help="write the result to OUT (atomically)")
    apply.add_argument("--diff", action="store_true", help="print a unified diff instead of the result")
    apply.add_argument("--check", action="store_true", help="write nothing; exit 1 if FILE would change")
    apply.add_argument("--color", choices=("auto", "always", "never"), default="auto", help="colour diffs")

    plan = commands.add_parser("plan", help="print the operations the specs resolve to")
    _add_inputs(plan)
    plan.add_argument("--format", choices=("text", "json"), default="text")
    return parser


def collect_specs(options: argparse.Namespace) -> list[Spec]:
    """Parse every spec; report all syntax errors together."""
    specs: list[Spec] = []
    errors: list[TaskpatchError] = []
    for kind, text, flag in options.specs:
        try:
            specs.append(SPEC_PARSERS[kind](text, flag))
        except SpecSyntaxError as exc:
            errors.append(exc)
    for path in options.spec_file:
        try:
            specs.extend(parse_spec_file(read_text(path), path))
        except TaskpatchError as exc:
            errors.append(exc)
    if errors:
        raise errors[0] if len(errors) == 1 else PlanErrors(errors)
    if options.render:
        specs.append(render_spec())
    return specs


def unified_diff(old: str, new: str, name: str) -> str:
    lines = []
    for line in difflib.unified_diff(
        old.splitlines(keepends=True), new.splitlines(keepends=True), f"a/{name.lstrip('/')}", f"b/{name.lstrip('/')}"
    ):
        lines.append(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n")
    return "".join(lines)


def colourise(diff: str, mode: str, stream: Any) -> str:
    if mode == "never" or (mode == "auto" and (os.environ.get("NO_COLOR") or not stream.isatty())):
        return diff
    colours = {"+": "\033[32m", "-": "\033[31m", "@": "\033[36m"}
    out = []
    for line in diff.splitlines(keepends=True):
        colour = None if line.startswith(("+++", "---")) else colours.get(line[:1])
        out.append(f"{colour}{line.rstrip(chr(10))}\033[0m\n" if colour else line)
    return "".join(out)


def _write_stdout(text: str) -> None:
    sys.stdout.flush()
    sys.stdout.buffer.write(text.encode("utf-8"))
    sys.stdout.buffer.flush()


def _display_name(path: str) -> str:
    return "<stdin>" if path == "-" else path


def run_apply(options: argparse.Namespace) -> int:
    if options.in_place and options.file == "-":
        raise InputOutputError("-i needs a FILE; standard input cannot be rewritten", file="<stdin>")
    specs = collect_specs(options)
    name = _display_name(options.file)
    original = read_text(options.file)
    document = Document(original, path=name, task=options.task, resources=options.resources)
    document.apply(specs)
    for warning in document.warnings:
        print(f"taskpatch: warning: {warning}", file=sys.stderr)
    result = document.text
    changed = result != original
    if options.check or options.diff:
        if options.diff and changed:
            _write_stdout(colourise(unified_diff(original, result, name), options.color, sys.stdout))
        if options.check:
            if changed:
                print(f"taskpatch: {name} would change", file=sys.stderr)
            return EXIT_CHANGED if changed else EXIT_OK
        return EXIT_OK
    if options.in_place:
        if changed:
            write_atomic(options.file, result)
    elif options.output:
        write_atomic(options.output, result)
    else:
        _write_stdout(result)
    return EXIT_OK


def run_plan(options: argparse.Namespace) -> int:
    specs = collect_specs(options)
    name = _display_name(options.file)
    document = Document(read_text(options.file), path=name, task=options.task, resources=options.resources)
    plan = document.plan(specs)
    if options.format == "json":
        payload = {
            "file": name,
            "operations": [op.to_json() for op in plan.operations],
            "warnings": list(plan.warnings),
        }
        _write_stdout(json.dumps(payload, indent=2, default=str) + "\n")
        return EXIT_OK
    rows = [
        (f"{name}:{op.line}", op.resource, op.path, _show(op.old, op.action), _show(op.new, op.action, new=True),
         f"{op.spec.label} {op.spec.text}".strip())
        for op in plan.operations
    ]
    widths = [max((len(row[i]) for row in rows), default=0) for i in range(3)]
    lines = [
        f"{a:<{widths[0]}}  {b:<{widths[1]}}  {c:<{widths[2]}}  {old} → {new}  ({spec})"
        for a, b, c, old, new, spec in rows
    ]
    for warning in plan.warnings:
        print(f"taskpatch: warning: {warning}", file=sys.stderr)
    _write_stdout("".join(line + "\n" for line in lines))
    if not rows:
        print(f"taskpatch: {name}: nothing to change", file=sys.stderr)
    return EXIT_OK


def _show(value: Any, action: str, new: bool = False) -> str:
    if new and action == "delete":
        return "(deleted)"
    if not new and action in ("add", "append"):
        return "(absent)"
    return json.dumps(value, default=str, ensure_ascii=False)


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    options = parser.parse_args(argv)
    try:
        return run_apply(options) if options.command == "apply" else run_plan(options)
    except TaskpatchError as exc:
        exc.with_file(_display_name(options.file))
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

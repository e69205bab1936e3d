"""``taskpatch apply``: specs in, patched YAML out (stdout, -i or -O)."""

from __future__ import annotations

import argparse
import sys

from ..document import Document
from ..errors import InputOutputError
from ..files import read_text, write_atomic
from .common import (
    EXIT_CHANGED,
    EXIT_OK,
    add_spec_options,
    add_verify_option,
    collect_specs,
    colourise,
    display_name,
    template_mode,
    unified_diff,
    warn,
    write_stdout,
)


def add_parser(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser("apply", help="apply specs and write the patched YAML")
    add_spec_options(parser)
    add_verify_option(parser)
    out = parser.add_mutually_exclusive_group()
    out.add_argument("-i", "--in-place", action="store_true", help="rewrite FILE atomically")
    out.add_argument("-O", "--output", metavar="OUT", help="write the result to OUT (atomically)")
    parser.add_argument("--diff", action="store_true", help="print a unified diff instead of the result")
    parser.add_argument("--check", action="store_true", help="write nothing; exit 1 if FILE would change")
    parser.add_argument("--color", choices=("auto", "always", "never"), default="auto", help="colour diffs")
    parser.set_defaults(run=run)


def run(options: argparse.Namespace) -> int:
    if options.in_place and options.file == "-":
        raise InputOutputError("-i needs a FILE; standard input cannot be rewritten", file="<stdin>")
    specs = collect_specs(options)
    name = display_name(options.file)
    original = read_text(options.file)
    document = Document(original, path=name, task=options.task, resources=options.resources,
                        template=template_mode(options), copy_aliases=options.copy_aliases, verify=options.verify)
    document.apply(specs)
    for warning in document.warnings:
        warn(warning)
    result = document.text
    changed = result != original
    if options.check or options.diff:
        if options.diff and changed:
            write_stdout(colourise(unified_diff(original, result, name), options.color, sys.stdout))
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
        write_stdout(result)
    return EXIT_OK

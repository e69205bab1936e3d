"""``taskpatch apply``: specs in, patched YAML out (stdout, -i or -O)."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from ..errors import InputOutputError
from ..files import open_for_update, read_text, write_atomic
from .common import (
    EXIT_CHANGED,
    EXIT_OK,
    add_color_option,
    add_spec_options,
    add_verify_option,
    collect_specs,
    colourise,
    display_name,
    note_stdin,
    template_mode,
    unified_diff,
    warn,
    write_output,
    write_stdout,
)

if TYPE_CHECKING:
    from ..spec_ast import Spec


def add_parser(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser("apply", help="apply specs and write the patched YAML")
    add_spec_options(parser)
    add_verify_option(parser)
    out = parser.add_mutually_exclusive_group()
    out.add_argument("-i", "--in-place", action="store_true", help="rewrite FILE atomically")
    out.add_argument("-O", "--output", metavar="OUT", help="write the result to OUT (atomically; '-' is stdout)")
    parser.add_argument("--diff", action="store_true", help="print a unified diff instead of the result")
    parser.add_argument("--check", action="store_true", help="write nothing; exit 1 if FILE would change")
    add_color_option(parser)
    parser.add_argument("--validate", action="store_true",
                        help="check the patched text against the JSON Schemas first; findings are exit 2, "
                             "nothing written")
    parser.set_defaults(run=run)


def run(options: argparse.Namespace) -> int:
    if options.in_place and options.file == "-":
        raise InputOutputError("-i needs a FILE; standard input cannot be rewritten", file="<stdin>")
    specs = collect_specs(options)
    if options.in_place and not (options.check or options.diff):
        # One lock from the read to the write, and the write re-checks what
        # was read: two runs on one file never lose an update silently.
        with open_for_update(options.file) as snapshot:
            result = _patch(options, snapshot.text, specs)
            if result != snapshot.text:
                write_atomic(options.file, result, expect=snapshot)
        return EXIT_OK
    note_stdin(options.file)
    original = read_text(options.file)
    result = _patch(options, original, specs)
    changed = result != original
    if options.check or options.diff:
        name = display_name(options.file)
        if options.diff and changed:
            write_stdout(colourise(unified_diff(original, result, name), options.color, sys.stdout))
        if options.check:
            if changed:
                print(f"taskpatch: {name} would change", file=sys.stderr)
            return EXIT_CHANGED if changed else EXIT_OK
        return EXIT_OK
    write_output(options.output, result)
    return EXIT_OK


def _patch(options: argparse.Namespace, original: str, specs: list[Spec]) -> str:
    from ..document import Document

    document = Document(original, path=display_name(options.file), task=options.task, resources=options.resources,
                        template=template_mode(options), copy_aliases=options.copy_aliases, verify=options.verify)
    document.apply(specs)
    for warning in document.warnings:
        warn(warning)
    if options.validate:
        from ..validation import require_valid  # imports jsonschema: only --validate pays for it

        require_valid(document.text, file=display_name(options.file), task=options.task,
                      resources=options.resources, template=template_mode(options))
    return document.text

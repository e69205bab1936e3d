"""``taskpatch validate FILE…``: check configs against the JSON Schemas.

Findings go to stdout, one line each (or a JSON list); a file that cannot
be checked (YAML that does not parse, nothing to check) is one error line
on stderr, and the other files are still checked. Exit 2 if anything was
found, else 0.
"""

from __future__ import annotations

import argparse
import sys

from ..errors import TaskpatchError
from ..files import read_text
from .common import (
    EXIT_BAD_INPUT,
    EXIT_OK,
    add_format_option,
    add_location_options,
    display_name,
    template_mode,
    write_stdout,
)


def add_parser(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser("validate", help="check task configs, MLApps and containers against JSON Schemas")
    parser.add_argument("files", nargs="+", metavar="FILE", help="configs to check ('-' is stdin)")
    add_location_options(parser)
    add_strict_option(parser)
    add_format_option(parser, "the findings")
    parser.set_defaults(run=run)


def add_strict_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--strict", action="store_true",
                        help="also report unknown keys that are no near miss of a known one")


def run(options: argparse.Namespace) -> int:
    from ..validation import validate  # imports jsonschema: only validating runs pay for it

    findings = []
    failed = False
    for path in options.files:
        name = display_name(path)
        try:
            findings += validate(read_text(path), file=name, task=options.task, resources=options.resources,
                                 strict=options.strict, template=template_mode(options))
        except TaskpatchError as exc:
            print(str(exc.with_file(name)), file=sys.stderr)
            failed = True
    if options.format == "json":
        import json

        write_stdout(json.dumps([f.as_json() for f in findings], indent=2) + "\n")
    else:
        write_stdout("".join(f"{f}\n" for f in findings))
    return EXIT_BAD_INPUT if findings or failed else EXIT_OK

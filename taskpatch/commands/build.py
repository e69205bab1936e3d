"""``taskpatch build``: make every output a targets file declares.

Exit 0: everything was up to date. Exit 1: outputs were stale (``--check``
lists them and writes nothing; plain ``build`` rewrites them, atomically,
and still exits 1 so that a pre-commit hook fails as a formatter's does;
``--exit-zero`` for scripts). Exit 2: a bad targets file or bad input.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import TYPE_CHECKING

from ..errors import InputOutputError, InternalError, SelectorError, TaskpatchError
from ..files import TARGETS_FILE_NAME as FILE_NAME
from ..files import read_text, write_atomic
from .common import (
    EXIT_BAD_INPUT,
    EXIT_CHANGED,
    EXIT_INTERNAL,
    EXIT_OK,
    add_color_option,
    add_verify_option,
    colourise,
    unified_diff,
    write_stdout,
)

if TYPE_CHECKING:
    from ..targets import Target


def add_parser(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser("build", help=f"make the outputs declared in {FILE_NAME} (for CI and pre-commit)")
    parser.add_argument("names", nargs="*", metavar="TARGET|MANIFEST",
                        help=f"outputs (or sources) to build, default all; a {FILE_NAME} path picks the file "
                             "(default: found in this folder or above)")
    parser.add_argument("-f", "--targets-file", metavar="MANIFEST", help=f"the targets file (default: {FILE_NAME} "
                        "here or in a folder above)")
    parser.add_argument("--check", action="store_true", help="write nothing; exit 1 if an output is stale or missing")
    parser.add_argument("--diff", action="store_true", help="show what would change (with --check) or changed")
    parser.add_argument("--jobs", "-j", type=int, default=1, metavar="N", help="build N targets at a time")
    parser.add_argument("--exit-zero", action="store_true", help="exit 0 after rewriting stale outputs")
    add_color_option(parser)
    add_verify_option(parser)
    parser.set_defaults(run=run)


def generate(target: Target, verify: bool = True) -> str:
    """The output's text: the source with the target's specs applied."""
    from ..document import Document

    text = read_text(target.source)
    document = Document(text, path=os.path.relpath(target.source), task=target.task, resources=target.resources,
                        template=target.template, verify=verify)
    document.apply(list(target.specs))
    if target.validate:
        from ..validation import require_valid  # imports jsonschema: only validating targets pay for it

        require_valid(document.text, file=os.path.relpath(target.output), task=target.task,
                      resources=target.resources, template=target.template)
    return document.text


def _generate_or_error(target: Target, verify: bool) -> tuple[str, str | None, bool]:
    """For worker processes: errors come back as their one-line text (and
    whether it is a verification failure, an internal error)."""
    try:
        return generate(target, verify), None, False
    except TaskpatchError as exc:
        return "", str(exc), isinstance(exc, InternalError)


def _pick(names: list[str], given: str | None) -> tuple[str, list[str]]:
    """Split the arguments into the targets file and target names."""
    if given is not None:
        if not os.path.isfile(given):
            raise InputOutputError("cannot read: no such file", file=given)
        return given, names
    manifests = [n for n in names if os.path.basename(n) == FILE_NAME or (n.endswith((".yaml", ".yml"))
                                                                            and os.path.isdir(n) is False
                                                                            and _is_manifest(n))]
    rest = [n for n in names if n not in manifests]
    if len(manifests) > 1:
        raise SelectorError(f"one targets file at a time, not {', '.join(manifests)}")
    if manifests and not os.path.isfile(manifests[0]):
        raise InputOutputError("cannot read: no such file", file=manifests[0])
    from ..targets import find_targets_file

    return (manifests[0] if manifests else find_targets_file()), rest


def _is_manifest(path: str) -> bool:
    try:
        with open(path, encoding="utf-8") as handle:
            return any(line.startswith("targets:") for line in handle)
    except OSError:
        return False


def _select(targets: list[Target], names: list[str]) -> list[Target]:
    if not names:
        return targets
    chosen, unknown = [], []
    for name in names:
        path = os.path.abspath(name)
        found = [t for t in targets if path in (t.output, t.source)]
        chosen += [t for t in found if t not in chosen]
        if not found:
            unknown.append(name)
    if unknown:
        outputs = ", ".join(os.path.relpath(t.output) for t in targets)
        raise SelectorError(f"no target builds or reads {', '.join(unknown)} (outputs: {outputs})")
    return chosen


def run(options: argparse.Namespace) -> int:
    manifest, names = _pick(options.names, options.targets_file)
    options.file = manifest  # errors name it when they have no file of their own
    from ..targets import load_targets  # here: the other commands start faster

    targets = _select(load_targets(manifest), names)
    if options.jobs > 1 and len(targets) > 1:
        from concurrent.futures import ProcessPoolExecutor  # only -j pays for it

        with ProcessPoolExecutor(max_workers=options.jobs) as pool:
            results = list(pool.map(_generate_or_error, targets, [options.verify] * len(targets)))
        errors = [error for _, error, _ in results if error]
        for error in errors:
            print(error, file=sys.stderr)
        if errors:
            return EXIT_INTERNAL if any(internal for _, _, internal in results) else EXIT_BAD_INPUT
        texts = [text for text, _, _ in results]
    else:
        texts = [generate(t, options.verify) for t in targets]
    stale = []
    for target, text in zip(targets, texts):
        try:
            # Only a regular file has old bytes to compare: a FIFO output would
            # block the read, and is written every time.
            old = read_text(target.output) if os.path.isfile(target.output) else None
        except TaskpatchError:
            old = None
        if old != text:
            stale.append((target, old, text))
    for target, old, text in stale:
        name = os.path.relpath(target.output)
        if options.diff:
            write_stdout(colourise(unified_diff(old or "", text, name), options.color, sys.stdout))
        if options.check:
            print(f"taskpatch: {'missing' if old is None else 'stale'}: {name}", file=sys.stderr)
        else:
            write_atomic(target.output, text, make_folders=True)
            print(f"taskpatch: rewrote {name}", file=sys.stderr)
    if not stale:
        return EXIT_OK
    return EXIT_OK if options.exit_zero and not options.check else EXIT_CHANGED

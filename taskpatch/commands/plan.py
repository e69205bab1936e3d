"""``taskpatch plan``: the operations the specs resolve to, as a table or JSON."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from ..files import read_text
from .common import (
    EXIT_OK,
    add_format_option,
    add_spec_options,
    collect_specs,
    display_name,
    note_stdin,
    template_mode,
    warn,
    write_stdout,
)


def add_parser(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser("plan", help="print the operations the specs resolve to")
    add_spec_options(parser)
    add_format_option(parser, "the operations")
    parser.set_defaults(run=run)


def run(options: argparse.Namespace) -> int:
    import json  # imported here: the other commands start faster without it

    from ..document import Document
    from ..locate import detect

    specs = collect_specs(options)
    name = display_name(options.file)
    note_stdin(options.file)
    document = Document(read_text(options.file), path=name, task=options.task, resources=options.resources,
                        template=template_mode(options), copy_aliases=options.copy_aliases)
    plan = document.plan(specs)
    # Which entries of the kinds table found the containers (--resources wins over the table).
    detections = detect(document.index()) if options.resources is None else []
    if options.format == "json":
        payload: dict[str, Any] = {
            "file": name,
            "operations": [op.to_json() for op in plan.operations],
            "warnings": list(plan.warnings),
        }
        if detections:  # (a task config's JSON stays as it was)
            payload["kinds"] = [d.to_json() for d in detections]
        write_stdout(json.dumps(payload, indent=2, allow_nan=False) + "\n")
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
    kinds = [f"{name}:{d.line}: {d.describe()}: containers at {', '.join(d.containers)}"
             + (f"; initContainers (left alone) at {', '.join(d.init_containers)}" if d.init_containers else "")
             for d in detections]
    for warning in plan.warnings:
        warn(warning)
    write_stdout("".join(line + "\n" for line in kinds + lines))
    if not rows:
        print(f"taskpatch: {name}: nothing to change", file=sys.stderr)
    return EXIT_OK


def _show(value: Any, action: str, new: bool = False) -> str:
    import json

    from ..scalars import json_value

    if new and action == "delete":
        return "(deleted)"
    if not new and action in ("add", "append"):
        return "(absent)"
    shown = json_value(value)
    if isinstance(shown, str) and not isinstance(value, str):
        return shown  # .nan, .inf or a BigInt's digits: a number, so not in quotes
    return json.dumps(shown, ensure_ascii=False)

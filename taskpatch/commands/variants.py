"""``taskpatch variants``: one config per point of a sweep, and an index."""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any

from ..errors import InputOutputError, ValueTypeError
from ..files import read_text, write_atomic
from ..scalars import json_value
from ..yaml_index import Node, build_index
from .common import EXIT_OK, add_location_options, add_verify_option, template_mode


def add_parser(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser("variants", help="write one config per sweep variant, plus variants.json")
    parser.add_argument("file", metavar="CONFIG", help="the task config or MLApp")
    parser.add_argument("--transforms", metavar="FILE",
                        help="YAML list as parallel_run takes it: [{worker: {batch_size: 10}}, ...]")
    parser.add_argument("--grid", action="append", default=[], metavar="SEL.KEY=V1,V2",
                        help="values to sweep (a cartesian product over all --grid); '\\,' is a literal comma")
    parser.add_argument("-d", "--outdir", required=True, metavar="OUTDIR", help="where the variant files go")
    parser.add_argument("--render", action="store_true", help="fold args into command in every variant")
    add_location_options(parser)
    add_verify_option(parser)
    parser.set_defaults(run=run)


def load_transforms(path: str) -> Any:
    """The transforms file as data, read the way taskpatch reads configs (so
    with positions: its errors are checked here, at their line and column)."""
    from ..locate import to_data
    from ..sweep import transform_choices

    index = build_index(read_text(path), path, template=False)
    if len(index.roots) > 1:
        second = index.roots[1]
        raise ValueTypeError("a transforms file holds one YAML document", file=path,
                             line=None if second is None else second.line + 1,
                             column=None if second is None else second.column + 1)
    where: dict[int, Node] = {}
    transforms = to_data(index.roots[0] if index.roots else None, where, aliases={})
    transform_choices(transforms, path, where)
    return transforms


def run(options: argparse.Namespace) -> int:
    import json

    from ..sweep import variants  # here: every other command starts faster

    transforms = load_transforms(options.transforms) if options.transforms else None
    text = read_text(options.file)
    stem = os.path.splitext(os.path.basename(options.file if options.file != "-" else "stdin"))[0]
    results = list(variants(text, transforms, options.grid, options.render, task=options.task,
                            resources=options.resources, path=options.file, template=template_mode(options),
                            verify=options.verify))
    try:
        os.makedirs(options.outdir, exist_ok=True)
    except OSError as exc:
        raise InputOutputError(f"cannot create the folder: {exc.strerror}", file=options.outdir) from None
    width = max(3, len(str(len(results))))
    progress = sys.stderr.isatty()
    index = []
    for number, (params, variant) in enumerate(results, 1):
        name = f"{stem}-{number:0{width}d}.yaml"
        write_atomic(os.path.join(options.outdir, name), variant)
        index.append({"file": name, "params": params})
        if progress and (number == len(results) or number % max(1, len(results) // 100) == 0):
            print(f"\rtaskpatch: variants {number}/{len(results)}", end="", file=sys.stderr, flush=True)
    if progress:
        print(file=sys.stderr)
    write_atomic(os.path.join(options.outdir, "variants.json"), json.dumps(json_value(index), indent=2) + "\n")
    print(f"taskpatch: {len(results)} variants written to {options.outdir}", file=sys.stderr)
    return EXIT_OK

"""``taskpatch variants``: one config per point of a sweep, and an index."""

from __future__ import annotations

import argparse
import os
import re
import sys
from typing import TYPE_CHECKING, Any

from ..errors import InputOutputError, ValueTypeError
from ..files import read_text, write_atomic, write_many
from .common import EXIT_OK, add_location_options, add_verify_option, template_mode, warn

if TYPE_CHECKING:
    from ..yaml_index import Node


INDEX_NAME = "variants.json"
# What a variant file's name looks like: `<stem>-NNN.yaml`, three digits or more.
VARIANT_NAME = re.compile(r"[^/\\\x00]+-[0-9]{3,}\.yaml")


def add_parser(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser("variants", help="write one config per sweep variant, plus variants.json")
    parser.add_argument("file", metavar="CONFIG", help="the task config or MLApp")
    parser.add_argument("--transforms", metavar="FILE",
                        help="YAML list as parallel_run takes it: [{worker: {batch_size: 10}}, ...]")
    parser.add_argument("--grid", action="append", default=[], metavar="[set|env|args] SPEC=V1,V2",
                        help="values to sweep (a cartesian product over all --grid): args 'SEL.KEY=V1,V2' (bare), "
                        "'set SEL.PATH=V1,V2', 'env [SEL:]NAME=V1,V2'; '\\,' is a literal comma")
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
    from ..yaml_index import build_index

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

    from ..scalars import json_value
    from ..sweep import variants  # here: every other command starts faster

    transforms = load_transforms(options.transforms) if options.transforms else None
    text = read_text(options.file)
    stem = os.path.splitext(os.path.basename(options.file if options.file != "-" else "stdin"))[0]
    sweep = variants(text, transforms, options.grid, options.render, task=options.task, resources=options.resources,
                     path=options.file, template=template_mode(options), verify=options.verify)
    for warning in sweep.warnings:
        warn(warning)
    results = list(sweep)
    try:
        os.makedirs(options.outdir, exist_ok=True)
    except OSError as exc:
        raise InputOutputError(f"cannot create the folder: {exc.strerror}", file=options.outdir) from None
    width = max(3, len(str(len(results))))
    index = [{"file": f"{stem}-{number:0{width}d}.yaml", "params": params}
             for number, (params, _) in enumerate(results, 1)]
    earlier = _earlier_run(options.outdir)
    index_path = os.path.join(options.outdir, INDEX_NAME)

    written: list[list[dict[str, Any]]] = []

    def write_index(entries: list[dict[str, Any]]) -> None:
        if written != [entries]:  # a new folder's first index is already the last one
            write_atomic(index_path, json.dumps(json_value(entries), indent=2) + "\n")
            written[:] = [entries]

    new_names = {str(entry["file"]) for entry in index}
    if set(earlier) != new_names:
        # First an index of every variant file the folder may hold while this
        # run writes: an interrupted run leaves nothing the next one refuses.
        write_index([entry for name, entry in earlier.items() if name not in new_names] + index)

    def show(number: int) -> None:
        if number == len(results) or number % max(1, len(results) // 100) == 0:
            print(f"\rtaskpatch: variants {number}/{len(results)}", end="", file=sys.stderr, flush=True)

    progress = sys.stderr.isatty()
    write_many([(os.path.join(options.outdir, str(entry["file"])), variant)
                for entry, (_, variant) in zip(index, results)], show if progress else None)
    if progress:
        print(file=sys.stderr)
    for name in earlier:
        if name not in new_names:
            try:
                os.unlink(os.path.join(options.outdir, name))
            except FileNotFoundError:
                pass
            except OSError as exc:
                raise InputOutputError(f"cannot remove an earlier run's variant: {exc.strerror}",
                                       file=os.path.join(options.outdir, name)) from None
    write_index(index)
    print(f"taskpatch: {len(results)} variant{'s' * (len(results) != 1)} written to {options.outdir}", file=sys.stderr)
    return EXIT_OK


def _earlier_run(outdir: str) -> dict[str, Any]:
    """The variant files an earlier run left in ``outdir``, by name, with
    their index entries: those its ``variants.json`` lists.

    The folder must end with exactly this run's files, so the earlier ones
    this run does not rewrite are removed. Only names the earlier index
    lists that look like variants (``NAME-NNN.yaml``, no folder part) can be
    removed: an index edited by hand cannot make taskpatch delete anything
    else. A file that looks like a variant but is in no index (a copy made
    by hand, an index deleted) is refused: nothing says it is taskpatch's.
    """
    import json

    index_path = os.path.join(outdir, INDEX_NAME)
    earlier: dict[str, Any] = {}
    if os.path.lexists(index_path):
        text = read_text(index_path)
        try:
            entries = json.loads(text)
        except json.JSONDecodeError as exc:
            raise InputOutputError(f"not JSON ({exc.msg}), so the files an earlier run wrote are unknown; "
                                   "nothing was written", file=index_path, line=exc.lineno, column=exc.colno) from None
        if not isinstance(entries, list) or not all(isinstance(e, dict) and isinstance(e.get("file"), str)
                                                    for e in entries):
            raise ValueTypeError("not a variants index (a list of {file, params}), so the files an earlier run "
                                 "wrote are unknown; nothing was written", file=index_path, line=1, column=1)
        earlier = {e["file"]: e for e in entries if VARIANT_NAME.fullmatch(e["file"])}
    strays = sorted(name for name in os.listdir(outdir) if VARIANT_NAME.fullmatch(name) and name not in earlier)
    if strays:
        shown = ", ".join(strays[:3]) + (f" and {len(strays) - 3} more" if len(strays) > 3 else "")
        raise InputOutputError(f"holds files that look like variants but that no {INDEX_NAME} lists ({shown}); "
                               "nothing was written (remove them, or use another folder)", file=outdir)
    return earlier

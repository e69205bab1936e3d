"""``taskpatch corpus DIR``: standard specs over every file, as a table."""

from __future__ import annotations

import argparse
import os

from ..errors import InputOutputError
from .common import EXIT_OK, add_format_option, write_stdout


def add_parser(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser("corpus", help="run standard specs over every YAML file of a folder; print a report")
    parser.add_argument("folder", metavar="DIR", help="the folder; every .yaml and .yml file in it and below")
    add_format_option(parser, "the report")
    parser.set_defaults(run=run)


def run(options: argparse.Namespace) -> int:
    import json

    from ..corpus import SPECS, coverage, run_corpus, summary  # here: every other command starts faster

    if not os.path.isdir(options.folder):  # os.walk would report an empty folder
        reason = "not a folder" if os.path.exists(options.folder) else "no such folder"
        raise InputOutputError(f"cannot read: {reason}", file=options.folder)
    results = run_corpus(options.folder)
    kinds = coverage(results)
    if options.format == "json":
        rows = [{"file": os.path.relpath(r.file, options.folder), "kind": r.kind, "entry": r.entry,
                 "patched": r.patched, "reason": r.reason, "ms": round(r.seconds * 1000, 2),
                 "lines_changed": r.lines_changed}
                for r in results]
        per_kind = {entry: {"patched": patched, "files": files} for entry, (patched, files) in kinds.items()}
        write_stdout(json.dumps({"specs": list(SPECS), "files": rows, "kinds": per_kind, "summary": summary(results)},
                                indent=2) + "\n")
        return EXIT_OK
    names = [os.path.relpath(r.file, options.folder) for r in results]
    shown = [r.entry or r.kind for r in results]  # a manifest: the kinds table's entry
    width = max((len(n) for n in names), default=4)
    kind_width = max((len(k) for k in shown), default=4)
    lines = [f"{'file':<{width}}  {'kind':<{kind_width}}  {'result':<8}  {'lines':>5}  {'ms':>7}  reason"]
    for name, kind, r in zip(names, shown, results):
        lines.append(f"{name:<{width}}  {kind:<{kind_width}}  {'patched' if r.patched else 'refused':<8}  "
                     f"{r.lines_changed:>5}  {r.seconds * 1000:>7.1f}  {r.reason}")
    lines.append(f"specs: {'; '.join(SPECS)}")
    if kinds:
        lines.append("Kubernetes manifests by kind: "
                     + ", ".join(f"{entry} {patched}/{files}" for entry, (patched, files) in kinds.items()))
    lines.append(summary(results))
    write_stdout("\n".join(lines) + "\n")
    return EXIT_OK

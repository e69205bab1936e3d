"""``taskpatch corpus DIR``: a standard set of specs over every file of a
folder, to see how taskpatch does on real configs.

Each file gets an env spec, an override and an args spec, all with ``*``.
MLApps get every task (``--task '*'``); a Kubernetes manifest gets the
containers the kinds table finds (no ``--resources``), and the report names
the table's entry. The report says, per file, what it is, whether it was
patched or refused and why, how long it took and how many lines changed;
the pass rate counts the files that hold task resources (MLApps with tasks
and task templates), and ``coverage`` counts the manifests per kind.
"""

from __future__ import annotations

import difflib
import os
import re
import time
from dataclasses import dataclass

from .document import Document
from .errors import TaskpatchError
from .files import read_text
from .locate import detect
from .spec_parser import parse_args, parse_env, parse_override
from .yaml_index import Mapping, Scalar, Sequence

SPECS = ("env TP_CORPUS=1", "set *.resources.requests.cpu=1000m", "args *.tp_arg=5")
TASK_KINDS = ("MLApp", "task template")


@dataclass(frozen=True)
class Result:
    file: str
    kind: str  # "MLApp", "task template", "Kubernetes", "MLApp without tasks", "task form", "legacy (2017)"...
    patched: bool
    reason: str  # the error's message when refused
    seconds: float
    lines_changed: int
    entry: str = ""  # a manifest's kinds table entry ("Deployment", "Argo Workflow"), or its kind if unknown


def _specs() -> list:
    return [parse_env("TP_CORPUS=1", "corpus"), parse_override("*.resources.requests.cpu=1000m", "corpus"),
            parse_args("*.tp_arg=5", "corpus")]


def _kind(document: Document) -> str:
    root = next((r for r in document.index().roots if r is not None), None)
    if isinstance(root, Sequence):
        return "task form"  # the UI form schema next to a task template: a list of fields
    if not isinstance(root, Mapping):
        return "other"
    keys = {k.value for k in root.keys if isinstance(k, Scalar)}
    if keys & {"Cmd", "Resources", "Tasks"}:
        return "legacy (2017)"
    if root.scalar_value("kind") == "MLApp":
        spec = root.get("spec")
        tasks = spec.get("tasks") if isinstance(spec, Mapping) else None
        return "MLApp" if isinstance(tasks, Sequence) and tasks.items else "MLApp without tasks"
    if isinstance(root.get("resources"), Sequence):
        return "task template"
    if root.get("apiVersion") is not None and root.get("kind") is not None:
        return "Kubernetes"
    return "other"


def _guess_kind(text: str) -> str:
    """For a file that does not parse: what it looks like it means to be."""
    if re.search(r"^kind:\s*MLApp", text, re.M):
        return "MLApp"
    if re.search(r"^resources:", text, re.M):
        return "task template"
    return "broken"


def _entry(document: Document) -> str:
    """The kinds table's entries for a manifest's documents, or the first kind if it knows none."""
    names = [d.entry.name for d in detect(document.index())]
    if names:
        return ", ".join(dict.fromkeys(names))
    root = next((r for r in document.index().roots if isinstance(r, Mapping)), None)
    return f"{root.scalar_value('kind')} (unknown)" if root is not None else ""


def patch_file(path: str) -> Result:
    started = time.perf_counter()
    text = ""
    kind = "broken"
    entry = ""
    try:
        text = read_text(path)
        document = Document(text, path=path, task="*")
        try:
            kind = _kind(document)
        except TaskpatchError:
            kind = _guess_kind(text)
            raise
        if kind == "Kubernetes":
            entry = _entry(document)
        document.apply(_specs())
    except TaskpatchError as exc:
        return Result(path, kind, False, exc.message, time.perf_counter() - started, 0, entry)
    changed = sum(1 for line in difflib.unified_diff(text.splitlines(), document.text.splitlines(), lineterm="", n=0)
                  if line[:1] in "+-" and not line.startswith(("+++", "---")))
    return Result(path, kind, True, "", time.perf_counter() - started, changed, entry)


def run_corpus(folder: str) -> list[Result]:
    files = sorted(os.path.join(root, name) for root, _, names in os.walk(folder) for name in names
                   if name.endswith((".yaml", ".yml")))
    return [patch_file(path) for path in files]


def summary(results: list[Result]) -> str:
    tasks = [r for r in results if r.kind in TASK_KINDS]
    patched = sum(r.patched for r in tasks)
    rate = 100.0 * patched / len(tasks) if tasks else 0.0
    return (f"{sum(r.patched for r in results)} of {len(results)} files patched; "
            f"MLApps and task templates: {patched} of {len(tasks)} patched ({rate:.1f}%)")


def coverage(results: list[Result]) -> dict[str, tuple[int, int]]:
    """Per kinds table entry (or unknown kind): (manifests patched, manifests)."""
    counts: dict[str, tuple[int, int]] = {}
    for r in results:
        if r.kind == "Kubernetes":
            patched, total = counts.get(r.entry, (0, 0))
            counts[r.entry] = (patched + r.patched, total + 1)
    return dict(sorted(counts.items()))

"""Find the resource lists in a document: task config, MLApp, or JSONPath."""

from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass
from typing import Any

from .errors import NotATaskConfigError, SelectorError, SpecRef
from .scalars import scalar_value
from .yaml_index import Alias, Mapping, Node, Scalar, Sequence, YamlIndex


@dataclass(frozen=True)
class Resource:
    name: str
    node: Mapping
    group: str  # "task model", "document 2", a JSONPath match...
    container: bool = False  # found by --resources: a Kubernetes-style container (args is a list)


@dataclass(frozen=True)
class ResourceGroup:
    """One list of resources in which names must be unique (one task)."""

    label: str
    line: int
    column: int
    resources: tuple[Resource, ...]


def _resources_of(seq: Node | None, label: str, container: bool = False) -> ResourceGroup | None:
    if not isinstance(seq, Sequence):
        return None
    found = []
    for item in seq.items:
        if isinstance(item, Mapping):
            name = item.scalar_value("name")
            found.append(Resource("" if name is None else name, item, label, container))
    return ResourceGroup(label, seq.line + 1, seq.column + 1, tuple(found))


def _copies(mapping: Node | None, key: str) -> list[Node]:
    """The values of ``key``: one, or one per template branch that writes it."""
    if not isinstance(mapping, Mapping):
        return []
    return [mapping.values[i] for i in mapping.positions(key)]


def _mlapp_groups(root: Mapping, task: str | None, file: str | None, doc_label: str) -> list[ResourceGroup]:
    lists = [tasks for spec in _copies(root, "spec") for tasks in _copies(spec, "tasks")
             if isinstance(tasks, Sequence) and tasks.items]
    if not lists:
        raise NotATaskConfigError(
            "this MLApp has no spec.tasks to patch", file=file, line=root.line + 1, column=root.column + 1
        )
    tasks = lists[0]
    named = [(t.scalar_value("name") or "", t) for ts in lists for t in ts.items if isinstance(t, Mapping)]  # type: ignore[attr-defined]
    names = [n for n, _ in named]
    if task is None:
        if len(set(names)) != 1:  # (one task written once per template branch is one task)
            raise SelectorError(
                f"this MLApp has {len(named)} tasks ({', '.join(names)}); choose one with --task",
                file=file,
                line=tasks.line + 1,
                column=tasks.column + 1,
            )
        chosen = named
    else:
        chosen = [(n, t) for n, t in named if fnmatch.fnmatchcase(n, task)]
        if not chosen:
            raise SelectorError(
                f"--task {task!r} matches no task; tasks here: {', '.join(names)}",
                file=file,
                line=tasks.line + 1,
                column=tasks.column + 1,
            )
    groups = []
    for name, node in chosen:
        for listed in _copies(node, "resources"):
            group = _resources_of(listed, f"{doc_label}task {name}")
            if group is not None:
                groups.append(group)
    return groups


def to_data(node: Node | None, containers: dict[int, Node] | None = None,
            aliases: dict[int, Any] | None = None, first: bool = False) -> Any:
    """Plain data for a node; ``containers`` maps id(list/dict) → node.
    An alias is None (a reference: expanding invites bombs), unless
    ``aliases`` is given: then it is its anchor's data, made once and shared
    (kept there by id(anchor)), so a bomb costs no more than its nodes.
    A key written once per template branch gives its last copy, as YAML
    readers do, or its first with ``first``.
    Recursive: the index bounds the depth (``MAX_DEPTH``)."""
    if node is None:
        return None
    if isinstance(node, Scalar):
        return scalar_value(node.value, node.style, node.tag)
    if isinstance(node, Alias):
        if aliases is None or node.target is None:
            return None
        if id(node.target) not in aliases:
            aliases[id(node.target)] = None  # an alias inside its own anchor is None, not a loop
            aliases[id(node.target)] = to_data(node.target, containers, aliases)
        return aliases[id(node.target)]
    if isinstance(node, Mapping):
        out: Any = {}
        for key, value in zip(node.keys, node.values):
            if isinstance(key, Scalar) and not (first and key.value in out):
                out[key.value] = to_data(value, containers, aliases, first)
    else:
        out = [to_data(item, containers, aliases, first) for item in node.items]  # type: ignore[attr-defined]
    if containers is not None:
        containers[id(out)] = node
    return out


def _jsonpath_groups(root: Node, expression: str, file: str | None, doc_label: str) -> list[ResourceGroup]:
    from jsonpath_ng.exceptions import JsonPathLexerError, JsonPathParserError
    from jsonpath_ng.ext import parse as jsonpath_parse  # imported lazily: slow to import

    try:
        compiled = jsonpath_parse(expression)
    except (JsonPathLexerError, JsonPathParserError, Exception) as exc:
        raise SelectorError(f"bad --resources JSONPath: {str(exc).strip()}", file=file,
                            spec=SpecRef(expression, "--resources"),
                            spec_column=_jsonpath_column(str(exc), expression)) from None
    containers: dict[int, Node] = {}
    matches = compiled.find(to_data(root, containers))
    if _branched(root):  # containers written once per template branch: the first branches' too
        matches += compiled.find(to_data(root, containers, first=True))
    groups, seen = [], set()
    for match in matches:
        node = containers.get(id(match.value))
        if id(node) in seen:
            continue
        seen.add(id(node))
        label = f"{doc_label}{match.full_path}"
        if isinstance(node, Sequence):
            group = _resources_of(node, label, container=True)
        elif isinstance(node, Mapping):
            name = node.scalar_value("name")
            group = ResourceGroup(label, node.line + 1, node.column + 1, (Resource(name or "", node, label, True),))
        else:
            group = None
        if group is not None:
            groups.append(group)
    return groups


def _branched(root: Node) -> bool:
    """Does any mapping under ``root`` write a key more than once (once per
    template branch: the index allows no other repeats)?"""
    stack = [root]
    while stack:
        node = stack.pop()
        if isinstance(node, Mapping):
            names = [k.value for k in node.keys if isinstance(k, Scalar)]
            if len(set(names)) != len(names):
                return True
            stack += node.values
        elif isinstance(node, Sequence):
            stack += node.items
    return False


def _jsonpath_column(message: str, expression: str) -> int | None:
    """The 1-based column a jsonpath-ng error names ("at 1:4", "col 4", both
    0-based, or "near the end of string"), if it names one."""
    if "end of string" in message:
        return len(expression) + 1
    found = re.search(r"(?:at \d+:|col )(\d+)", message)
    return int(found.group(1)) + 1 if found else None


def find_groups(
    index: YamlIndex, *, task: str | None = None, resources: str | None = None, file: str | None = None
) -> list[ResourceGroup]:
    """Every resource group the options pick, across all documents."""
    groups: list[ResourceGroup] = []
    many = len(index.roots) > 1
    for number, root in enumerate(index.roots, 1):
        doc_label = f"document {number}, " if many else ""
        if resources is not None:
            if root is not None:
                groups.extend(_jsonpath_groups(root, resources, file, doc_label))
            continue
        if not isinstance(root, Mapping):
            continue
        if root.scalar_value("kind") == "MLApp":
            groups.extend(_mlapp_groups(root, task, file, doc_label))
            continue
        for listed in _copies(root, "resources"):  # one list, or one per template branch
            group = _resources_of(listed, f"{doc_label}resources".rstrip(", "))
            if group is not None:
                groups.append(group)
    if not groups:
        raise NotATaskConfigError(_describe(index, resources), file=file, line=1, column=1)
    return groups


def _describe(index: YamlIndex, resources: str | None) -> str:
    if resources is not None:
        return f"--resources {resources!r} matches no list or mapping of resources"
    root = next((r for r in index.roots if r is not None), None)
    if isinstance(root, Sequence) and root.items and all(
            isinstance(i, Mapping) and i.get("type") is not None for i in root.items):
        return "this is a task form (a list of UI fields with name/type/value), not a task config"
    if not isinstance(root, Mapping):
        return "no resources: the document is not a mapping with a `resources:` list"
    keys = [k.value for k in root.keys if isinstance(k, Scalar)]
    if any(k[:1].isupper() for k in keys) and ("Cmd" in keys or "Resources" in keys or "Tasks" in keys):
        return "this is a legacy (2017) Kuberlab chart config with CamelCase keys; it has no `resources:` list"
    if "kind" in keys and root.scalar_value("kind") != "MLApp":
        return (
            f"this is a {root.scalar_value('kind')} manifest, not a task config; "
            "point --resources at its containers, e.g. '$.spec.template.spec.containers'"
        )
    shown = ", ".join(keys[:8]) + (", ..." if len(keys) > 8 else "")
    return f"no `resources:` list and no `kind: MLApp` (top-level keys: {shown})"

"""Find the resource lists in a document: task config, MLApp, JSONPath, or
the containers of a well-known kind (the table in ``kinds_table``)."""

from __future__ import annotations

import fnmatch
import functools
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Iterator

from .errors import NotATaskConfigError, SelectorError, SpecRef
from .scalars import scalar_value
from .yaml_index import Alias, Mapping, Node, Scalar, Sequence, YamlIndex

if TYPE_CHECKING:
    from .kinds_table import KindEntry


@dataclass(frozen=True)
class Resource:
    name: str
    node: Mapping
    group: str  # "task model", "document 2", a JSONPath match...
    container: bool = False  # found by --resources or the kinds table: a Kubernetes container (args is a list)


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


@dataclass(frozen=True)
class Detection:
    """A document whose containers the kinds table finds."""

    document: int  # 1-based
    line: int
    api_version: str
    entry: KindEntry
    # Katib's trial template: the embedded manifest's apiVersion, kind and
    # entry (None when the table does not know it)
    embedded: tuple[str, str, KindEntry | None] | None
    containers: tuple[str, ...]  # the JSONPaths run, from the document's root
    init_containers: tuple[str, ...]  # left alone; --resources with one of these patches them

    def describe(self) -> str:
        """``Deployment (apps/v1)``; ``Katib Experiment (kubeflow.org/v1beta1), trial template Job (batch/v1)``."""
        shown = f"{self.entry.name} ({self.api_version})"
        if self.embedded is not None:
            api_version, kind, entry = self.embedded
            shown += f", trial template {entry.name if entry else kind} ({api_version})"
        return shown

    def to_json(self) -> dict[str, Any]:
        found: dict[str, Any] = {"document": self.document, "line": self.line, "apiVersion": self.api_version,
                                 "entry": self.entry.name}
        if self.embedded is not None:
            api_version, kind, entry = self.embedded
            found["embedded"] = {"apiVersion": api_version, "kind": kind, "entry": entry.name if entry else None}
        return {**found, "containers": list(self.containers), "initContainers": list(self.init_containers)}


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


@functools.lru_cache(maxsize=64)
def _parsed(expression: str) -> Any:
    from jsonpath_ng.ext import parse as jsonpath_parse  # imported lazily: slow to import

    return jsonpath_parse(expression)


def _compile(expression: str, file: str | None) -> Any:
    from jsonpath_ng.exceptions import JsonPathLexerError, JsonPathParserError

    try:
        return _parsed(expression)
    except (JsonPathLexerError, JsonPathParserError, Exception) as exc:
        raise SelectorError(f"bad --resources JSONPath: {str(exc).strip()}", file=file,
                            spec=SpecRef(expression, "--resources"),
                            spec_column=_jsonpath_column(str(exc), expression)) from None


def _jsonpath_groups(root: Node, expressions: tuple[str, ...], file: str | None,
                     doc_label: str) -> list[ResourceGroup]:
    compiled = [_compile(expression, file) for expression in expressions]
    containers: dict[int, Node] = {}
    data = to_data(root, containers)
    matches = [match for path in compiled for match in path.find(data)]
    if _branched(root):  # containers written once per template branch: the first branches' too
        first = to_data(root, containers, first=True)
        matches += [match for path in compiled for match in path.find(first)]
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


def _detect(root: Mapping, number: int) -> Detection | None:
    """What the kinds table says of this document, if it knows its kind."""
    from . import kinds_table  # here: task configs and MLApps never need it

    api_version, kind = root.scalar_value("apiVersion"), root.scalar_value("kind")
    entry = kinds_table.lookup(api_version, kind)
    if entry is None or api_version is None:
        return None
    if not entry.embedded:
        return Detection(number, root.line + 1, api_version, entry, None, entry.containers, entry.init_containers)
    # Its containers are where the embedded manifest's own entry says, below it.
    found = [m.value for m in _parsed(entry.embedded).find(to_data(root))]
    inner = found[0] if found and isinstance(found[0], dict) else {}
    inner_version, inner_kind = inner.get("apiVersion"), inner.get("kind")
    embedded = None
    if isinstance(inner_version, str) and isinstance(inner_kind, str):
        embedded = (inner_version, inner_kind, kinds_table.lookup(inner_version, inner_kind))
    inner_entry = embedded[2] if embedded else None
    # "$.spec.trialTemplate.trialSpec" + "$.spec.template.spec.containers"[1:]
    containers = tuple(entry.embedded + path[1:] for path in inner_entry.containers) if inner_entry else ()
    init = tuple(entry.embedded + path[1:] for path in inner_entry.init_containers) if inner_entry else ()
    return Detection(number, root.line + 1, api_version, entry, embedded, containers, init)


def _task_lists(root: Mapping) -> list[Sequence]:
    """A task config's `resources:` list: one, or one per template branch."""
    return [listed for listed in _copies(root, "resources") if isinstance(listed, Sequence)]


def _detections(index: YamlIndex) -> Iterator[tuple[Mapping, Detection]]:
    for number, root in enumerate(index.roots, 1):
        if isinstance(root, Mapping) and root.scalar_value("kind") != "MLApp" and not _task_lists(root):
            detection = _detect(root, number)
            if detection is not None:
                yield root, detection


def detect(index: YamlIndex) -> list[Detection]:
    """The documents whose containers ``find_groups`` takes from the kinds
    table (when no ``--resources`` is given)."""
    return [detection for _, detection in _detections(index)]


def detected_containers(index: YamlIndex, file: str | None = None) -> list[Resource]:
    """The containers ``find_groups`` takes from the kinds table."""
    return [resource for root, d in _detections(index)
            for group in _jsonpath_groups(root, d.containers, file, "") for resource in group.resources]


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
    """Every resource group the options pick, across all documents.
    ``--resources`` wins; otherwise each document is an MLApp, a task config,
    a kind the table knows, or left alone (a Service, a ConfigMap...)."""
    groups: list[ResourceGroup] = []
    detections: list[Detection] = []
    many = len(index.roots) > 1
    for number, root in enumerate(index.roots, 1):
        doc_label = f"document {number}, " if many else ""
        if resources is not None:
            if root is not None:
                groups.extend(_jsonpath_groups(root, (resources,), file, doc_label))
            continue
        if not isinstance(root, Mapping):
            continue
        if root.scalar_value("kind") == "MLApp":
            groups.extend(_mlapp_groups(root, task, file, doc_label))
            continue
        lists = _task_lists(root)
        for listed in lists:  # one list, or one per template branch
            group = _resources_of(listed, f"{doc_label}resources".rstrip(", "))
            if group is not None:
                groups.append(group)
        detection = None if lists else _detect(root, number)
        if detection is not None:
            detections.append(detection)
            groups.extend(_jsonpath_groups(root, detection.containers, file, doc_label))
    if not groups:
        line = detections[0].line if detections else 1
        raise NotATaskConfigError(_describe(index, resources, detections), file=file, line=line, column=1)
    return groups


def _describe(index: YamlIndex, resources: str | None, detections: list[Detection]) -> str:
    from . import kinds_table

    if resources is not None:
        return f"--resources {resources!r} matches no list or mapping of resources"
    if detections:  # known kinds, but nothing where the table looks
        d = detections[0]
        if not d.containers:
            return (f"this {d.describe()} has no containers taskpatch knows where to find; "
                    f"known kinds: {kinds_table.known_names()}")
        return f"this {d.describe()} has no containers at {', '.join(d.containers)}"
    root = next((r for r in index.roots if r is not None), None)
    if isinstance(root, Sequence) and root.items and all(
            isinstance(i, Mapping) and i.get("type") is not None for i in root.items):
        return "this is a task form (a list of UI fields with name/type/value), not a task config"
    if not isinstance(root, Mapping):
        return "no resources: the document is not a mapping with a `resources:` list"
    keys = [k.value for k in root.keys if isinstance(k, Scalar)]
    if any(k[:1].isupper() for k in keys) and ("Cmd" in keys or "Resources" in keys or "Tasks" in keys):
        return "this is a legacy (2017) Kuberlab chart config with CamelCase keys; it has no `resources:` list"
    manifests = [_manifest(r) for r in index.roots if isinstance(r, Mapping) and r.scalar_value("kind") not in
                 (None, "MLApp")]
    if manifests:
        return (f"no task config, MLApp or known kind here (found {', '.join(manifests)}); known kinds: "
                f"{kinds_table.known_names()}; or point --resources at the containers")
    shown = ", ".join(keys[:8]) + (", ..." if len(keys) > 8 else "")
    return f"no `resources:` list and no `kind: MLApp` (top-level keys: {shown})"


def _manifest(root: Mapping) -> str:
    """``Service (v1)``; ``Job (example.com/v1; known in API groups batch, batch.volcano.sh)``."""
    from . import kinds_table

    kind = root.scalar_value("kind") or ""
    known = kinds_table.groups_of(kind)
    also = f"; known in API groups {', '.join(known)}" if known else ""
    return f"{kind} ({root.scalar_value('apiVersion') or 'no apiVersion'}{also})"

"""``taskpatch validate``: task configs, MLApps and containers against the
JSON Schemas shipped in ``taskpatch/schemas``.

The schemas are plain JSON Schema (2020-12), checked by the ``jsonschema``
library, so editors and other tools can use them too. What taskpatch adds
is the position: the data is made from the positional index, and every
error is walked back to the node it is about, so each finding is one line
at that node's own line and column. Go templates are validated in their
masked form; a value (or key) with template markup in it is not judged,
since what it renders to is unknown.

This module imports ``jsonschema``; nothing else does, so only runs that
validate pay for it.
"""

from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass
from importlib import resources as package_files
from typing import Any, Callable, Iterator

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError as SchemaError
from referencing import Registry, Resource as SchemaResource

from .errors import ValidationError, did_you_mean
from .locate import detected_containers, find_groups, to_data
from .scalars import BigInt
from .yaml_index import Alias, Mapping, Node, Scalar, Sequence, YamlIndex, build_index, split_bom

SCHEMA_FILES = ("common.json", "kuberlab.json", "kubernetes.json")
_BASE = "https://taskpatch.invalid/schemas/"
_YAML_TYPES = {"object": "a mapping", "array": "a list", "string": "a string", "integer": "an integer",
               "number": "a number", "boolean": "a boolean", "null": "null"}


@dataclass(frozen=True)
class Finding:
    """One problem, at the offending node's own position (1-based)."""

    file: str
    line: int
    column: int
    path: str  # JSON path of the node, e.g. $.spec.tasks[0].resources[1].replicas
    message: str
    strict: bool = False  # an unknown key that is no near miss of a known one: reported only with strict

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}: validation error: {self.path}: {self.message}"

    def as_json(self) -> dict[str, Any]:
        return {"file": self.file, "line": self.line, "column": self.column, "path": self.path,
                "message": self.message, "strict": self.strict}


def validate(text: str, *, file: str | None = None, task: str | None = None, resources: str | None = None,
             strict: bool = False, template: bool | None = None) -> list[Finding]:
    """Every finding in ``text``, in file order. Without ``task`` or
    ``resources``, each document that is an MLApp or a task config is checked
    whole; ``task`` checks the resources of the MLApp tasks it picks (a glob),
    ``resources`` the Kubernetes containers its JSONPath finds. Raises
    ``TaskpatchError`` for YAML that does not parse or a file with nothing to
    check, as ``apply`` does."""
    index = build_index(split_bom(text)[1], file, template)
    checker = _Checker(index, file or "<input>")
    for definition, node in _targets(index, task, resources, file):
        checker.check(definition, node)
    # One finding per node and message: an anchored value is checked once per
    # alias that uses it (and a template's twice), and reported where it is written.
    unique = {(f.line, f.column, f.message): f for f in reversed(checker.findings)}
    found = sorted(unique.values(), key=lambda f: (f.line, f.column, f.path, f.message))
    return [f for f in found if strict or not f.strict]


def require_valid(text: str, **options: Any) -> None:
    """``validate``, raising ``ValidationError`` with every finding if there
    are any: ``apply --validate`` and ``validate: true`` targets."""
    findings = validate(text, **options)
    if findings:
        raise ValidationError(findings)


def _targets(index: YamlIndex, task: str | None, resources: str | None,
             file: str | None) -> list[tuple[str, Node]]:
    """(schema definition, node) pairs to check."""
    if resources is not None or task is not None:
        definition = "kubernetes.json#/$defs/container" if resources is not None else "kuberlab.json#/$defs/resource"
        return [(definition, r.node) for group in find_groups(index, task=task, resources=resources, file=file)
                for r in group.resources]
    targets: list[tuple[str, Node]] = []
    for root in index.roots:
        if not isinstance(root, Mapping):
            continue
        if root.scalar_value("kind") == "MLApp":
            targets.append(("kuberlab.json#/$defs/mlapp", root))
        elif any(isinstance(root.values[i], Sequence) for i in root.positions("resources")):
            targets.append(("kuberlab.json#/$defs/taskConfig", root))
    targets += [("kubernetes.json#/$defs/container", r.node) for r in detected_containers(index, file)]
    if not targets:
        find_groups(index, file=file)  # raises the usual "not a task config" error, saying what the file is
    return targets


@functools.cache
def _registry() -> Registry:
    folder = package_files.files(__package__) / "schemas"
    contents = [json.loads((folder / name).read_text(encoding="utf-8")) for name in SCHEMA_FILES]
    return Registry().with_resources((c["$id"], SchemaResource.from_contents(c)) for c in contents)


@functools.cache
def _validator(definition: str) -> Draft202012Validator:
    return Draft202012Validator({"$ref": _BASE + definition}, registry=_registry())


class _Checker:
    """Validates nodes and turns schema errors into positioned findings."""

    def __init__(self, index: YamlIndex, file: str) -> None:
        self.index, self.file = index, file
        self.findings: list[Finding] = []

    def check(self, definition: str, node: Node) -> None:
        prefix = self.path_of(node)
        # A key written once per template branch: to_data keeps the last
        # copy, so the first copies are checked in a second pass.
        for first in (False, True) if self.index.template is not None else (False,):
            data = _comparable(to_data(node, aliases={}, first=first))
            for error in _validator(definition).iter_errors(data):
                self.report(error, node, prefix, first)

    def report(self, error: SchemaError, root: Node, prefix: list[Any], first: bool) -> None:
        path = list(error.absolute_path)
        node = _node_at(root, path, first)
        if error.validator == "additionalProperties" and isinstance(node, Mapping):
            for key in _unknown_keys(error.instance, error.schema):
                key_node = node.keys[_copy(node, key, first)]
                if not self.templated(key_node):
                    self.unknown_key(key, key_node, prefix + path, error.schema)
            return
        if self.templated(node):
            return  # what markup renders to is unknown: never flagged
        self.add(node, prefix + path, _message(error, _show(node, error.instance, self.index.text)))

    def unknown_key(self, key: str, node: Node, path: list[Any], schema: dict[str, Any]) -> None:
        hint = did_you_mean(key, schema.get("properties", {}))
        where = f" in {schema['description']}" if "description" in schema else ""
        self.add(node, path + [key], f"unknown key {key!r}{where}{hint}", strict=not hint)

    def add(self, node: Node, path: list[Any], message: str, strict: bool = False) -> None:
        self.findings.append(Finding(self.file, node.line + 1, node.column + 1, json_path(path), message, strict))

    def templated(self, node: Node) -> bool:
        info = self.index.template
        return info is not None and info.touches_markup(node.start, node.end)

    def path_of(self, node: Node) -> list[Any]:
        """The keys and indexes from the document's root down to ``node``."""
        parents = self.index.parents()
        path: list[Any] = []
        while id(node) in parents:
            parent, key = parents[id(node)]
            if key is None:
                path.append(next(i for i, item in enumerate(parent.items) if item is node))  # type: ignore[attr-defined]
            else:
                path.append(key.value if isinstance(key, Scalar) else "?")  # "?": a complex key
            node = parent
        return path[::-1]


_HUGE = 2**63  # beyond every bound the schemas set (int32 counts, ports, int64 quantities)


def _comparable(data: Any) -> Any:
    """``data`` with each ``BigInt`` (an integer too long for ``int()``, kept
    as text) as an int of its sign past every bound, so that the schemas can
    compare it; messages quote the text as written."""
    if isinstance(data, dict):
        for key, value in data.items():
            data[key] = _comparable(value)
    elif isinstance(data, list):
        data[:] = [_comparable(item) for item in data]
    elif isinstance(data, BigInt):
        return -_HUGE if data.text.startswith("-") else _HUGE
    return data


def _copy(mapping: Mapping, key: str, first: bool) -> int:
    """Which copy of a key the data holds: the last (as YAML readers take
    it), or with ``first`` the first (one per template branch)."""
    positions = mapping.positions(key)
    return positions[0] if first else positions[-1]


def _node_at(node: Node, path: list[Any], first: bool) -> Node:
    """The node at a path of the data ``to_data`` made of ``node``; through
    an alias, the anchored node (where the offending value is written)."""
    for part in path:
        while isinstance(node, Alias) and node.target is not None:
            node = node.target
        if isinstance(node, Mapping):
            node = node.values[_copy(node, part, first)]
        elif isinstance(node, Sequence):
            node = node.items[part]
    while isinstance(node, Alias) and node.target is not None:
        node = node.target
    return node


def _unknown_keys(instance: dict[str, Any], schema: dict[str, Any]) -> Iterator[str]:
    known = schema.get("properties", {})
    patterns = list(schema.get("patternProperties", {}))
    for key in instance:
        if key not in known and not any(re.search(p, key) for p in patterns):
            yield key


_SIMPLE_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*\Z")


def json_path(parts: list[Any]) -> str:
    """``$.spec.tasks[0].name``; keys that are not plain words in brackets."""
    out = "$"
    for part in parts:
        if isinstance(part, int):
            out += f"[{part}]"
        elif _SIMPLE_KEY.match(part):
            out += f".{part}"
        else:
            out += "[" + json.dumps(part) + "]"
    return out


def _show(node: Node, value: Any, source: str) -> str:
    """The offending value as a message quotes it: a string quoted, any other
    scalar as written in ``source`` (an int too long for ``str()`` too), a
    collection by its kind; long ones cut short."""
    if isinstance(value, (dict, list)):
        return "a mapping" if isinstance(value, dict) else "a list"
    shown = repr(value) if isinstance(value, str) else source[node.start:node.end]
    return shown if len(shown) <= 60 else shown[:57] + "..."


def _message(error: SchemaError, shown: str) -> str:
    """The message for a schema error about a value ``shown`` so (``_show``)."""
    schema, value, keyword = error.schema, error.instance, error.validator
    described = schema.get("description") if isinstance(schema, dict) else None
    if keyword == "required":
        missing = [k for k in error.validator_value if k not in value]  # type: ignore[union-attr]
        return f"missing key {', '.join(map(repr, missing))}"
    if keyword == "oneOf" and all("required" in s for s in error.validator_value):  # type: ignore[union-attr]
        options = [s["required"][0] for s in error.validator_value]  # type: ignore[union-attr]
        present = [o for o in options if o in value]
        if present:
            return f"has both {' and '.join(map(repr, present))}; give one of them"
        return f"needs {' or '.join(map(repr, options))}"
    if keyword == "enum":
        return f"{shown} is not {described or 'one of ' + ', '.join(map(repr, error.validator_value))}" \
               f"{_enum_hint(value, error.validator_value)}"  # type: ignore[arg-type]
    if keyword == "const":
        return f"{shown} is not {error.validator_value!r}"
    if described:
        field = error.path[-1] if error.path else None
        return f"{shown} is not {described}{_hint(schema.get('x-taskpatch-hint'), value, field)}"
    if keyword == "type":
        expected = error.validator_value if isinstance(error.validator_value, list) else [error.validator_value]
        wanted = " or ".join(_YAML_TYPES[t] for t in expected if t != "null")
        return f"expected {wanted}, got {shown}"
    return error.message


def _enum_hint(value: Any, options: list[Any]) -> str:
    if not isinstance(value, str):
        return ""
    same_letters = [o for o in options if isinstance(o, str) and o.lower() == value.lower()]
    if same_letters:
        return f"; did you mean {same_letters[0]!r}?"
    return did_you_mean(value, [o for o in options if isinstance(o, str)])


def _hint(rule: str | None, value: Any, field: Any) -> str:
    """The did-you-mean a definition's ``x-taskpatch-hint`` names, if it
    finds one; ``field`` is the key the value is under (cpu, memory...)."""
    if rule is None or not isinstance(value, str):
        return ""
    suggestions = [s for s in _HINTS[rule](value, field) if s != value and _fits(rule, s)]
    suggestions = list(dict.fromkeys(suggestions))
    if not suggestions:
        return ""
    return f"; did you mean {' or '.join(map(repr, suggestions))}?"


def _fits(rule: str, text: str) -> bool:
    definition = {"quantity": "quantity", "env name": "envName", "image": "image"}[rule]
    return _validator(f"common.json#/$defs/{definition}").is_valid(text)


_QUANTITY = re.compile(r"\s*(\+?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+))\s*([A-Za-z]*)\s*\Z")
_BINARY = {"ki": "Ki", "mi": "Mi", "gi": "Gi", "ti": "Ti", "pi": "Pi", "ei": "Ei"}
_DECIMAL = {"k": "k", "g": "G", "t": "T", "p": "P", "e": "E"}  # m and M are both valid, and differ


def _quantity_hints(text: str, field: Any) -> list[str]:
    """``1GB`` -> ``1G``, ``1Gi``; ``100mi`` -> ``100Mi`` (for a cpu: ``100m``,
    as CPUs come in millis, not mebis); ``100mm`` -> ``100m``; ``1 Gi`` -> ``1Gi``."""
    match = _QUANTITY.match(text)
    if match is None:
        return []
    number, suffix = match.groups()
    bytes_unit = len(suffix) > 1 and suffix[-1] in "bB"  # GB, MiB: a byte unit, which quantities leave out
    if bytes_unit:
        suffix = suffix[:-1]
    suffix = re.sub(r"(.)\1+", r"\1", suffix)  # a doubled letter: 100mm
    if field == "cpu" and suffix in ("mi", "mI"):
        return [number + "m"]
    if suffix.lower() in _BINARY:
        return [number + _BINARY[suffix.lower()]]
    if len(suffix) != 1:
        return [number + suffix]  # the spaces alone, if that was all
    letter = suffix.lower()
    if letter == "m" and not bytes_unit:
        return [number + suffix]  # 100mm meant millis
    decimal = "M" if letter == "m" else _DECIMAL.get(letter, suffix)  # 1mb meant megabytes
    return [number + decimal] + ([number + _BINARY[letter + "i"]] if letter + "i" in _BINARY else [])


def _image_hints(text: str, field: Any) -> list[str]:
    """Spaces dropped, and the repository (not the tag) in lowercase."""
    compact = re.sub(r"\s+", "", text)
    name, colon, tag = compact.rpartition(":")
    if not colon or "/" in tag:
        name, tag = compact, ""
    return [compact, name.lower() + (":" + tag if tag else "")]


def _env_name_hints(text: str, field: Any) -> list[str]:
    fixed = re.sub(r"[^-._a-zA-Z0-9]", "_", text.strip())
    return [fixed if not fixed[:1].isdigit() else "_" + fixed]


_HINTS: dict[str, Callable[[str, Any], list[str]]] = {
    "quantity": _quantity_hints,
    "image": _image_hints,
    "env name": _env_name_hints,
}

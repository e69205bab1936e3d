"""Plan types: what the planner decided, and what the applier writes.

``operations`` is the readable account (one per leaf edit, with the spec
that asked for it). ``changes`` is the same decision per YAML container, the
form the applier needs. New content is ``NewScalar`` leaves inside plain
dicts and lists; the applier treats them as read-only.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any, Sequence as Sequence_, Union

from .errors import SpecRef
from .scalars import json_value
from .yaml_index import Mapping, Node, Sequence, YamlIndex

REPLACE = "replace"
INSERT = "insert"
DELETE = "delete"


@dataclass(frozen=True)
class Operation:
    action: str  # "set", "add", "delete", "append"
    resource: str
    group: str
    path: str
    old: Any
    new: Any
    spec: SpecRef
    line: int  # 1-based line in the file of the node touched (or its parent)

    def to_json(self) -> dict[str, Any]:
        """The operation as data ``json.dumps`` writes as valid JSON (see ``json_value``)."""
        return {
            "action": self.action,
            "line": self.line,
            "resource": self.resource,
            "group": self.group,
            "path": self.path,
            "old": json_value(self.old),
            "new": json_value(self.new),
            "spec": self.spec.text,
            "origin": self.spec.label,
        }


@dataclass(frozen=True)
class MappingChange:
    node: Mapping
    # (key, REPLACE | INSERT | DELETE, new value or None), in spec order. A
    # key is a name, or (name, position) for one template branch's copy of
    # a key written once per branch.
    actions: tuple[tuple[Any, str, Any], ...]

    def positions(self, key: Any) -> list[int]:
        """The entries an action's key addresses."""
        return [key[1]] if isinstance(key, tuple) else self.node.positions(key)


@dataclass(frozen=True)
class SequenceChange:
    node: Sequence
    replaced: tuple[tuple[int, Any], ...]
    deleted: frozenset[int]
    appended: tuple[Any, ...]


Change = Union[MappingChange, SequenceChange]


@dataclass(frozen=True)
class Plan:
    # The operations' fields, in Operation's order; Operation objects are
    # made on first use of ``operations`` (applying a big plan rarely reads
    # them, and making 6,000 frozen dataclasses costs a few percent of it).
    records: tuple[tuple[Any, ...], ...]
    changes: tuple[Change, ...]
    warnings: tuple[str, ...] = ()

    @functools.cached_property
    def operations(self) -> tuple[Operation, ...]:
        return tuple(Operation(*record) for record in sorted(self.records, key=lambda record: record[-1]))

    @property
    def is_noop(self) -> bool:
        return not self.changes and not self.records


def replacements(index: YamlIndex, nodes: Sequence_[Node], values: dict[int, Any]) -> tuple[Change, ...]:
    """Plan changes saying that each of ``nodes`` now holds ``values[id(node)]``:
    how a text-level rewrite (a copied alias, an expanded variable) tells
    the verifier what the new text must read as."""
    parents = index.parents()
    mappings: dict[int, list[tuple[Any, str, Any]]] = {}
    sequences: dict[int, list[tuple[int, Any]]] = {}
    owners: dict[int, Any] = {}
    for node in nodes:
        parent, key = parents[id(node)]
        owners[id(parent)] = parent
        if isinstance(parent, Mapping):
            i = next(j for j, value in enumerate(parent.values) if value is node)
            mappings.setdefault(id(parent), []).append(((getattr(key, "value", None), i), REPLACE, values[id(node)]))
        else:
            i = next(j for j, item in enumerate(parent.items) if item is node)  # type: ignore[attr-defined]
            sequences.setdefault(id(parent), []).append((i, values[id(node)]))
    changes: list[Change] = [MappingChange(owners[k], tuple(v)) for k, v in mappings.items()]
    changes += [SequenceChange(owners[k], tuple(sorted(v)), frozenset(), ()) for k, v in sequences.items()]
    return tuple(changes)

"""Near misses: is a key a spec would create a typo of a name already there?

``-s worker.replcas=3`` used to add ``replcas: 3`` and exit 0. A key a set
spec creates is refused when it is a near miss of a sibling key or of a
field known at that place (the ``properties`` of the JSON Schemas that
``taskpatch validate`` uses); ``+SEL.PATH=VALUE`` creates it anyway.

A new key K is a near miss of a name N when K is neither N nor a known
field there, the two differ in more than digits (``gpu0``/``gpu1`` and
``lr``/``lr2`` are numbered siblings), and, compared ignoring case, their
edit distance (one edit: a character inserted, deleted or replaced, or two
adjacent characters swapped) is

- 0 (only the case differs) or one swap, when both have 4 characters or more;
- 1, when both have 5 or more;
- 2, when both have 9 or more.

Names shorter than 4 characters are never near misses: ``cpu`` and
``gpu``, ``lr`` and ``l2`` are different names, not typos. The thresholds
catch ``replcas``, ``requets``, ``memroy``, ``imgae``, ``nmae`` and
``maxRestartCuont``, and let ``data``/``date`` or ``port``/``post`` pass.

The schemas are read with ``json`` on first use only: nothing here imports
``jsonschema``, and a run that creates no key reads no schema.
"""

from __future__ import annotations

import functools
import json
import os
import re
from typing import Any, Iterable

SCHEMAS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "schemas")
# Where a resource's fields are defined: a Kuberlab resource, or a
# Kubernetes container (found by --resources).
RESOURCE = ("kuberlab.json", "resource")
CONTAINER = ("kubernetes.json", "container")
ITEM = "[]"  # a place's step into a list's items (an index or a [key=value] filter)
_DIGITS = re.compile("[0-9]+")


def near_miss(name: str, names: Iterable[str]) -> str | None:
    """The name of ``names`` that ``name`` is the nearest miss of; None when
    it misses none (the first of the nearest, on a tie)."""
    best: tuple[int, str] | None = None
    for other in names:
        distance = _miss(name, other)
        if distance is not None and (best is None or distance < best[0]):
            best = (distance, other)
    return None if best is None else best[1]


@functools.lru_cache(maxsize=4096)
def _miss(name: str, other: str) -> int | None:
    """How near a miss of ``other`` ``name`` is (0, 1 or 2), or None."""
    shorter = min(len(name), len(other))
    if name == other or shorter < 4 or abs(len(name) - len(other)) > 2:
        return None
    if _DIGITS.sub("", name) == _DIGITS.sub("", other):
        return None
    a, b = name.lower(), other.lower()
    distance = _edit_distance(a, b)
    if distance == 0 or (distance == 1 and (shorter >= 5 or len(a) == len(b) and _swapped(a, b))):
        return distance
    return distance if distance == 2 and shorter >= 9 else None


def _swapped(a: str, b: str) -> bool:
    """Is ``b`` ``a`` with two adjacent characters swapped?"""
    at = [i for i, (x, y) in enumerate(zip(a, b)) if x != y]
    return len(at) == 2 and at[1] == at[0] + 1 and a[at[0]] == b[at[1]] and a[at[1]] == b[at[0]]


def _edit_distance(a: str, b: str) -> int:
    """Optimal string alignment distance: inserts, deletes, replacements and
    swaps of adjacent characters, each character edited once."""
    before: list[int] | None = None
    row = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        current = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = a[i - 1] != b[j - 1]
            current[j] = min(row[j] + 1, current[j - 1] + 1, row[j - 1] + cost)
            if before is not None and i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                current[j] = min(current[j], before[j - 2] + 1)
        before, row = row, current
    return row[-1]


@functools.lru_cache(maxsize=256)
def known_fields(container: bool, place: tuple[str, ...]) -> frozenset[str]:
    """The fields the schemas know at ``place`` (key names from the
    resource, ``ITEM`` for a step into a list); empty where they say
    nothing (``args``, ``labels``, a key they do not know)."""
    file, definition = CONTAINER if container else RESOURCE
    node: Any = _schema(file)["$defs"][definition]
    for step in place:
        file, node = _resolved(file, node)
        node = node.get("items") if step == ITEM else node.get("properties", {}).get(step)
        if not isinstance(node, dict):
            return frozenset()
    return frozenset(_resolved(file, node)[1].get("properties", ()))


def _resolved(file: str, node: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """Follow ``$ref``s (``#/$defs/x`` in the same file, ``common.json#/$defs/x`` in another)."""
    while "$ref" in node:
        target, _, pointer = node["$ref"].partition("#")
        file = target or file
        node = _schema(file)
        for part in pointer.strip("/").split("/"):
            node = node[part]
    return file, node


@functools.lru_cache(maxsize=None)
def _schema(file: str) -> dict[str, Any]:
    with open(os.path.join(SCHEMAS, file), encoding="utf-8") as handle:
        return json.load(handle)  # type: ignore[no-any-return]

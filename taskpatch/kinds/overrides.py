"""``-s [+]SELECTOR.PATH=VALUE`` and ``-s ~SELECTOR.PATH``: set or delete a value.

A set creates the mappings its path needs, refusing keys that are near
misses of a sibling or a known field unless the spec starts with ``+``
(``typos``), and types the value by DESIGN.md's rules
(``values.typed_value``); a value starting with ``[`` or ``{`` is a flow
collection (``flow``). A delete of something absent does nothing.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

from ..errors import PathError, ValueTypeError
from ..flow import flow_root, is_flow
from ..locate import Resource
from ..overlay import MISSING, Slot, live_entries, merge_sources, merged_from
from ..spec_ast import Key, SetSpec, UnsetSpec, path_text
from ..typos import ITEM, known_fields, near_miss
from ..values import flow_value, holds, typed_value
from ..walker import Walker, some_names
from ..yaml_index import MAX_DEPTH, Mapping, Node, Scalar, Sequence


def plan_set(walker: Walker, spec: SetSpec, resource: Resource) -> None:
    # The value at step k lives in a collection k + 1 below the resource's:
    # keep what a path creates within what the index reads back.
    too_deep = MAX_DEPTH - resource.node.depth - 1
    if too_deep < len(spec.path) - 1:
        raise walker.error(PathError, f"this path would nest collections more than {MAX_DEPTH} levels deep",
                          spec.source, spec.path[too_deep].span, resource.node)
    # args keys are the program's own flags, free-form (as with -a).
    free = spec.force or (isinstance(spec.path[0], Key) and spec.path[0].name == "args")
    guard = None if free else functools.partial(_refuse_near_miss, walker, spec, resource)
    for slot in walker.walk(resource, spec.path, spec.source, create=True, guard=guard):
        _set_at(walker, slot, spec, resource)


def _refuse_near_miss(walker: Walker, spec: SetSpec, resource: Resource, mapping: Any, i: int) -> None:
    """Before step ``i`` creates its key in ``mapping``: refuse a name that is
    a near miss of a key there or of a field the schemas know there."""
    name = spec.path[i].name  # type: ignore[union-attr]  # the walker asks for key steps only
    known = known_fields(resource.container, tuple(s.name if isinstance(s, Key) else ITEM for s in spec.path[:i]))
    if name in known:
        return
    siblings = live_entries(walker, mapping)
    if isinstance(mapping, Mapping):  # keys a `<<: *merge` gives are there too
        siblings += [k.value for s in merge_sources(mapping) for k in s.target.keys if isinstance(k, Scalar)]  # type: ignore[union-attr]
    if name in siblings:
        return
    nearest = near_miss(name, siblings + sorted(known))
    if nearest is not None:
        where = resource.name + (f".{path_text(spec.path[:i])}" if i else "")
        forced = "+" + spec.source.text
        raise walker.error(PathError, f"{where} has no key {name!r}; did you mean {nearest!r}? (write "
                           f"{forced if forced.isprintable() else repr(forced)} to add it anyway)",
                           spec.source, spec.path[i].span, mapping)


@dataclass(frozen=True)
class _Prepared:
    """What every resource a spec reaches would work out the same, made once per spec."""

    keys: tuple[str, ...]  # the path as plan keys
    names: tuple[str, ...]  # its key names
    flow: Mapping | Sequence | None  # a flow value, parsed


def _prepared(walker: Walker, spec: SetSpec | UnsetSpec) -> _Prepared:
    cached = walker.per_spec.get(id(spec))
    if cached is None:
        flow = flow_root(spec.value, spec.source) if isinstance(spec, SetSpec) and is_flow(spec.value) else None
        cached = walker.per_spec[id(spec)] = _Prepared(walker.path_keys(spec.path),
                                                       tuple(s.name for s in spec.path if isinstance(s, Key)), flow)
    return cached  # type: ignore[no-any-return]


def _set_at(walker: Walker, slot: Slot, spec: SetSpec, resource: Resource) -> None:
    old = walker.check_node(slot.get(), spec.source, spec.path[-1].span)
    prepared = _prepared(walker, spec)
    # What is there now: a key a `<<:` merge gives counts as the resource's,
    # unless `+` asks for the resource's own key over it.
    merged = old is MISSING and not spec.force
    held_now = walker.typing_old(old, slot) if merged else old
    lost = live_entries(walker, held_now)
    # A mapping may become another mapping, a list another list; anything
    # else over a whole collection is far more often a path cut short than
    # a wish to drop what it holds: make that explicit.
    if lost and not isinstance(prepared.flow, Mapping if isinstance(held_now, (Mapping, dict)) else Sequence):
        target = f"{'+' if merged else '~'}{spec.selector.pattern}.{path_text(spec.path)}"
        target += f"={spec.value.text}" if merged else ""
        held = (f"a mapping ({some_names(lost)})" if isinstance(held_now, (Mapping, dict))
                else f"a list of {len(lost)} item{'s' if len(lost) > 1 else ''}")
        raise walker.error(ValueTypeError, f"{path_text(spec.path)} is {held}; setting it to "
                           f"{spec.value.text!r} would drop all of it: "
                           f"{f'write -s {target!r} to set' if merged else f'write -s {target!r} first to replace'} "
                           "it on purpose", spec.source, spec.value.span, old if isinstance(old, Node) else resource.node)
    try:
        if prepared.flow is None:
            new = typed_value(spec.value, walker.typing_old(old, slot), prepared.names, spec.source)
        else:  # made anew for each resource: later specs edit new content in place
            new = flow_value(prepared.flow, spec.value, prepared.names, spec.source,
                             resource.node.depth + len(spec.path))
            if holds(old, new, {*walker.map_edits, *walker.seq_edits}):
                return
    except ValueTypeError as exc:
        # Point at the value being replaced, or at the resource gaining it.
        anchor = old if isinstance(old, Scalar) else resource.node
        exc.line, exc.column = anchor.line + 1, anchor.column + 1
        raise
    walker.set_leaf(slot, new, resource, prepared.keys, spec.source, old=old)


def plan_unset(walker: Walker, spec: UnsetSpec, resource: Resource) -> None:
    for slot in walker.walk(resource, spec.path, spec.source, create=False):
        old = slot.get()
        name = slot.key[0] if isinstance(slot.key, tuple) else slot.key
        merge = merged_from(slot.container, name) if isinstance(slot.container, Mapping) else None
        if merge is not None:  # the key would still be there, with the merged value
            raise walker.error(
                PathError, f"{name!r} {'comes' if old is MISSING else 'would come back'} from <<: "
                f"*{merge.anchor} (line {merge.line + 1}), so it cannot be deleted here; set it to another "
                "value instead, or remove the merge", spec.source, spec.path[-1].span,
                merge if old is MISSING else old)
        if old is MISSING:
            continue
        line = slot.line()
        slot.delete()
        walker.record("delete", resource, _prepared(walker, spec).keys, old, None, spec.source, line)

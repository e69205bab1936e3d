"""``-s SELECTOR.PATH=VALUE`` and ``-s ~SELECTOR.PATH``: set or delete a value.

A set creates the mappings its path needs and types the value by DESIGN.md's
rules (``values.typed_value``); a delete of something absent does nothing.
"""

from __future__ import annotations

from ..errors import PathError, ValueTypeError
from ..locate import Resource
from ..overlay import MISSING, Slot, live_entries, merged_from
from ..spec_ast import Key, SetSpec, UnsetSpec, path_text
from ..values import typed_value
from ..walker import Walker, some_names
from ..yaml_index import MAX_DEPTH, Mapping, Node, Scalar


def plan_set(walker: Walker, spec: SetSpec, resource: Resource) -> None:
    # The value at step k lives in a collection k + 1 below the resource's:
    # keep what a path creates within what the index reads back.
    too_deep = MAX_DEPTH - resource.node.depth - 1
    if too_deep < len(spec.path) - 1:
        raise walker.error(PathError, f"this path would nest collections more than {MAX_DEPTH} levels deep",
                          spec.source, spec.path[too_deep].span, resource.node)
    for slot in walker.walk(resource, spec.path, spec.source, create=True):
        _set_at(walker, slot, spec, resource)


def _spec_keys(walker: Walker, spec: SetSpec | UnsetSpec) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The path as plan keys, and its key names; once per spec, not per resource."""
    cached = walker.per_spec.get(id(spec))
    if cached is None:
        names = tuple(s.name for s in spec.path if isinstance(s, Key))
        cached = walker.per_spec[id(spec)] = (walker.path_keys(spec.path), names)
    return cached


def _set_at(walker: Walker, slot: Slot, spec: SetSpec, resource: Resource) -> None:
    old = walker.check_node(slot.get(), spec.source, spec.path[-1].span)
    lost = live_entries(walker, old)
    if lost:
        # A value over a whole mapping or list is far more often a path cut
        # short than a wish to drop what it holds: make that explicit.
        target = f"{spec.selector.pattern}.{path_text(spec.path)}"
        held = (f"a mapping ({some_names(lost)})" if isinstance(old, (Mapping, dict))
                else f"a list of {len(lost)} item{'s' if len(lost) > 1 else ''}")
        raise walker.error(ValueTypeError, f"{path_text(spec.path)} is {held}; setting it to "
                           f"{spec.value.text!r} would drop all of it: write -s '~{target}' first to replace it "
                           "on purpose", spec.source, spec.value.span, old if isinstance(old, Node) else resource.node)
    keys, names = _spec_keys(walker, spec)
    try:
        new = typed_value(spec.value, walker.typing_old(old, slot), names, spec.source)
    except ValueTypeError as exc:
        # Point at the value being replaced, or at the resource gaining it.
        anchor = old if isinstance(old, Scalar) else resource.node
        exc.line, exc.column = anchor.line + 1, anchor.column + 1
        raise
    walker.set_leaf(slot, new, resource, keys, spec.source, old=old)


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
        walker.record("delete", resource, _spec_keys(walker, spec)[0], old, None, spec.source, line)

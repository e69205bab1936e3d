"""What spec values become: DESIGN.md's typing rules, and the small
predicates on old and new values that every spec kind shares."""

from __future__ import annotations

from typing import Any

from .errors import SpecRef, ValueTypeError
from .scalars import (
    CORE_BOOL,
    CORE_FLOAT,
    CORE_INT,
    NON_NEGATIVE_INT,
    BigInt,
    NewScalar,
    core_resolve,
    from_python,
    literal_for,
    scalar_value,
)
from .spec_ast import Span, Value
from .yaml_index import MAX_DEPTH, Mapping, Node, Scalar, Sequence

# Kuberlab fields that are counts: always written as non-negative ints.
COUNT_FIELDS = frozenset({"replicas", "maxRestartCount", "minAvailable", "port"})


def is_count_field(keys: tuple[str, ...]) -> bool:
    """Is the field at these key names (indexes left out) a count, where
    Kuberlab has one: a resource's own ``replicas``, ``maxRestartCount``,
    ``minAvailable`` and ``port``, the ``port`` of a ``ports`` entry, and
    ``resources.accelerators.gpu``. A key of that name elsewhere (inside
    ``args``, say) is an ordinary value."""
    return ((len(keys) == 1 and keys[0] in COUNT_FIELDS) or keys == ("ports", "port")
            or keys == ("resources", "accelerators", "gpu"))


def _count_name(keys: tuple[str, ...]) -> str:
    return keys[-1] if keys[-1] != "gpu" else "accelerators.gpu"


def is_null(node: Any) -> bool:
    if isinstance(node, Scalar):
        return node.style is None and core_resolve(node.value) is None and node.tag is None
    return isinstance(node, NewScalar) and node.value is None


def is_empty_flow(node: Any) -> bool:
    """``{}`` and ``[]`` are replaced by block collections, not filled in."""
    if isinstance(node, Mapping):
        return node.flow and not node.keys
    if isinstance(node, Sequence):
        return node.flow and not node.items
    return False


def describe(node: Any) -> Any:
    """Old values for the plan: scalars as data, collections summarised."""
    if isinstance(node, Scalar):
        return scalar_value(node.value, node.style, node.tag)
    if isinstance(node, NewScalar):
        return node.value
    if isinstance(node, (Mapping, dict)):
        return "{...}"
    if isinstance(node, (Sequence, list)):
        return "[...]"
    return None


def to_plain(value: Any) -> Any:
    """New content as plain data (for plan output and tests)."""
    if isinstance(value, NewScalar):
        return value.value
    if isinstance(value, dict):
        return {k: to_plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [to_plain(v) for v in value]
    return value


def typed_value(value: Value, old: Any, keys: tuple[str, ...], spec: SpecRef) -> NewScalar:
    """DESIGN.md's typing rules for override and args values."""
    text = value.text
    if is_count_field(keys):
        if value.quoted or not NON_NEGATIVE_INT.match(text):
            raise ValueTypeError(
                f"{_count_name(keys)} is a count and must be a non-negative integer, got {text!r}",
                spec=spec,
                spec_column=value.span.start + 1 + spec.column_offset,
            )
        count = core_resolve(text)  # an int (BigInt beyond 4,300 digits), written as plain decimal
        return NewScalar(count, literal_for(text, count))
    if value.quoted:
        return NewScalar(text)
    if isinstance(old, (Scalar, NewScalar)) and not is_null(old):
        old_value = old.value if isinstance(old, NewScalar) else scalar_value(old.value, old.style, old.tag)
        if isinstance(old_value, str):
            return NewScalar(text)
        if isinstance(old_value, bool):
            if CORE_BOOL.match(text):
                return NewScalar(core_resolve(text), text)
        elif isinstance(old_value, int):
            if CORE_INT.match(text):
                return NewScalar(core_resolve(text), literal_for(text, core_resolve(text)))
        elif isinstance(old_value, float) and CORE_FLOAT.match(text):
            # "2" reads as a float too: a float field given 2 stays 2.0, as upstream's float(v)
            # (which makes digits past a float's range, a BigInt's, inf).
            resolved = core_resolve(text)
            new = float(resolved.text if isinstance(resolved, BigInt) else resolved)
            return NewScalar(new, literal_for(text, new))
    new = core_resolve(text)
    if isinstance(new, str):
        return NewScalar(text)
    return NewScalar(new, literal_for(text, new))


def flow_value(node: Mapping | Sequence, value: Value, keys: tuple[str, ...], spec: SpecRef, depth: int) -> Any:
    """A flow value (``flow.flow_root``'s nodes, offsets into ``value.text``)
    as new content that ``depth`` collections will hold. Its scalars are new
    values, typed by the YAML 1.2 core schema; the count fields' rule holds
    inside it too (``worker.resources={accelerators: {gpu: x}}`` is refused)."""
    column = value.span.start + node.start + 1 + spec.column_offset
    if depth >= MAX_DEPTH:
        raise ValueTypeError(f"this value nests collections more than {MAX_DEPTH} levels deep", spec=spec,
                             spec_column=column)
    if is_count_field(keys):
        raise ValueTypeError(f"{_count_name(keys)} is a count and must be a non-negative integer, got a "
                             f"{'mapping' if isinstance(node, Mapping) else 'list'}", spec=spec, spec_column=column)
    if isinstance(node, Mapping):
        return {key.value: _flow_item(item, value, (*keys, key.value), spec, depth)  # type: ignore[attr-defined]
                for key, item in zip(node.keys, node.values)}
    return [_flow_item(item, value, keys, spec, depth) for item in node.items]


def _flow_item(node: Node, value: Value, keys: tuple[str, ...], spec: SpecRef, depth: int) -> Any:
    if isinstance(node, (Mapping, Sequence)):
        return flow_value(node, value, keys, spec, depth + 1)
    assert isinstance(node, Scalar)  # flow.flow_root lets no alias through
    start = value.span.start + node.start
    return typed_value(Value(node.value, node.style is not None, Span(start, start + node.end - node.start)), None,
                       keys, spec)


def holds(old: Any, new: Any, edited: set[int]) -> bool:
    """Does ``old``, a node of the file that no pending edit of this plan
    touches (none in ``edited``), hold the new content ``new`` already, as
    data and in order? (Then nothing is written.)"""
    if isinstance(new, NewScalar):
        return same_scalar(old, new)
    if id(old) in edited:
        return False
    if old.__class__ is Mapping and isinstance(new, dict):
        return old.tag is None and len(old.keys) == len(new) and all(
            isinstance(key, Scalar) and scalar_value(key.value, key.style, key.tag) == name
            and holds(item, new[name], edited) for key, item, name in zip(old.keys, old.values, new))
    if old.__class__ is Sequence and isinstance(new, list):
        return old.tag is None and len(old.items) == len(new) and all(
            holds(o, n, edited) for o, n in zip(old.items, new))
    return False


def same_scalar(old: Any, new: NewScalar) -> bool:
    """Does the file's scalar ``old`` already hold ``new``? (Then nothing is written.)"""
    if not isinstance(old, Scalar):
        return False
    value = scalar_value(old.value, old.style, old.tag)
    return type(value) is type(new.value) and value == new.value


def item_text(item: Any) -> str | None:
    if isinstance(item, Scalar):
        return item.value
    if isinstance(item, NewScalar):
        return str(item.value)
    return None


def seed_text_of(node: Any) -> str:
    """A command scalar's text, whatever type YAML gives it (``command: 1``)."""
    value = node.value if isinstance(node, (Scalar, NewScalar)) else node
    return value if isinstance(value, str) else str(value)


def python_to_new(value: Any, depth: int = 0) -> Any:
    """A library value (``set_args``) as new content; ``depth`` is how many
    collections will hold it, so that it stays within what the index reads."""
    if isinstance(value, (dict, list, tuple)) and depth >= MAX_DEPTH:
        raise ValueTypeError(f"this value nests collections more than {MAX_DEPTH} levels deep")
    if isinstance(value, dict):
        return {str(k): python_to_new(v, depth + 1) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [python_to_new(v, depth + 1) for v in value]
    return from_python(value)

"""``-e [SELECTOR:]NAME=VALUE``: set an environment variable.

An existing entry of that name gets the value (a ``valueFrom`` it had is
dropped, with a warning); otherwise an entry is appended, or the ``env``
list is created.
"""

from __future__ import annotations

from typing import Any, Iterator

from ..errors import ValueTypeError
from ..locate import Resource
from ..overlay import MISSING, Slot, item_field, seq_slots
from ..scalars import NewScalar
from ..spec_ast import EnvSpec
from ..values import is_empty_flow, is_null
from ..walker import Walker
from ..yaml_index import Sequence


def plan_env(walker: Walker, spec: EnvSpec, resource: Resource) -> None:
    for env_slot in walker.slots(resource.node, "env"):
        _env_at(walker, env_slot, spec, resource)


def _env_at(walker: Walker, env_slot: Slot, spec: EnvSpec, resource: Resource) -> None:
    env = walker.check_node(env_slot.get(), spec.source, spec.name_span, into=True)
    cached = walker.per_spec.get(id(spec))
    if cached is None:  # the same for every resource: made once per spec
        cached = walker.per_spec[id(spec)] = (NewScalar(spec.value), ("env", f"[name={spec.name}]", "value"))
    value, keys = cached
    if env is MISSING or is_null(env) or is_empty_flow(env):
        entries: list = [{"name": NewScalar(spec.name), "value": value}]
        walker.set_leaf(env_slot, entries, resource, keys, spec.source, action="add", shown=spec.value)
        return
    if not isinstance(env, (Sequence, list)):
        raise walker.error(ValueTypeError, "env is not a list of {name, value} entries", spec.source,
                          spec.name_span, env)
    for item in _env_items(walker, env):
        if item_field(walker, item, "name") == spec.name:
            item = walker.check_node(item, spec.source, spec.name_span, into=True)
            for value_from in walker.slots(item, "valueFrom"):
                value_from.covered |= env_slot.covered
                if value_from.get() is not MISSING:
                    value_from.delete()
                    walker.warnings.append(
                        f"{resource.name}: env {spec.name} had valueFrom; replaced by value {spec.value!r}"
                    )
            for value_slot in walker.slots(item, "value"):
                value_slot.covered |= env_slot.covered
                walker.set_leaf(value_slot, value, resource, keys, spec.source)
            return
    entry = {"name": NewScalar(spec.name), "value": value}
    if isinstance(env, list):
        walker.touch(env)
        env.append(entry)
        walker.adopt(entry, walker.owners.get(id(env)))
    else:
        walker.note_branch(env, spec.name, "added", env_slot.covered)
        walker.seq_edit(env).appended.append(entry)
        walker.adopt(entry, env)
    walker.record("append", resource, keys, MISSING, spec.value, spec.source, env.line + 1 if isinstance(env, Sequence) else 0)


def _env_items(walker: Walker, env: Any) -> Iterator[Any]:
    """The live entries of an env list. An untouched list of the file is
    read directly (the common case); otherwise through its slots."""
    if env.__class__ is Sequence and id(env) not in walker.seq_edits:
        yield from env.items
    else:
        for slot in seq_slots(walker, env):
            yield slot.get()

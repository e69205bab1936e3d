"""``-a SELECTOR.KEY=VALUE`` and ``-a SELECTOR=RAW``: the resource's arguments.

``args`` may be a mapping (the key is set, typed), a string (``--key value``
is appended, unless the flag is there already), or a list, as a
Kubernetes container has (the flag and the value are appended).
"""

from __future__ import annotations

import shlex
from typing import Any

from .. import render
from ..errors import ValueTypeError
from ..locate import Resource
from ..overlay import MISSING, Slot, seq_slots
from ..scalars import NewScalar
from ..spec_ast import ArgsReplace, ArgsSpec
from ..values import is_empty_flow, is_null, item_text, python_to_new, typed_value
from ..walker import Walker
from ..yaml_index import Mapping, Scalar, Sequence


def plan_args(walker: Walker, spec: ArgsSpec, resource: Resource) -> None:
    for args_slot in walker.slots(resource.node, "args"):
        _args_at(walker, args_slot, spec, resource)


def _args_at(walker: Walker, args_slot: Slot, spec: ArgsSpec, resource: Resource) -> None:
    args = walker.check_node(args_slot.get(), spec.source, spec.selector.span, into=True)
    if spec.key is None:
        walker.set_leaf(args_slot, NewScalar(spec.value.text), resource, ("args",), spec.source)
        return
    key = spec.key.name
    keys = ("args", key)
    empty_string = (isinstance(args, Scalar) and args.value == "" and args.style is not None) or (
        isinstance(args, NewScalar) and args.value == "")  # '' in the file, or set so by an earlier spec
    empty_new = isinstance(args, (dict, list)) and not args  # emptied by an earlier spec
    if args is MISSING or is_null(args) or is_empty_flow(args) or empty_string or empty_new:
        if resource.container or _list_command(walker, resource, args_slot, spec):
            # A Kubernetes-style container (found by --resources, or with a
            # list command) needs args as a list of strings; a mapping is invalid.
            new_args: Any = [NewScalar(f"--{key}"), NewScalar(spec.value.text)]
        else:
            new_args = {key: typed_value(spec.value, MISSING, keys, spec.source)}
        shown = new_args[1] if isinstance(new_args, list) else new_args[key]
        walker.set_leaf(args_slot, new_args, resource, keys, spec.source, action="add", shown=shown)
    elif isinstance(args, (Mapping, dict)):
        for slot in walker.slots(args, key):
            slot.covered |= args_slot.covered
            old = walker.check_node(slot.get(), spec.source, spec.key.span)
            new = typed_value(spec.value, walker.typing_old(old), keys, spec.source)
            walker.set_leaf(slot, new, resource, keys, spec.source)
    elif isinstance(args, (Scalar, NewScalar)):
        _args_string(walker, spec, resource, args_slot, args)
    else:
        flag = NewScalar(f"--{key}")
        value = NewScalar(spec.value.text)
        items = [s.get() for s in seq_slots(walker, args)]
        texts = [item_text(i) for i in items]
        if f"--{key}" in texts:
            at = texts.index(f"--{key}")
            if at + 1 < len(texts) and texts[at + 1] == spec.value.text:
                return
            raise walker.error(ValueTypeError, f"args already has --{key}; set it with -s "
                              f"'{spec.selector.pattern}.args[{at + 1}]=...'", spec.source, spec.key.span,
                              args if isinstance(args, Sequence) else resource.node)
        if isinstance(args, list):
            walker.touch(args)
            args.extend([flag, value])
        else:
            walker.note_branch(args, key, "added", args_slot.covered)
            walker.seq_edit(args).appended.extend([flag, value])
        walker.record("append", resource, keys, MISSING, spec.value.text, spec.source, args.line + 1 if isinstance(args, Sequence) else 0)


def _list_command(walker: Walker, resource: Resource, args_slot: Slot, spec: ArgsSpec) -> bool:
    """Is the command a list (so new args must be one too)? In a template,
    refused where that depends on which branch renders."""
    commands = walker.slots(resource.node, "command")
    lists = [c for c in commands if isinstance(c.get(), (Sequence, list))]
    if not lists:
        return False
    if len(lists) != len(commands) or (len(commands) == 1 and not walker.encloses(commands[0], args_slot)):
        raise walker.error(ValueTypeError, f"command (line {lists[0].line()}) is a list only in some template "
                          "branches, so whether args must be a list depends on the branch; add args in each "
                          "branch by hand", spec.source, spec.selector.span, resource.node)
    return True


def _args_string(walker: Walker, spec: ArgsSpec, resource: Resource, slot: Slot, args: Any) -> None:
    key = spec.key.name  # type: ignore[union-attr]
    old_text = walker.real_value(args) if isinstance(args, Scalar) else str(args.value)
    try:
        tokens = shlex.split(old_text)
    except ValueError:
        tokens = old_text.split()
    flag = f"--{key}"
    for i, token in enumerate(tokens):
        if token == flag or token.startswith(flag + "="):
            given = token[len(flag) + 1 :] if "=" in token else (tokens[i + 1] if i + 1 < len(tokens) else None)
            if given == spec.value.text:
                return  # already there: patching twice changes nothing
            raise walker.error(
                ValueTypeError, f"args string already has {flag} (as {given!r}); edit it with -a "
                f"'{spec.selector.pattern}=...'", spec.source, spec.key.span,  # type: ignore[union-attr]
                args if isinstance(args, Scalar) else resource.node,  # a pending value has no position yet
            )
    addition = f"{flag} {render.shell_word(spec.value.text)}"  # as render writes a mapping's value
    new = walker.with_suffix(args, old_text, " " + addition) if old_text else NewScalar(addition)
    walker.set_leaf(slot, new, resource, ("args",), spec.source)


def plan_args_replace(walker: Walker, spec: ArgsReplace, resource: Resource) -> None:
    for slot in walker.slots(resource.node, "args"):
        walker.set_leaf(slot, python_to_new(spec.value, resource.node.depth + 1), resource, ("args",),
                       spec.source)

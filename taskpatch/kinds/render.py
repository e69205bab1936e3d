"""``--render``: fold ``args`` into ``command``, as mlboardclient's
``task.start()`` did, and drop ``args``. The words are written by the rules
in ``taskpatch.render``; this module decides where they go.
"""

from __future__ import annotations

from typing import Any

from .. import render
from ..errors import SpecRef, ValueTypeError
from ..locate import Resource
from ..overlay import MISSING, Slot, seq_slots
from ..plan import INSERT
from ..scalars import NewScalar, scalar_value
from ..spec_ast import RenderSpec, Span
from ..values import is_null, seed_text_of, to_plain
from ..walker import Walker
from ..yaml_index import Mapping, Node, Scalar, Sequence


def plan_render(walker: Walker, spec: RenderSpec, resource: Resource) -> None:
    """Fold ``args`` into ``command`` and drop ``args``, as ``task.start()`` did.

    In a template, ``args`` and ``command`` may each be written inside
    {{ if }} blocks. Each command gets the args that render with it,
    provided that is the same whichever branches render; and args are
    only dropped where a command took them. Anything else is refused
    rather than guessed."""
    found = [(slot, _live(walker, slot.get(), spec.source, None)) for slot in walker.slots(resource.node, "args")
             if slot.get() is not MISSING]
    if not any(args for _, args in found):
        return  # as upstream: `if not r.get('args'): continue`
    commands = walker.slots(resource.node, "command")
    for args_slot, args in found:
        if args and len(commands) == 1 and not walker.encloses(commands[0], args_slot):
            raise walker.error(ValueTypeError, f"command (line {commands[0].line()}) is written inside a template "
                              f"block that args (line {args_slot.line()}) is outside of, so folding would lose "
                              "the args where that block does not render; fold them by hand", spec.source, None,
                              args_slot.get())
    folded: list[Slot] = []
    for command_slot in commands:
        seen = [(slot, args) for slot, args in found if not walker.exclusive(slot, command_slot)]
        if not any(args for _, args in seen):
            continue
        shared = len(seen) == 1 and walker.encloses(seen[0][0], command_slot)
        if not shared and any(args != seen[0][1] for _, args in seen[1:]) or len(seen) == 1 and not shared:
            lines = ", ".join(str(slot.line()) for slot, _ in seen)
            raise walker.error(ValueTypeError, f"args (line {lines}) are written per template branch, and not "
                              f"the same in each, but command (line {command_slot.line()}) renders with all of "
                              "them; write command in each branch too", spec.source, None, seen[0][0].get())
        _fold(walker, spec, resource, command_slot, seen[0][1], seen[0][0])
        folded += [slot for slot, _ in seen if slot not in folded]
    for args_slot in folded:
        old_args = args_slot.get()
        args_slot.delete()
        if isinstance(old_args, Node):
            walker.record("delete", resource, ("args",), old_args, None, spec.source, args_slot.line(old_args))
        else:  # args this plan added: folded away, so they never reach the file
            walker.forget(resource, ("args",))


def _fold(walker: Walker, spec: RenderSpec, resource: Resource, command_slot: Slot, args: Any, args_slot: Slot) -> None:
    """Append ``args`` to the command at ``command_slot``, in its form."""
    command = walker.check_node(command_slot.get(), spec.source, None)
    try:
        if command is MISSING or is_null(command):
            words = render.argv_items(args, spec.style) if isinstance(args, list) else None
            new: Any = [NewScalar(w) for w in words] if words is not None else NewScalar(
                render.command_text(args, spec.style))
            walker.set_leaf(command_slot, new, resource, ("command",), spec.source, action="render",
                           shown=to_plain(new))
        elif isinstance(command, (Sequence, list)):
            items = [NewScalar(i) for i in render.argv_items(args, spec.style)]
            if isinstance(command, list):
                walker.touch(command)
                command.extend(items)
            else:
                walker.seq_edit(command).appended.extend(items)
            walker.record("render", resource, ("command",), MISSING, [i.value for i in items], spec.source,
                        command_slot.line(command))
        elif isinstance(command, (Mapping, dict)):
            raise walker.error(ValueTypeError, "command is a mapping, so args cannot be folded into it", spec.source,
                              None, command if isinstance(command, Mapping) else resource.node)
        else:
            new = walker.with_suffix(command, _command_text(walker, command),
                                    " " + render.command_text(args, spec.style))
            walker.set_leaf(command_slot, new, resource, ("command",), spec.source, action="render", old=command)
    except ValueError as exc:  # shlex on a string args with an open quote
        raise walker.error(ValueTypeError, f"args cannot be split into words: {exc}", spec.source, None,
                          args_slot.get()) from None


def _command_text(walker: Walker, command: Any) -> str:
    if not isinstance(command, Scalar):
        return seed_text_of(command)
    try:
        return walker.real_value(command)
    except ValueTypeError:
        # Only the suffix is written (the applier refuses where it cannot
        # be); the masked text serves for the plan's display and checks.
        return command.value


def _live(walker: Walker, node: Any, spec: SpecRef, span: Span | None) -> Any:
    """The plain value at ``node`` as this plan has left it so far."""
    node = walker.check_node(node, spec, span)
    if isinstance(node, Scalar):
        template = walker.index.template
        if template is not None and template.touches_markup(node.start, node.end):
            return render.Verbatim(walker.real_value(node))
        return scalar_value(node.value, node.style, node.tag)
    if isinstance(node, NewScalar):
        if walker.index.template is not None and isinstance(node.value, str) and "{{" in node.value:
            from ..template import has_markup

            if has_markup(node.value):  # a value with its markup, edited: its words are the template's
                return render.Verbatim(node.value)
        return node.value
    if isinstance(node, Sequence):
        _same_in_every_branch(walker, node)
    if isinstance(node, (Sequence, list)):
        return [_live(walker, slot.get(), spec, span) for slot in seq_slots(walker, node)]
    if isinstance(node, dict):
        return {k: _live(walker, v, spec, span) for k, v in node.items()}
    _same_in_every_branch(walker, node)
    edit = walker.map_edits.get(id(node))
    keys = [k.value for k in node.keys if isinstance(k, Scalar)]
    keys += [k for k, (kind, _) in edit.actions.items() if kind == INSERT] if edit else []
    live = {key: Slot(walker, node, key).get() for key in keys}
    return {key: _live(walker, value, spec, span) for key, value in live.items() if value is not MISSING}


def _same_in_every_branch(walker: Walker, node: Mapping | Sequence) -> None:
    """Refuse to read a collection as one value when some of its entries
    sit inside template blocks of their own: it renders differently
    depending on them (`args:` with `{{ if .gpu }}gpus: 1{{ end }}`)."""
    template = walker.index.template
    if template is None:
        return
    parent = walker.index.parents().get(id(node))
    owner = parent[1] if parent is not None and parent[1] is not None else node
    depth = len(template.branch_at(owner.start))
    entries = node.keys if isinstance(node, Mapping) else node.items
    inside = next((e for e in entries if len(template.branch_at(e.start)) > depth), None)
    if inside is not None:
        raise ValueTypeError("this entry sits inside a template block of its own, so the value around it "
                             "differs by branch and cannot be read as one", line=inside.line + 1,
                             column=inside.column + 1)

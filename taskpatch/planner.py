"""AST + index → Plan.

Specs apply in order, and a later spec sees what earlier ones did: the
planner keeps an *overlay* of pending edits per existing container, and
new content lives in plain dicts/lists that later specs edit directly. So
one parse serves every spec, and the plan is the net effect.
"""

from __future__ import annotations

import fnmatch
import re
import shlex
from typing import Any, Callable, Iterable, Iterator

from . import render
from .errors import PathError, PlanErrors, SelectorError, SpecRef, TaskpatchError, ValueTypeError, did_you_mean
from .locate import Resource, ResourceGroup, find_groups
from .plan import DELETE, INSERT, REPLACE, MappingChange, Plan, SequenceChange
from .scalars import (
    CORE_BOOL,
    CORE_FLOAT,
    CORE_INT,
    NON_NEGATIVE_INT,
    AppendedScalar,
    BigInt,
    NewScalar,
    core_resolve,
    from_python,
    literal_for,
    scalar_value,
)
from .spec_ast import (
    ArgsReplace,
    ArgsSpec,
    EnvSpec,
    Index,
    Key,
    PathStep,
    RenderSpec,
    Selector,
    SetSpec,
    Span,
    Spec,
    UnsetSpec,
    Value,
    path_text,
)
from .yaml_index import MAX_DEPTH, Alias, Mapping, Node, Scalar, Sequence, YamlIndex

# Kuberlab fields that are counts: always written as non-negative ints.
COUNT_FIELDS = frozenset({"replicas", "maxRestartCount", "minAvailable", "port"})

MISSING = object()


def is_count_field(keys: tuple[str, ...]) -> bool:
    """Is the field at these key names (indexes left out) a count, where
    Kuberlab has one: a resource's own ``replicas``, ``maxRestartCount``,
    ``minAvailable`` and ``port``, the ``port`` of a ``ports`` entry, and
    ``resources.accelerators.gpu``. A key of that name elsewhere (inside
    ``args``, say) is an ordinary value."""
    return ((len(keys) == 1 and keys[0] in COUNT_FIELDS) or keys == ("ports", "port")
            or keys == ("resources", "accelerators", "gpu"))


def _is_null(node: Any) -> bool:
    if isinstance(node, Scalar):
        return node.style is None and core_resolve(node.value) is None and node.tag is None
    return isinstance(node, NewScalar) and node.value is None


def _is_empty_flow(node: Any) -> bool:
    """``{}`` and ``[]`` are replaced by block collections, not filled in."""
    if isinstance(node, Mapping):
        return node.flow and not node.keys
    if isinstance(node, Sequence):
        return node.flow and not node.items
    return False


def _describe(node: Any) -> Any:
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
                f"{keys[-1] if keys[-1] != 'gpu' else 'accelerators.gpu'} is a count and must be a "
                f"non-negative integer, got {text!r}",
                spec=spec,
                spec_column=value.span.start + 1 + spec.column_offset,
            )
        count = core_resolve(text)  # an int (BigInt beyond 4,300 digits), written as plain decimal
        return NewScalar(count, literal_for(text, count))
    if value.quoted:
        return NewScalar(text)
    if isinstance(old, (Scalar, NewScalar)) and not _is_null(old):
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


def matching(selector: Selector, resources: list[Resource]) -> list[Resource]:
    """The resources a selector names (a glob is compiled once, not per resource)."""
    if selector.is_pattern:
        matches = re.compile(fnmatch.translate(selector.pattern)).match
        return [r for r in resources if matches(r.name)]
    return [r for r in resources if r.name == selector.pattern]


def _some(names: list[str], limit: int = 8) -> str:
    """A list of names short enough for a one-line error."""
    if not names:
        return "none"
    shown = ", ".join(names[:limit])
    return shown if len(names) <= limit else f"{shown}, ... ({len(names) - limit} more)"


def same_scalar(old: Any, new: NewScalar) -> bool:
    """Does the file's scalar ``old`` already hold ``new``? (Then nothing is written.)"""
    if not isinstance(old, Scalar):
        return False
    value = scalar_value(old.value, old.style, old.tag)
    return type(value) is type(new.value) and value == new.value


class _MapEdit:
    def __init__(self, node: Mapping) -> None:
        self.node = node
        self.actions: dict[str, tuple[str, Any]] = {}


class _SeqEdit:
    def __init__(self, node: Sequence) -> None:
        self.node = node
        self.replaced: dict[int, Any] = {}
        self.deleted: set[int] = set()
        self.appended: list[Any] = []


class _Slot:
    """A place a value can be read from or written to, old or new.
    ``covered``: the template block depths at which the way here forked
    into every branch (a key written once per branch), so that the edit
    goes into each."""

    def __init__(self, planner: Planner, container: Any, key: Any, covered: frozenset[int] = frozenset()) -> None:
        self.planner, self.container, self.key, self.covered = planner, container, key, covered

    def get(self) -> Any:
        container, key = self.container, self.key
        kind_of = container.__class__  # exact classes, most common first: the planner's hot path
        if kind_of is Mapping:
            entries = self.planner.map_edits.get(id(container))
            pending = entries.actions.get(key) if entries is not None else None
            if pending is not None:
                return MISSING if pending[0] == DELETE else pending[1]
            if key.__class__ is tuple:  # (name, position): one branch's copy of a key
                return container.values[key[1]]
            i = container.find(key)
            return MISSING if i is None else container.values[i]
        if kind_of is dict:
            return container.get(key, MISSING)
        if kind_of is list:
            return container[key]
        # an existing sequence: key is ("old", i) or ("new", j)
        items = self.planner.seq_edits.get(id(container))
        where, i = key
        if where == "new":
            return items.appended[i]  # type: ignore[union-attr]  # "new" slots exist only with an edit
        if items and i in items.replaced:
            return items.replaced[i]
        return container.items[i]

    def set(self, value: Any) -> None:
        container, key = self.container, self.key
        if isinstance(container, (dict, list)):
            container[key] = value
        elif isinstance(container, Mapping):
            entries = self.planner.map_edit(container)
            i = _position(container, key)
            if i is not None:
                self.planner.check_removable(container.values[i])  # `cpu: &c 1`, used elsewhere as *c
                self.planner.note_branch(container.keys[i], key, "set", self.covered)
            else:
                self.planner.note_branch(container, key, "added", self.covered)
            entries.actions[key] = (REPLACE if i is not None else INSERT, value)
        else:
            items = self.planner.seq_edit(container)
            where, i = key
            if where == "new":
                items.appended[i] = value
            else:
                self.planner.check_removable(container.items[i])
                items.replaced[i] = value

    def delete(self) -> None:
        container, key = self.container, self.key
        if isinstance(container, dict):
            container.pop(key, None)
        elif isinstance(container, list):
            del container[key]
        elif isinstance(container, Mapping):
            entries = self.planner.map_edit(container)
            i = _position(container, key)
            if i is None:
                entries.actions.pop(key, None)
            else:
                self.planner.check_removable(container.values[i])
                self.planner.note_branch(container.keys[i], key, "deleted", self.covered)
                entries.actions[key] = (DELETE, None)
        else:
            items = self.planner.seq_edit(container)
            where, i = key
            if where == "new":
                del items.appended[i]
            else:
                self.planner.check_removable(container.items[i])
                items.replaced.pop(i, None)
                items.deleted.add(i)

    def line(self, node: Any = None) -> int:
        """The 1-based line of the value here (``node``, when the caller has it), else of its container."""
        container = self.container
        if isinstance(container, (Mapping, Sequence)):
            node = self.get() if node is None else node
            anchor = node if isinstance(node, (Scalar, Mapping, Sequence)) else container
            return anchor.line + 1
        return 0


def _position(mapping: Mapping, key: Any) -> int | None:
    """Where a slot's key stands: a (name, position) key names its position."""
    return key[1] if key.__class__ is tuple else mapping.find(key)


def _seq_slots(planner: Planner, seq: Any) -> list[_Slot]:
    """The live items of a sequence, old (minus deleted) then appended."""
    if isinstance(seq, list):
        return [_Slot(planner, seq, i) for i in range(len(seq))]
    edit = planner.seq_edits.get(id(seq))
    deleted = edit.deleted if edit else set()
    slots = [_Slot(planner, seq, ("old", i)) for i in range(len(seq.items)) if i not in deleted]
    if edit:
        slots += [_Slot(planner, seq, ("new", j)) for j in range(len(edit.appended))]
    return slots


def _merged_from(mapping: Mapping, key: str) -> Alias | None:
    """The ``<<: *alias`` through which ``mapping`` gets ``key``, if any."""
    merge = mapping.get("<<")
    sources = merge.items if isinstance(merge, Sequence) else [merge]
    for source in sources:
        if isinstance(source, Alias) and isinstance(source.target, Mapping) and source.target.find(key) is not None:
            return source
    return None


def _item_field(planner: Planner, item: Any, key: str) -> Any:
    """``item[key]`` as a plain string for filters (None when not a scalar)."""
    if item.__class__ is Mapping and id(item) not in planner.map_edits and not item.is_duplicate(key):
        return item.scalar_value(key)  # untouched: read the file directly
    if isinstance(item, (Mapping, dict)):
        value = _Slot(planner, item, key).get()
        if isinstance(value, Scalar):
            return value.value
        if isinstance(value, NewScalar):
            return str(value.value)
    return None


class Planner:
    def __init__(self, index: YamlIndex, groups: list[ResourceGroup], file: str | None = None) -> None:
        self.index = index
        self.groups = groups
        self.file = file
        self.map_edits: dict[int, _MapEdit] = {}
        self.seq_edits: dict[int, _SeqEdit] = {}
        self.journal: dict[tuple, tuple[Any, ...]] = {}  # (resource, path) -> Operation's fields
        self._journal_paths: dict[int, set[tuple[str, ...]]] = {}  # per resource, so record() stays O(1)-ish
        self._per_spec: dict[int, Any] = {}  # id(spec) -> what every resource would compute the same
        self.warnings: list[str] = []
        self.errors: list[TaskpatchError] = []
        self.resource: Resource | None = None  # the one being edited, for warnings

    # -- overlay bookkeeping --------------------------------------------------
    def check_removable(self, node: Any) -> None:
        """Refuse to replace or delete a value that defines an anchor an
        alias elsewhere still uses (it would be left dangling), or that lies
        inside a shared anchor."""
        self.check_unshared(node)
        if isinstance(node, (Scalar, Mapping, Sequence)):
            self._refuse_anchor(node, self.index.used_elsewhere(node),
                                "this value defines &{anchor} (line {line}), which *{anchor} uses at line {users}; "
                                "replacing or deleting it would leave that alias dangling, so move the anchor or "
                                "replace the alias first")

    def check_unshared(self, node: Any) -> None:
        """Refuse to change a node that an alias elsewhere shares."""
        if isinstance(node, (Scalar, Mapping, Sequence)):
            self._refuse_anchor(node, self.index.sharing(node),
                                "this is inside &{anchor} (line {line}), which *{anchor} also uses (line {users}); "
                                "changing it would change every user, so edit the anchor's definition itself or "
                                "give this resource its own copy")

    def _refuse_anchor(self, node: Node, found: tuple[Node, list[Node]] | None, message: str) -> None:
        if found is not None:
            anchored, users = found
            raise PathError(message.format(anchor=anchored.anchor, line=self.index.line_of(anchored.start) + 1,
                                           users=", ".join(str(u.line + 1) for u in users)),
                            file=self.file, line=node.line + 1, column=node.column + 1)

    def slots(self, container: Any, key: str) -> list[_Slot]:
        """The slots of ``key`` in ``container``: one per {{ if }}/{{ else }}
        branch where a template writes the key once per branch (the index
        allows such repeats only), so that each branch keeps its own value
        and gets its own edit; otherwise the one slot."""
        if container.__class__ is Mapping and container.is_duplicate(key):
            positions = container.positions(key)
            covered = frozenset({self._fork_depth([container.keys[i] for i in positions])})
            return [_Slot(self, container, (key, i), covered) for i in positions]
        return [_Slot(self, container, key)]

    def _fork_depth(self, keys: list[Node]) -> int:
        """The template block depth at which copies of one key part ways."""
        template = self.index.template
        if template is None:
            return 0
        branches = [template.branch_at(k.start) for k in keys]
        return min(next((d for d, (x, y) in enumerate(zip(a, b)) if x != y), len(a))
                   for i, a in enumerate(branches) for b in branches[i + 1 :])

    def note_branch(self, at: Node, key: Any, verb: str, covered: frozenset[int]) -> None:
        """Warn when an edit lands inside a template block that its resource
        is outside of (a key written only in an {{ if }}, or a mapping that
        exists only there): the change holds only when that branch renders.
        A key written in each branch gets the edit in each: no warning."""
        template, resource = self.index.template, self.resource
        if template is None or resource is None:
            return
        inner, outer = template.branch_at(at.start), template.branch_at(resource.node.start)
        if all(depth in covered for depth in range(len(outer), len(inner))):
            return  # outside any block, or forked into every branch of each
        opener = template.opener_line(inner[min(d for d in range(len(outer), len(inner)) if d not in covered)][0])
        name = key[0] if isinstance(key, tuple) else key
        what = f"key {name!r}" if isinstance(name, str) else "entry"
        message = (f"{resource.name}: the {what} {verb} at line {at.line + 1} is inside the template block opened "
                   f"at line {opener + 1}, so the change holds only when that branch renders")
        if message not in self.warnings:
            self.warnings.append(message)

    def typing_old(self, old: Any, slot: _Slot | None = None) -> Any:
        """The old value a new one takes its type from. A value that is one
        template action (`replicas: {{ .n }}`) has no type until rendered,
        so the new value is typed as a new one. A key the resource gets from
        a `<<:` merge has the merged value as its old one."""
        if old is MISSING and slot is not None and isinstance(slot.container, Mapping) and isinstance(slot.key, str):
            merge = _merged_from(slot.container, slot.key)
            if merge is not None:
                return merge.target.get(slot.key)  # type: ignore[union-attr]
        template = self.index.template
        if template is not None and old.__class__ is Scalar and template.is_markup(self.index.content_start(old),
                                                                                  old.end):
            return MISSING
        return old

    def map_edit(self, node: Mapping) -> _MapEdit:
        edit = self.map_edits.get(id(node))
        if edit is None:
            self.check_unshared(node)
            edit = self.map_edits[id(node)] = _MapEdit(node)
        return edit

    def seq_edit(self, node: Sequence) -> _SeqEdit:
        edit = self.seq_edits.get(id(node))
        if edit is None:
            self.check_unshared(node)
            edit = self.seq_edits[id(node)] = _SeqEdit(node)
        return edit

    def alternatives(self, nodes: list[Any]) -> bool:
        """Are these nodes one thing written once per {{ if }}/{{ else }} branch?"""
        template = self.index.template
        if template is None:
            return False
        from .template import alternatives  # only templates have branches

        branches = [template.branch_at(node.start) for node in nodes]
        return all(alternatives(a, b) for i, a in enumerate(branches) for b in branches[i + 1 :])

    def forget(self, resource: Resource, path: tuple[str, ...]) -> set[tuple[str, ...]]:
        """Drop the recorded operations at or below ``path``; the resource's recorded paths."""
        rid = id(resource.node)
        paths = self._journal_paths.get(rid)
        if paths is None:
            paths = self._journal_paths[rid] = set()
        elif paths:
            n = len(path)
            for other in [p for p in paths if p[:n] == path]:
                paths.discard(other)
                del self.journal[(rid, other)]
        return paths

    def record(self, action: str, resource: Resource, path: tuple[str, ...], old: Any, new: Any,
               spec: SpecRef, line: int) -> None:
        # A later edit of a path supersedes earlier edits at or below it.
        self.forget(resource, path).add(path)
        self.journal[(id(resource.node), path)] = (
            action, resource.name, resource.group, ".".join(path).replace(".[", "["),
            _describe(old) if old is not MISSING else None, to_plain(new), spec, line or resource.node.line + 1,
        )

    # -- errors ---------------------------------------------------------------
    def _error(self, cls: type[TaskpatchError], message: str, spec: SpecRef, span: Span | None,
               node: Any = None) -> TaskpatchError:
        line = column = None
        if isinstance(node, (Scalar, Mapping, Sequence, Alias)):
            line, column = node.line + 1, node.column + 1
        return cls(
            message, file=self.file, line=line, column=column, spec=spec,
            spec_column=None if span is None else span.start + 1 + spec.column_offset,
        )

    # -- selectors ------------------------------------------------------------
    def select(self, selector: Selector | None, spec: SpecRef) -> list[Resource]:
        everyone = [r for g in self.groups for r in g.resources]
        if selector is None:
            return everyone
        chosen = matching(selector, everyone)
        if not chosen:
            names = sorted({r.name for r in everyone})
            hint = did_you_mean(selector.pattern, names)
            group = self.groups[0]
            raise SelectorError(
                f"no resource matches {selector.pattern!r} (resources: {_some(names)}){hint}",
                file=self.file, line=group.line, column=group.column, spec=spec,
                spec_column=selector.span.start + 1 + spec.column_offset,
            )
        if not selector.is_pattern:
            for group in self.groups:
                same = [r for r in group.resources if r.name == selector.pattern]
                if len(same) > 1 and not self.alternatives([r.node for r in same]):
                    raise SelectorError(
                        f"{len(same)} resources in {group.label} are named {selector.pattern!r} "
                        f"(lines {', '.join(str(r.node.line + 1) for r in same)}); names must be unique",
                        file=self.file, line=same[1].node.line + 1, column=same[1].node.column + 1,
                        spec=spec, spec_column=selector.span.start + 1 + spec.column_offset,
                    )
        return chosen

    # -- traversal --------------------------------------------------------------
    def _check_node(self, node: Any, spec: SpecRef, span: Span | None) -> Any:
        if isinstance(node, Alias):
            error = self._error(
                PathError,
                f"the path goes through the alias *{node.anchor} (anchor &{node.anchor}"
                f"{f' at line {self.index.line_of(node.target.start) + 1}' if node.target is not None else ''}); "
                "editing it would change every node that shares the anchor (--copy-aliases gives this "
                "resource its own copy first)",
                spec, span, node,
            )
            error.alias = node  # type: ignore[attr-defined]  # what Document(copy_aliases=True) copies
            raise error
        return node

    def _descend(self, current: Any, step: PathStep, spec: SpecRef, create: bool) -> list[_Slot]:
        """The slots ``step`` names inside ``current`` (one, or one per
        template branch); empty when absent and not creating."""
        if isinstance(step, Key):
            if isinstance(current, (Scalar, NewScalar)):
                raise self._error(
                    PathError,
                    f"cannot go into key {step.name!r}: the value here is the scalar {_describe(current)!r}",
                    spec, step.span, current,
                )
            if isinstance(current, (Sequence, list)):
                raise self._error(
                    PathError, f"key {step.name!r} used on a sequence; use [N] or [key=value]",
                    spec, step.span, current,
                )
            return self.slots(current, step.name)
        if isinstance(current, (Mapping, dict)):
            raise self._error(PathError, "an index or [key=value] filter used on a mapping", spec, step.span, current)
        if isinstance(current, (Scalar, NewScalar)):
            raise self._error(
                PathError, f"cannot index into the scalar {_describe(current)!r}", spec, step.span, current
            )
        slots = _seq_slots(self, current)
        if isinstance(step, Index):
            if step.position < len(slots):
                return [slots[step.position]]
            if not create:
                return []
            raise self._error(
                PathError, f"index {step.position} is past the end of a sequence of {len(slots)} items",
                spec, step.span, current,
            )
        for slot in slots:
            if _item_field(self, slot.get(), step.key) == step.value:
                return [slot]
        if not create:
            return []
        raise self._error(
            PathError, f"no item of the sequence has {step.key} = {step.value!r}", spec, step.span, current
        )

    def _walk(self, resource: Resource, path: tuple[PathStep, ...], spec: SpecRef, create: bool) -> list[_Slot]:
        """Follow all but the last step (creating mappings), then return the last
        slot; one per branch where a key on the way stands once per {{ if }}/{{ else }}
        branch of a template. Empty when something is absent and not creating."""
        return self._walk_from(resource, resource.node, path, 0, spec, create)

    def _walk_from(self, resource: Resource, current: Any, path: tuple[PathStep, ...], start: int, spec: SpecRef,
                   create: bool, covered: frozenset[int] = frozenset()) -> list[_Slot]:
        last = len(path) - 1
        for i in range(start, len(path)):
            step = path[i]
            if i < last and step.__class__ is Key and current.__class__ is Mapping and id(current) not in self.map_edits:
                # The common case, without slots: an existing, untouched,
                # non-empty mapping under a key that stands once.
                j = current.find(step.name)  # type: ignore[attr-defined]
                if j is not None and not current.is_duplicate(step.name):  # type: ignore[attr-defined]
                    value = current.values[j]
                    if value.__class__ is Mapping and value.keys:
                        current = value
                        continue
            slots = self._descend(current, step, spec, create)
            for slot in slots if covered else ():
                slot.covered |= covered  # below a key written once per branch: every branch gets it
            if not slots or i == last:
                return slots
            if len(slots) > 1:  # a key written once per template branch: walk on in each
                found = []
                for slot in slots:
                    child = self._child(resource, current, slot, path, i, spec, create)
                    if child is not MISSING:
                        found += self._walk_from(resource, child, path, i + 1, spec, create,
                                                 covered | slot.covered)
                return found
            current = self._child(resource, current, slots[0], path, i, spec, create)
            if current is MISSING:
                return []
        return []  # pragma: no cover - paths have at least one step

    def _child(self, resource: Resource, current: Any, slot: _Slot, path: tuple[PathStep, ...], i: int,
               spec: SpecRef, create: bool) -> Any:
        """The container at ``slot`` to walk on into, created (as a mapping)
        when absent or empty and ``create``; MISSING when absent otherwise."""
        step = path[i]
        child = self._check_node(slot.get(), spec, step.span)
        if child is MISSING and isinstance(current, Mapping) and isinstance(step, Key):
            merge = _merged_from(current, step.name)
            if merge is not None:
                raise self._error(
                    PathError,
                    f"{step.name!r} comes from <<: *{merge.anchor} (line {merge.line + 1}); a nested edit here "
                    f"would replace all of it. Set it in &{merge.anchor}, or give this resource its own "
                    f"{step.name!r} first", spec, step.span, merge,
                )
        if child is MISSING or _is_null(child) or _is_empty_flow(child):
            if not create:
                return MISSING
            if not isinstance(path[i + 1], Key):
                raise self._error(
                    PathError, f"{path_text(path[: i + 1])} is empty, so {path_text(path[i + 1 : i + 2])} "
                    "selects nothing", spec, path[i + 1].span, resource.node,
                )
            created: dict[str, Any] = {}
            slot.set(created)
            child = created
        return child

    # -- specs ----------------------------------------------------------------
    def apply(self, spec: Spec) -> None:
        try:
            resources = self.select(spec.selector, spec.source)
        except TaskpatchError as exc:
            self.errors.append(exc)
            return
        handler: Callable[[Any, Resource], None] = {  # type: ignore[assignment]
            EnvSpec: self._env, SetSpec: self._set, UnsetSpec: self._unset,
            ArgsSpec: self._args, ArgsReplace: self._args_replace, RenderSpec: self._render,
        }[type(spec)]
        for resource in resources:
            self.resource = resource
            try:
                handler(spec, resource)
            except TaskpatchError as exc:
                exc.with_file(self.file) if self.file else None
                if exc.spec is None:  # raised below the spec level: say which spec met it
                    exc.spec = spec.source
                if exc.line is None:  # met in content this plan made, with no place in the file yet
                    exc.line, exc.column = resource.node.line + 1, resource.node.column + 1
                self.errors.append(exc)

    def _set_leaf(self, slot: _Slot, new: Any, resource: Resource, keys: tuple[str, ...], spec: SpecRef,
                  action: str = "set", old: Any = None, shown: Any = MISSING) -> None:
        """Set ``new`` at ``slot`` and record it; ``shown`` is what the plan
        lists when ``new`` is a whole container created to hold one value."""
        old = slot.get() if old is None else old  # callers that just read it pass it on
        if isinstance(new, NewScalar) and same_scalar(old, new):
            container, i = slot.container, None
            if isinstance(container, Mapping):
                i = _position(container, slot.key)
            if i is not None:  # already so here: but maybe only in one branch
                self.note_branch(container.keys[i], slot.key, "already set", slot.covered)
            return
        line = slot.line(old)
        slot.set(new)
        self.record(action if old is not MISSING else "add", resource, keys, old, new if shown is MISSING else shown,
                    spec, line)

    def _keys(self, path: tuple[PathStep, ...]) -> tuple[str, ...]:
        return tuple(s.name if isinstance(s, Key) else path_text((s,)) for s in path)

    def _set(self, spec: SetSpec, resource: Resource) -> None:
        # The value at step k lives in a collection k + 1 below the resource's:
        # keep what a path creates within what the index reads back.
        too_deep = MAX_DEPTH - resource.node.depth - 1
        if too_deep < len(spec.path) - 1:
            raise self._error(PathError, f"this path would nest collections more than {MAX_DEPTH} levels deep",
                              spec.source, spec.path[too_deep].span, resource.node)
        for slot in self._walk(resource, spec.path, spec.source, create=True):
            self._set_at(slot, spec, resource)

    def _spec_keys(self, spec: SetSpec | UnsetSpec) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """The path as plan keys, and its key names; once per spec, not per resource."""
        cached = self._per_spec.get(id(spec))
        if cached is None:
            names = tuple(s.name for s in spec.path if isinstance(s, Key))
            cached = self._per_spec[id(spec)] = (self._keys(spec.path), names)
        return cached

    def _set_at(self, slot: _Slot, spec: SetSpec, resource: Resource) -> None:
        old = self._check_node(slot.get(), spec.source, spec.path[-1].span)
        keys, names = self._spec_keys(spec)
        try:
            new = typed_value(spec.value, self.typing_old(old, slot), names, spec.source)
        except ValueTypeError as exc:
            # Point at the value being replaced, or at the resource gaining it.
            anchor = old if isinstance(old, Scalar) else resource.node
            exc.line, exc.column = anchor.line + 1, anchor.column + 1
            raise
        self._set_leaf(slot, new, resource, keys, spec.source, old=old)

    def _unset(self, spec: UnsetSpec, resource: Resource) -> None:
        for slot in self._walk(resource, spec.path, spec.source, create=False):
            old = slot.get()
            name = slot.key[0] if isinstance(slot.key, tuple) else slot.key
            merge = _merged_from(slot.container, name) if isinstance(slot.container, Mapping) else None
            if merge is not None:  # the key would still be there, with the merged value
                raise self._error(
                    PathError, f"{name!r} {'comes' if old is MISSING else 'would come back'} from <<: "
                    f"*{merge.anchor} (line {merge.line + 1}), so it cannot be deleted here; set it to another "
                    "value instead, or remove the merge", spec.source, spec.path[-1].span,
                    merge if old is MISSING else old)
            if old is MISSING:
                continue
            line = slot.line()
            slot.delete()
            self.record("delete", resource, self._spec_keys(spec)[0], old, None, spec.source, line)

    def _env(self, spec: EnvSpec, resource: Resource) -> None:
        for env_slot in self.slots(resource.node, "env"):
            self._env_at(env_slot, spec, resource)

    def _env_at(self, env_slot: _Slot, spec: EnvSpec, resource: Resource) -> None:
        env = self._check_node(env_slot.get(), spec.source, spec.name_span)
        cached = self._per_spec.get(id(spec))
        if cached is None:  # the same for every resource: made once per spec
            cached = self._per_spec[id(spec)] = (NewScalar(spec.value), ("env", f"[name={spec.name}]", "value"))
        value, keys = cached
        if env is MISSING or _is_null(env) or _is_empty_flow(env):
            entries: list = [{"name": NewScalar(spec.name), "value": value}]
            self._set_leaf(env_slot, entries, resource, keys, spec.source, action="add", shown=spec.value)
            return
        if not isinstance(env, (Sequence, list)):
            raise self._error(ValueTypeError, "env is not a list of {name, value} entries", spec.source,
                              spec.name_span, env)
        for item in self._env_items(env):
            if _item_field(self, item, "name") == spec.name:
                item = self._check_node(item, spec.source, spec.name_span)
                for value_from in self.slots(item, "valueFrom"):
                    value_from.covered |= env_slot.covered
                    if value_from.get() is not MISSING:
                        value_from.delete()
                        self.warnings.append(
                            f"{resource.name}: env {spec.name} had valueFrom; replaced by value {spec.value!r}"
                        )
                for value_slot in self.slots(item, "value"):
                    value_slot.covered |= env_slot.covered
                    self._set_leaf(value_slot, value, resource, keys, spec.source)
                return
        entry = {"name": NewScalar(spec.name), "value": value}
        if isinstance(env, list):
            env.append(entry)
        else:
            self.note_branch(env, spec.name, "added", env_slot.covered)
            self.seq_edit(env).appended.append(entry)
        self.record("append", resource, keys, MISSING, spec.value, spec.source, env.line + 1 if isinstance(env, Sequence) else 0)

    def _env_items(self, env: Any) -> Iterator[Any]:
        """The live entries of an env list. An untouched list of the file is
        read directly (the common case); otherwise through its slots."""
        if env.__class__ is Sequence and id(env) not in self.seq_edits:
            yield from env.items
        else:
            for slot in _seq_slots(self, env):
                yield slot.get()

    def _args(self, spec: ArgsSpec, resource: Resource) -> None:
        for args_slot in self.slots(resource.node, "args"):
            self._args_at(args_slot, spec, resource)

    def _args_at(self, args_slot: _Slot, spec: ArgsSpec, resource: Resource) -> None:
        args = self._check_node(args_slot.get(), spec.source, spec.selector.span)
        if spec.key is None:
            self._set_leaf(args_slot, NewScalar(spec.value.text), resource, ("args",), spec.source)
            return
        key = spec.key.name
        keys = ("args", key)
        empty_string = (isinstance(args, Scalar) and args.value == "" and args.style is not None) or (
            isinstance(args, NewScalar) and args.value == "")  # '' in the file, or set so by an earlier spec
        empty_new = isinstance(args, (dict, list)) and not args  # emptied by an earlier spec
        if args is MISSING or _is_null(args) or _is_empty_flow(args) or empty_string or empty_new:
            if resource.container or self._list_command(resource, args_slot, spec):
                # A Kubernetes-style container (found by --resources, or with a
                # list command) needs args as a list of strings; a mapping is invalid.
                new_args: Any = [NewScalar(f"--{key}"), NewScalar(spec.value.text)]
            else:
                new_args = {key: typed_value(spec.value, MISSING, keys, spec.source)}
            shown = new_args[1] if isinstance(new_args, list) else new_args[key]
            self._set_leaf(args_slot, new_args, resource, keys, spec.source, action="add", shown=shown)
        elif isinstance(args, (Mapping, dict)):
            for slot in self.slots(args, key):
                slot.covered |= args_slot.covered
                old = self._check_node(slot.get(), spec.source, spec.key.span)
                new = typed_value(spec.value, self.typing_old(old), keys, spec.source)
                self._set_leaf(slot, new, resource, keys, spec.source)
        elif isinstance(args, (Scalar, NewScalar)):
            self._args_string(spec, resource, args_slot, args)
        else:
            flag = NewScalar(f"--{key}")
            value = NewScalar(spec.value.text)
            items = [s.get() for s in _seq_slots(self, args)]
            texts = [_item_field_text(i) for i in items]
            if f"--{key}" in texts:
                at = texts.index(f"--{key}")
                if at + 1 < len(texts) and texts[at + 1] == spec.value.text:
                    return
                raise self._error(ValueTypeError, f"args already has --{key}; set it with -s "
                                  f"'{spec.selector.pattern}.args[{at + 1}]=...'", spec.source, spec.key.span,
                                  args if isinstance(args, Sequence) else resource.node)
            if isinstance(args, list):
                args.extend([flag, value])
            else:
                self.note_branch(args, key, "added", args_slot.covered)
                self.seq_edit(args).appended.extend([flag, value])
            self.record("append", resource, keys, MISSING, spec.value.text, spec.source, args.line + 1 if isinstance(args, Sequence) else 0)

    def _list_command(self, resource: Resource, args_slot: _Slot, spec: ArgsSpec) -> bool:
        """Is the command a list (so new args must be one too)? In a template,
        refused where that depends on which branch renders."""
        commands = self.slots(resource.node, "command")
        lists = [c for c in commands if isinstance(c.get(), (Sequence, list))]
        if not lists:
            return False
        if len(lists) != len(commands) or (len(commands) == 1 and not self._encloses(commands[0], args_slot)):
            raise self._error(ValueTypeError, f"command (line {lists[0].line()}) is a list only in some template "
                              "branches, so whether args must be a list depends on the branch; add args in each "
                              "branch by hand", spec.source, spec.selector.span, resource.node)
        return True

    def _args_string(self, spec: ArgsSpec, resource: Resource, slot: _Slot, args: Any) -> None:
        key = spec.key.name  # type: ignore[union-attr]
        old_text = self.real_value(args) if isinstance(args, Scalar) else str(args.value)
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
                raise self._error(
                    ValueTypeError, f"args string already has {flag} (as {given!r}); edit it with -a "
                    f"'{spec.selector.pattern}=...'", spec.source, spec.key.span,  # type: ignore[union-attr]
                    args if isinstance(args, Scalar) else resource.node,  # a pending value has no position yet
                )
        addition = f"{flag} {render.shell_word(spec.value.text)}"  # as render writes a mapping's value
        new = self._with_suffix(args, old_text, " " + addition) if old_text else NewScalar(addition)
        self._set_leaf(slot, new, resource, ("args",), spec.source)

    def _with_suffix(self, node: Any, text: str, suffix: str) -> NewScalar:
        """``text``, the string at ``node``, with ``suffix`` joining its last
        line (``render.appended``). Where the scalar's style allows, only the
        suffix is written, so the rest (and any template markup) stays as it
        was; a quoted string ending in a line break or a tagged one is
        rewritten whole, which markup in it would not survive."""
        full = render.appended(text, suffix)
        if isinstance(node, AppendedScalar) and full == node.value + suffix:  # a second append to one scalar
            return AppendedScalar(full, None, node.base, node.suffix + suffix)
        if not isinstance(node, Scalar):
            return NewScalar(full)
        if node.tag is None and (node.style in ("|", ">") or full.endswith(suffix)):
            return AppendedScalar(full, None, node, suffix)
        template = self.index.template
        if template is not None and template.touches_markup(node.start, node.end):
            raise ValueTypeError(f"this value holds template markup, and adding {suffix.strip()!r} means rewriting "
                                 "it whole (it ends in a line break, or has a tag)", line=node.line + 1,
                                 column=node.column + 1)
        return NewScalar(full)

    def real_value(self, node: Scalar) -> str:
        """A scalar's string with its template markup, not the masked form."""
        template = self.index.template
        if template is None or not template.touches_markup(node.start, node.end):
            return node.value
        raw = self.index.source[self.index.content_start(node) : node.end]  # without its &anchor or !tag
        if "\n" not in raw and (node.style is None or (node.style == "'" and raw.endswith("'"))
                                 or (node.style == '"' and "\\" not in raw)):
            return raw if node.style is None else raw[1:-1].replace("''", "'") if node.style == "'" else raw[1:-1]
        raise ValueTypeError("this value holds template markup over several lines or with escapes; taskpatch "
                             "cannot read it without rendering the template", line=node.line + 1,
                             column=node.column + 1)

    def _live(self, node: Any, spec: SpecRef, span: Span | None) -> Any:
        """The plain value at ``node`` as this plan has left it so far."""
        node = self._check_node(node, spec, span)
        if isinstance(node, Scalar):
            template = self.index.template
            if template is not None and template.touches_markup(node.start, node.end):
                return render.Verbatim(self.real_value(node))
            return scalar_value(node.value, node.style, node.tag)
        if isinstance(node, NewScalar):
            if self.index.template is not None and isinstance(node.value, str) and "{{" in node.value:
                from .template import has_markup

                if has_markup(node.value):  # a value with its markup, edited: its words are the template's
                    return render.Verbatim(node.value)
            return node.value
        if isinstance(node, Sequence):
            self._same_in_every_branch(node)
        if isinstance(node, (Sequence, list)):
            return [self._live(slot.get(), spec, span) for slot in _seq_slots(self, node)]
        if isinstance(node, dict):
            return {k: self._live(v, spec, span) for k, v in node.items()}
        self._same_in_every_branch(node)
        edit = self.map_edits.get(id(node))
        keys = [k.value for k in node.keys if isinstance(k, Scalar)]
        keys += [k for k, (kind, _) in edit.actions.items() if kind == INSERT] if edit else []
        live = {key: _Slot(self, node, key).get() for key in keys}
        return {key: self._live(value, spec, span) for key, value in live.items() if value is not MISSING}

    def _same_in_every_branch(self, node: Mapping | Sequence) -> None:
        """Refuse to read a collection as one value when some of its entries
        sit inside template blocks of their own: it renders differently
        depending on them (`args:` with `{{ if .gpu }}gpus: 1{{ end }}`)."""
        template = self.index.template
        if template is None:
            return
        parent = self.index.parents().get(id(node))
        owner = parent[1] if parent is not None and parent[1] is not None else node
        depth = len(template.branch_at(owner.start))
        entries = node.keys if isinstance(node, Mapping) else node.items
        inside = next((e for e in entries if len(template.branch_at(e.start)) > depth), None)
        if inside is not None:
            raise ValueTypeError("this entry sits inside a template block of its own, so the value around it "
                                 "differs by branch and cannot be read as one", line=inside.line + 1,
                                 column=inside.column + 1)

    def _command_text(self, command: Any) -> str:
        if not isinstance(command, Scalar):
            return seed_text_of(command)
        try:
            return self.real_value(command)
        except ValueTypeError:
            # Only the suffix is written (the applier refuses where it cannot
            # be); the masked text serves for the plan's display and checks.
            return command.value

    def _render(self, spec: RenderSpec, resource: Resource) -> None:
        """Fold ``args`` into ``command`` and drop ``args``, as ``task.start()`` did.

        In a template, ``args`` and ``command`` may each be written inside
        {{ if }} blocks. Each command gets the args that render with it,
        provided that is the same whichever branches render; and args are
        only dropped where a command took them. Anything else is refused
        rather than guessed."""
        found = [(slot, self._live(slot.get(), spec.source, None)) for slot in self.slots(resource.node, "args")
                 if slot.get() is not MISSING]
        if not any(args for _, args in found):
            return  # as upstream: `if not r.get('args'): continue`
        commands = self.slots(resource.node, "command")
        for args_slot, args in found:
            if args and len(commands) == 1 and not self._encloses(commands[0], args_slot):
                raise self._error(ValueTypeError, f"command (line {commands[0].line()}) is written inside a template "
                                  f"block that args (line {args_slot.line()}) is outside of, so folding would lose "
                                  "the args where that block does not render; fold them by hand", spec.source, None,
                                  args_slot.get())
        folded: list[_Slot] = []
        for command_slot in commands:
            seen = [(slot, args) for slot, args in found if not self._exclusive(slot, command_slot)]
            if not any(args for _, args in seen):
                continue
            shared = len(seen) == 1 and self._encloses(seen[0][0], command_slot)
            if not shared and any(args != seen[0][1] for _, args in seen[1:]) or len(seen) == 1 and not shared:
                lines = ", ".join(str(slot.line()) for slot, _ in seen)
                raise self._error(ValueTypeError, f"args (line {lines}) are written per template branch, and not "
                                  f"the same in each, but command (line {command_slot.line()}) renders with all of "
                                  "them; write command in each branch too", spec.source, None, seen[0][0].get())
            self._fold(spec, resource, command_slot, seen[0][1], seen[0][0])
            folded += [slot for slot, _ in seen if slot not in folded]
        for args_slot in folded:
            old_args = args_slot.get()
            args_slot.delete()
            if isinstance(old_args, Node):
                self.record("delete", resource, ("args",), old_args, None, spec.source, args_slot.line(old_args))
            else:  # args this plan added: folded away, so they never reach the file
                self.forget(resource, ("args",))

    def _exclusive(self, a: _Slot, b: _Slot) -> bool:
        """Do two slots of one mapping sit in different branches of one template block?"""
        template = self.index.template
        if template is None:
            return False
        from .template import exclusive

        return exclusive(template.branch_at(_slot_anchor(a).start), template.branch_at(_slot_anchor(b).start))

    def _encloses(self, outer: _Slot, inner: _Slot) -> bool:
        """Does ``outer`` render whenever ``inner`` does (its branch encloses inner's)?"""
        template = self.index.template
        if template is None:
            return True
        a, b = template.branch_at(_slot_anchor(outer).start), template.branch_at(_slot_anchor(inner).start)
        return b[: len(a)] == a

    def _fold(self, spec: RenderSpec, resource: Resource, command_slot: _Slot, args: Any, args_slot: _Slot) -> None:
        """Append ``args`` to the command at ``command_slot``, in its form."""
        command = self._check_node(command_slot.get(), spec.source, None)
        try:
            if command is MISSING or _is_null(command):
                words = render.argv_items(args, spec.style) if isinstance(args, list) else None
                new: Any = [NewScalar(w) for w in words] if words is not None else NewScalar(
                    render.command_text(args, spec.style))
                self._set_leaf(command_slot, new, resource, ("command",), spec.source, action="render",
                               shown=to_plain(new))
            elif isinstance(command, (Sequence, list)):
                items = [NewScalar(i) for i in render.argv_items(args, spec.style)]
                if isinstance(command, list):
                    command.extend(items)
                else:
                    self.seq_edit(command).appended.extend(items)
                self.record("render", resource, ("command",), MISSING, [i.value for i in items], spec.source,
                            command_slot.line(command))
            elif isinstance(command, (Mapping, dict)):
                raise self._error(ValueTypeError, "command is a mapping, so args cannot be folded into it", spec.source,
                                  None, command if isinstance(command, Mapping) else resource.node)
            else:
                new = self._with_suffix(command, self._command_text(command),
                                        " " + render.command_text(args, spec.style))
                self._set_leaf(command_slot, new, resource, ("command",), spec.source, action="render", old=command)
        except ValueError as exc:  # shlex on a string args with an open quote
            raise self._error(ValueTypeError, f"args cannot be split into words: {exc}", spec.source, None,
                              args_slot.get()) from None

    def _args_replace(self, spec: ArgsReplace, resource: Resource) -> None:
        for slot in self.slots(resource.node, "args"):
            self._set_leaf(slot, python_to_new(spec.value, resource.node.depth + 1), resource, ("args",),
                           spec.source)

    # -- result ---------------------------------------------------------------
    def plan(self, specs: Iterable[Spec]) -> Plan:
        for spec in specs:
            self.apply(spec)
        if self.errors:
            raise self.errors[0] if len(self.errors) == 1 else PlanErrors(self.errors)
        changes: list = []
        for edit in self.map_edits.values():
            if edit.actions:
                changes.append(MappingChange(edit.node, tuple((k, kind, v) for k, (kind, v) in edit.actions.items())))
        for sedit in self.seq_edits.values():
            if sedit.replaced or sedit.deleted or sedit.appended:
                changes.append(SequenceChange(sedit.node, tuple(sorted(sedit.replaced.items())),
                                              frozenset(sedit.deleted), tuple(sedit.appended)))
        return Plan(tuple(self.journal.values()), tuple(changes), tuple(self.warnings))


def _slot_anchor(slot: _Slot) -> Any:
    """The node whose place in the text says which template branch a slot is in."""
    container, key = slot.container, slot.key
    if isinstance(container, Mapping):
        i = _position(container, key)
        if i is not None:
            return container.keys[i]
    return container


def _item_field_text(item: Any) -> str | None:
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


def make_plan(
    index: YamlIndex, specs: list[Spec], *, task: str | None = None, resources: str | None = None,
    file: str | None = None,
) -> Plan:
    """Resolve ``specs`` against the indexed text."""
    if not specs:
        return Plan((), ())
    groups = find_groups(index, task=task, resources=resources, file=file)
    return Planner(index, groups, file).plan(specs)

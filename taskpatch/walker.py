"""The generic half of planning: specs to resources to slots.

``Walker`` selects the resources a spec names, follows its path (through
template branches, creating mappings where asked), and records each edit
in the plan's journal; a later edit of a path supersedes earlier ones.
``kinds/`` says what each spec kind does at the slots it reaches.
"""

from __future__ import annotations

import fnmatch
import re
from typing import Any, Callable, Iterable

from . import render
from .errors import (
    PathError,
    PlanErrors,
    SelectorError,
    SpecRef,
    TaskpatchError,
    ValueTypeError,
    did_you_mean,
)
from .locate import Resource, ResourceGroup
from .overlay import (
    MISSING,
    Overlay,
    SharedUse,
    Slot,
    item_field,
    key_position,
    merged_from,
    seq_slots,
    slot_anchor,
)
from .plan import MappingChange, Plan, SequenceChange
from .scalars import AppendedScalar, NewScalar
from .spec_ast import Index, Key, PathStep, Selector, Span, Spec, path_text
from .values import describe, is_empty_flow, is_null, same_scalar, to_plain
from .yaml_index import Alias, Mapping, Scalar, Sequence, YamlIndex

Handler = Callable[["Walker", Any, Resource], None]
Guard = Callable[[Any, int], None]  # (the mapping, the step's position in the path)


def matching(selector: Selector, resources: list[Resource]) -> list[Resource]:
    """The resources a selector names (a glob is compiled once, not per resource)."""
    if selector.is_pattern:
        matches = re.compile(fnmatch.translate(selector.pattern)).match
        return [r for r in resources if matches(r.name)]
    return [r for r in resources if r.name == selector.pattern]


def some_names(names: list[str], limit: int = 8) -> str:
    """A list of names short enough for a one-line error."""
    if not names:
        return "none"
    shown = ", ".join(names[:limit])
    return shown if len(names) <= limit else f"{shown}, ... ({len(names) - limit} more)"


class Walker(Overlay):
    """Selects resources, walks spec paths to slots, records what each edit
    did (the plan's journal) and gathers errors. What an edit *means* for
    each kind of spec lives in ``kinds/``, over this."""

    def __init__(self, index: YamlIndex, groups: list[ResourceGroup], file: str | None = None,
                 share_anchors: bool = True) -> None:
        super().__init__(index, file)
        self.groups = groups
        self.share_anchors = share_anchors
        self.journal: dict[tuple, tuple[Any, ...]] = {}  # (resource, path) -> Operation's fields
        self._journal_paths: dict[int, set[tuple[str, ...]]] = {}  # per resource, so record() stays O(1)-ish
        self.per_spec: dict[int, Any] = {}  # id(spec) -> what every resource would compute the same
        self.errors: list[TaskpatchError] = []

    def typing_old(self, old: Any, slot: Slot | None = None) -> Any:
        """The old value a new one takes its type from. A value that is one
        template action (`replicas: {{ .n }}`) has no type until rendered,
        so the new value is typed as a new one. A key the resource gets from
        a `<<:` merge has the merged value as its old one."""
        if old is MISSING and slot is not None and isinstance(slot.container, Mapping) and isinstance(slot.key, str):
            merge = merged_from(slot.container, slot.key)
            if merge is not None:
                return merge.target.get(slot.key)  # type: ignore[union-attr]
        template = self.index.template
        if template is not None and old.__class__ is Scalar and template.is_markup(self.index.content_start(old),
                                                                                  old.end):
            return MISSING
        return old

    def alternatives(self, nodes: list[Any]) -> bool:
        """Are these nodes one thing written once per {{ if }}/{{ else }} branch?"""
        template = self.index.template
        if template is None:
            return False
        from .template import alternatives  # only templates have branches

        branches = [template.branch_at(node.start) for node in nodes]
        return all(alternatives(a, b) for i, a in enumerate(branches) for b in branches[i + 1 :])

    def exclusive(self, a: Slot, b: Slot) -> bool:
        """Do two slots of one mapping sit in different branches of one template block?"""
        template = self.index.template
        if template is None:
            return False
        from .template import exclusive

        return exclusive(template.branch_at(slot_anchor(a).start), template.branch_at(slot_anchor(b).start))

    def encloses(self, outer: Slot, inner: Slot) -> bool:
        """Does ``outer`` render whenever ``inner`` does (its branch encloses inner's)?"""
        template = self.index.template
        if template is None:
            return True
        a, b = template.branch_at(slot_anchor(outer).start), template.branch_at(slot_anchor(inner).start)
        return b[: len(a)] == a

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
            describe(old) if old is not MISSING else None, to_plain(new), spec, line or resource.node.line + 1,
        )

    def error(self, cls: type[TaskpatchError], message: str, spec: SpecRef, span: Span | None,
               node: Any = None) -> TaskpatchError:
        line = column = None
        if isinstance(node, (Scalar, Mapping, Sequence, Alias)):
            line, column = node.line + 1, node.column + 1
        return cls(
            message, file=self.file, line=line, column=column, spec=spec,
            spec_column=None if span is None else span.start + 1 + spec.column_offset,
        )

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
                f"no resource matches {selector.pattern!r} (resources: {some_names(names)}){hint}",
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

    def check_node(self, node: Any, spec: SpecRef, span: Span | None, into: bool = False) -> Any:
        """``node``, unless it is an alias: then the path would edit what
        every user of the anchor shares. Going ``into`` a shared collection
        is allowed for now (``note_shared``); replacing an alias is not."""
        if isinstance(node, Alias):
            error = self.error(
                PathError,
                f"the path goes through the alias *{node.anchor} (anchor &{node.anchor}"
                f"{f' at line {self.index.line_of(node.target.start) + 1}' if node.target is not None else ''}); "
                "editing it would change every node that shares the anchor (--copy-aliases gives this "
                "resource its own copy first)",
                spec, span, node,
            )
            error.alias = node  # type: ignore[attr-defined]  # what Document(copy_aliases=True) copies
            if into and self.share_anchors and isinstance(node.target, (Mapping, Sequence)):
                self.enter(node, node.target, error)  # type: ignore[arg-type]  # a PathError, made just above
                return node.target
            raise error
        if into and node.__class__ is not Scalar and getattr(node, "anchor", None) is not None:
            self.enter(node, node)  # into an anchored value by its own place
        return node

    def _descend(self, current: Any, step: PathStep, spec: SpecRef, create: bool) -> list[Slot]:
        """The slots ``step`` names inside ``current`` (one, or one per
        template branch); empty when absent and not creating."""
        if isinstance(step, Key):
            if isinstance(current, (Scalar, NewScalar)):
                raise self.error(
                    PathError,
                    f"cannot go into key {step.name!r}: the value here is the scalar {describe(current)!r}",
                    spec, step.span, current,
                )
            if isinstance(current, (Sequence, list)):
                raise self.error(
                    PathError, f"key {step.name!r} used on a sequence; use [N] or [key=value]",
                    spec, step.span, current,
                )
            return self.slots(current, step.name)
        if isinstance(current, (Mapping, dict)):
            raise self.error(PathError, "an index or [key=value] filter used on a mapping", spec, step.span, current)
        if isinstance(current, (Scalar, NewScalar)):
            raise self.error(
                PathError, f"cannot index into the scalar {describe(current)!r}", spec, step.span, current
            )
        slots = seq_slots(self, current)
        if isinstance(step, Index):
            if step.position < len(slots):
                return [slots[step.position]]
            if not create:
                return []
            raise self.error(
                PathError, f"index {step.position} is past the end of a sequence of {len(slots)} items",
                spec, step.span, current,
            )
        for slot in slots:
            if item_field(self, slot.get(), step.key) == step.value:
                return [slot]
        if not create:
            return []
        raise self.error(
            PathError, f"no item of the sequence has {step.key} = {step.value!r}", spec, step.span, current
        )

    def walk(self, resource: Resource, path: tuple[PathStep, ...], spec: SpecRef, create: bool,
             guard: Guard | None = None) -> list[Slot]:
        """Follow all but the last step (creating mappings), then return the last
        slot; one per branch where a key on the way stands once per {{ if }}/{{ else }}
        branch of a template. Empty when something is absent and not creating.
        ``guard(mapping, i)`` is asked before step ``i`` creates its key in ``mapping``."""
        return self._walk_from(resource, resource.node, path, 0, spec, create, guard)

    def _walk_from(self, resource: Resource, current: Any, path: tuple[PathStep, ...], start: int, spec: SpecRef,
                   create: bool, guard: Guard | None, covered: frozenset[int] = frozenset()) -> list[Slot]:
        last = len(path) - 1
        for i in range(start, len(path)):
            step = path[i]
            if i < last and step.__class__ is Key and current.__class__ is Mapping and id(current) not in self.map_edits:
                # The common case, without slots: an existing, untouched,
                # non-empty mapping under a key that stands once.
                j = current.find(step.name)  # type: ignore[attr-defined]
                if j is not None and not current.is_duplicate(step.name):  # type: ignore[attr-defined]
                    value = current.values[j]
                    # (not an anchored one: going into it is noted, see check_node)
                    if value.__class__ is Mapping and value.keys and value.anchor is None:
                        current = value
                        continue
            slots = self._descend(current, step, spec, create)
            if guard is not None and step.__class__ is Key and len(slots) == 1 and slots[0].get() is MISSING:
                guard(current, i)
            for slot in slots if covered else ():
                slot.covered |= covered  # below a key written once per branch: every branch gets it
            if not slots or i == last:
                return slots
            if len(slots) > 1:  # a key written once per template branch: walk on in each
                found = []
                for slot in slots:
                    child = self._child(resource, current, slot, path, i, spec, create)
                    if child is not MISSING:
                        found += self._walk_from(resource, child, path, i + 1, spec, create, guard,
                                                 covered | slot.covered)
                return found
            current = self._child(resource, current, slots[0], path, i, spec, create)
            if current is MISSING:
                return []
        return []  # pragma: no cover - paths have at least one step

    def _child(self, resource: Resource, current: Any, slot: Slot, path: tuple[PathStep, ...], i: int,
               spec: SpecRef, create: bool) -> Any:
        """The container at ``slot`` to walk on into, created (as a mapping)
        when absent or empty and ``create``; MISSING when absent otherwise."""
        step = path[i]
        child = self.check_node(slot.get(), spec, step.span, into=True)
        if child is MISSING and isinstance(current, Mapping) and isinstance(step, Key):
            merge = merged_from(current, step.name)
            if merge is not None:
                raise self.error(
                    PathError,
                    f"{step.name!r} comes from <<: *{merge.anchor} (line {merge.line + 1}); a nested edit here "
                    f"would replace all of it. Set it in &{merge.anchor}, or give this resource its own "
                    f"{step.name!r} first", spec, step.span, merge,
                )
        # An empty list an earlier spec wrote (`-s 'w.args=[]'`) is an empty
        # value on the way too, as `[]` in the file would be on the next run.
        if child is MISSING or is_null(child) or is_empty_flow(child) or (
                child.__class__ is list and not child):
            if not create:
                return MISSING
            if not isinstance(path[i + 1], Key):
                raise self.error(
                    PathError, f"{path_text(path[: i + 1])} is empty, so {path_text(path[i + 1 : i + 2])} "
                    "selects nothing", spec, path[i + 1].span, resource.node,
                )
            created: dict[str, Any] = {}
            slot.set(created)
            child = created
        return child

    def apply(self, spec: Spec, handler: Handler) -> None:
        """Make ``spec``'s edits in every resource it selects; errors are
        gathered, so that one run reports them all."""
        try:
            resources = self.select(spec.selector, spec.source)
        except TaskpatchError as exc:
            self.errors.append(exc)
            return
        for resource in resources:
            self.resource = resource
            try:
                handler(self, spec, resource)
            except TaskpatchError as exc:
                self._place_error(exc, spec, resource)
        self.resource = None
        self.settle_shared(spec)

    def _place_error(self, exc: TaskpatchError, spec: Spec, resource: Resource) -> None:
        exc.with_file(self.file) if self.file else None
        if exc.spec is None:  # raised below the spec level: say which spec met it
            exc.spec = spec.source
        if exc.line is None:  # met in content this plan made, with no place in the file yet
            exc.line, exc.column = resource.node.line + 1, resource.node.column + 1
        self.errors.append(exc)

    def settle_shared(self, spec: Spec) -> None:
        """After a spec: edits inside a value that aliases share stand when
        the spec reached it from every user of the anchor (the resource
        holding the anchored value and each holding an alias), since one
        spec gives each the same edit: editing the anchored value once is
        what was asked. A value anchored outside every resource (a top-level
        ``defaults: &d``) is data of its own that nobody asked to change.
        Otherwise each resource meets the refusal it would have met alone."""
        uses, self.shared = self.shared, {}
        for use in uses.values():
            if use.edited:  # else only passed through, changing nothing
                hint = self._unshareable(use) if self.share_anchors else ""
                if hint is None:
                    continue
                for resource, error in use.errors.values():
                    error.message += hint
                    self._place_error(error, spec, resource)

    def _unshareable(self, use: SharedUse) -> str | None:
        """Why an edit of a shared value cannot be made once (as a hint for
        the refusal), or None when it can, with a warning that says so."""
        places = (use.anchored, *use.aliases)
        holders = [self.holder(node) for node in places]
        names = ", ".join(dict.fromkeys(h.name if h is not None else f"line {n.line + 1}"
                                        for h, n in zip(holders, places)))
        if holders[0] is None or not all(id(place) in use.entered for place in places):
            return (f" ({names} share it at lines {', '.join(str(self.index.line_of(n.start) + 1) for n in places)}: "
                    "one spec that reaches it by each of them edits it once)")
        inside = next((n for h, n in zip(holders, places) if self.conditional(n, h)), None)
        if inside is not None:
            return (f" (line {inside.line + 1} renders only in a template branch its resource is outside of, so "
                    "an edit made once would not reach every rendering)")
        self.warnings.append(f"{names}: share &{use.anchored.anchor} (line {self.index.line_of(use.anchored.start) + 1})"
                             ", so the edit is made there once, and every one of them has it")
        return None

    def conditional(self, node: Any, holder: Resource | None) -> bool:
        """Is ``node`` inside a template block its resource is outside of?
        Then it renders only with that branch, and so does an edit made
        through it: sharing would miss the renderings without it."""
        template = self.index.template
        return template is not None and holder is not None and len(template.branch_at(node.start)) > len(
            template.branch_at(holder.node.start))

    def holder(self, node: Any) -> Resource | None:
        """The resource whose entry holds ``node``, if any."""
        return next((r for g in self.groups for r in g.resources if r.node.start <= node.start < r.node.end), None)

    def set_leaf(self, slot: Slot, new: Any, resource: Resource, keys: tuple[str, ...], spec: SpecRef,
                  action: str = "set", old: Any = None, shown: Any = MISSING) -> None:
        """Set ``new`` at ``slot`` and record it; ``shown`` is what the plan
        lists when ``new`` is a whole container created to hold one value."""
        old = slot.get() if old is None else old  # callers that just read it pass it on
        if isinstance(new, NewScalar) and (same_scalar(old, new) or (
                # set so already by an earlier edit of this plan (through an anchor another user shares, say)
                old.__class__ is new.__class__ is NewScalar and type(old.value) is type(new.value) and old == new)):
            container, i = slot.container, None
            if isinstance(container, Mapping):
                i = key_position(container, slot.key)
            if i is not None:  # already so here: but maybe only in one branch
                self.note_branch(container.keys[i], slot.key, "already set", slot.covered)
            return
        line = slot.line(old)
        slot.set(new)
        self.record(action if old is not MISSING else "add", resource, keys, old, new if shown is MISSING else shown,
                    spec, line)

    def path_keys(self, path: tuple[PathStep, ...]) -> tuple[str, ...]:
        return tuple(s.name if isinstance(s, Key) else path_text((s,)) for s in path)

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

    def with_suffix(self, node: Any, text: str, suffix: str) -> NewScalar:
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

    def plan(self, specs: Iterable[Spec], handlers: dict[type, Handler]) -> Plan:
        """The net effect of ``specs``, each handled by ``handlers[type(spec)]``."""
        for spec in specs:
            self.apply(spec, handlers[type(spec)])
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

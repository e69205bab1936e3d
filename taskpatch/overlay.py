"""The overlay of pending edits, and the slots that read and write through it.

Specs apply in order, and a later spec sees what earlier ones did: each
existing container an edit touches gets a record of its pending changes
(``MapEdit``, ``SeqEdit``), and a ``Slot`` is one place a value is read
from or written to, old or new. Anchors shared by aliases and template
branches are checked here, at the moment an edit is made.
"""

from __future__ import annotations

from typing import Any

from .errors import PathError
from .locate import Resource
from .plan import DELETE, INSERT, REPLACE
from .values import item_text
from .yaml_index import Alias, Mapping, Node, Scalar, Sequence, YamlIndex

MISSING = object()
_INSIDE_SHARED = ("this is inside &{anchor} (line {line}), which *{anchor} also uses (line {users}); changing it "
                  "would change every user, so select every user, edit the anchor's definition itself, or give this "
                  "resource its own copy")


class MapEdit:
    def __init__(self, node: Mapping) -> None:
        self.node = node
        self.actions: dict[str, tuple[str, Any]] = {}


class SeqEdit:
    def __init__(self, node: Sequence) -> None:
        self.node = node
        self.replaced: dict[int, Any] = {}
        self.deleted: set[int] = set()
        self.appended: list[Any] = []


class Slot:
    """A place a value can be read from or written to, old or new.
    ``covered``: the template block depths at which the way here forked
    into every branch (a key written once per branch), so that the edit
    goes into each."""

    def __init__(self, overlay: Overlay, container: Any, key: Any, covered: frozenset[int] = frozenset()) -> None:
        self.overlay, self.container, self.key, self.covered = overlay, container, key, covered

    def get(self) -> Any:
        container, key = self.container, self.key
        kind_of = container.__class__  # exact classes, most common first: the planner's hot path
        if kind_of is Mapping:
            entries = self.overlay.map_edits.get(id(container))
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
        items = self.overlay.seq_edits.get(id(container))
        where, i = key
        if where == "new":
            return items.appended[i]  # type: ignore[union-attr]  # "new" slots exist only with an edit
        if items and i in items.replaced:
            return items.replaced[i]
        return container.items[i]

    def set(self, value: Any) -> None:
        container, key = self.container, self.key
        if isinstance(container, (dict, list)):
            self.overlay.touch(container)
            container[key] = value
            self.overlay.adopt(value, self.overlay.owners.get(id(container)))
            return
        self.overlay.adopt(value, container)
        if isinstance(container, Mapping):
            entries = self.overlay.map_edit(container)
            i = key_position(container, key)
            if i is not None:
                self.overlay.check_removable(container.values[i])  # `cpu: &c 1`, used elsewhere as *c
                self.overlay.note_branch(container.keys[i], key, "set", self.covered)
            else:
                self.overlay.note_branch(container, key, "added", self.covered)
            entries.actions[key] = (REPLACE if i is not None else INSERT, value)
        else:
            items = self.overlay.seq_edit(container)
            where, i = key
            if where == "new":
                items.appended[i] = value
            else:
                self.overlay.check_removable(container.items[i])
                items.replaced[i] = value

    def delete(self) -> None:
        container, key = self.container, self.key
        if isinstance(container, (dict, list)):
            self.overlay.touch(container)
        if isinstance(container, dict):
            container.pop(key, None)
        elif isinstance(container, list):
            del container[key]
        elif isinstance(container, Mapping):
            entries = self.overlay.map_edit(container)
            i = key_position(container, key)
            if i is None:
                entries.actions.pop(key, None)
            else:
                self.overlay.check_removable(container.values[i])
                self.overlay.note_branch(container.keys[i], key, "deleted", self.covered)
                entries.actions[key] = (DELETE, None)
        else:
            items = self.overlay.seq_edit(container)
            where, i = key
            if where == "new":
                del items.appended[i]
            else:
                self.overlay.check_removable(container.items[i])
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


def key_position(mapping: Mapping, key: Any) -> int | None:
    """Where a slot's key stands: a (name, position) key names its position."""
    return key[1] if key.__class__ is tuple else mapping.find(key)


def seq_slots(overlay: Overlay, seq: Any) -> list[Slot]:
    """The live items of a sequence, old (minus deleted) then appended."""
    if isinstance(seq, list):
        return [Slot(overlay, seq, i) for i in range(len(seq))]
    edit = overlay.seq_edits.get(id(seq))
    deleted = edit.deleted if edit else set()
    slots = [Slot(overlay, seq, ("old", i)) for i in range(len(seq.items)) if i not in deleted]
    if edit:
        slots += [Slot(overlay, seq, ("new", j)) for j in range(len(edit.appended))]
    return slots


def live_entries(overlay: Overlay, node: Any) -> list[str]:
    """What a collection holds as this plan has left it so far, named for a
    message: a mapping's keys, a list's positions. Empty for a scalar (and
    an empty collection: replacing that loses nothing)."""
    if isinstance(node, dict):
        return list(node)
    if isinstance(node, (Sequence, list)):
        return [f"[{i}]" for i in range(len(seq_slots(overlay, node)))]
    if not isinstance(node, Mapping):
        return []
    edit = overlay.map_edits.get(id(node))
    names = [k.value if isinstance(k, Scalar) else "?" for k in node.keys]
    names += [k for k, (kind, _) in edit.actions.items() if kind == INSERT] if edit else []
    return [name for name in names if name == "?" or Slot(overlay, node, name).get() is not MISSING]


def merge_sources(mapping: Mapping) -> list[Alias]:
    """The ``<<: *alias`` (or ``<<: [*a, *b]``) mappings ``mapping`` merges in."""
    merge = mapping.get("<<")
    sources = merge.items if isinstance(merge, Sequence) else [merge]
    return [s for s in sources if isinstance(s, Alias) and isinstance(s.target, Mapping)]


def merged_from(mapping: Mapping, key: str) -> Alias | None:
    """The ``<<: *alias`` through which ``mapping`` gets ``key``, if any."""
    return next((s for s in merge_sources(mapping) if s.target.find(key) is not None), None)  # type: ignore[union-attr]


def item_field(overlay: Overlay, item: Any, key: str) -> Any:
    """``item[key]`` as a plain string for filters (None when not a scalar).
    An item that is an alias (`- *entry`) is read through it."""
    if item.__class__ is Alias and item.target is not None:
        item = item.target
    if item.__class__ is Mapping and id(item) not in overlay.map_edits and not item.is_duplicate(key):
        return item.scalar_value(key)  # untouched: read the file directly
    if isinstance(item, (Mapping, dict)):
        return item_text(Slot(overlay, item, key).get())
    return None


def slot_anchor(slot: Slot) -> Any:
    """The node whose place in the text says which template branch a slot is in."""
    container, key = slot.container, slot.key
    if isinstance(container, Mapping):
        i = key_position(container, key)
        if i is not None:
            return container.keys[i]
    return container


class SharedUse:
    """How the resources of one spec used one anchored value that aliases share."""

    def __init__(self, anchored: Node, aliases: list[Node]) -> None:
        self.anchored, self.aliases = anchored, aliases
        # The places a walk entered it by: the anchored value's own (its id)
        # or an alias's. An edit made once stands only if it came by all.
        self.entered: set[int] = set()
        self.edited = False
        # Per resource, the refusal it meets if the edit cannot be shared:
        # the alias it went through, or the edit inside the shared value.
        self.errors: dict[int, tuple[Resource, PathError]] = {}


class Overlay:
    """The pending edits of a plan, over the index: what each existing
    mapping and sequence will have once the plan is written. New content
    lives in plain dicts and lists that later edits change directly."""

    def __init__(self, index: YamlIndex, file: str | None = None) -> None:
        self.index = index
        self.file = file
        self.map_edits: dict[int, MapEdit] = {}
        self.seq_edits: dict[int, SeqEdit] = {}
        self.warnings: list[str] = []
        self.resource: Resource | None = None  # the one being edited, for warnings
        # Per anchored value that aliases share (by id): the node, the
        # resources that reached it through an alias, and those that edited
        # inside it, each with the refusal it meets unless every user of
        # the anchor gets the edit (Walker.settle_shared).
        self.shared: dict[int, SharedUse] = {}
        # New content (plain dicts and lists) -> the existing node it was put
        # in, kept where aliases share something: an edit of new content
        # inside a shared value is an edit of that value too.
        self.owners: dict[int, Node] = {}

    def check_removable(self, node: Any) -> None:
        """Refuse to replace or delete a value that defines an anchor an
        alias elsewhere still uses (it would be left dangling); note one
        that lies inside a shared anchor (``note_shared``)."""
        if isinstance(node, (Scalar, Mapping, Sequence)):
            found = self.index.sharing(node)
            if found is not None and found[0] is node:  # the shared value itself: its anchor would go with it
                raise self.anchor_error(node, found, _INSIDE_SHARED)
            self.note_shared(node)
            found = self.index.used_elsewhere(node)
            if found is not None:
                raise self.anchor_error(node, found, "this value defines &{anchor} (line {line}), which *{anchor} "
                                        "uses at line {users}; replacing or deleting it would leave that alias "
                                        "dangling, so move the anchor or replace the alias first")

    def _use(self, anchored: Node, aliases: list[Node]) -> SharedUse:
        use = self.shared.get(id(anchored))
        if use is None:
            use = self.shared[id(anchored)] = SharedUse(anchored, aliases)
        return use

    def note_shared(self, node: Any) -> None:
        """An edit inside ``node``. Inside values that aliases share (an
        anchor may hold another), it stands only if the spec came into each
        by every one of its places, the anchored value and each alias, so
        that editing it once is what was asked; else it meets its refusal."""
        if not self.index.shared or not isinstance(node, (Scalar, Mapping, Sequence)) or self.resource is None:
            return  # the common case, first: a file without aliases (this runs on every edit)
        for found in self.index.sharings(node):
            use = self._use(*found)
            use.edited = True
            if id(self.resource.node) not in use.errors:
                error = self.anchor_error(node, found, _INSIDE_SHARED)
                error.shared = True  # type: ignore[attr-defined]  # copying the aliases (--copy-aliases) lifts it
                use.errors[id(self.resource.node)] = (self.resource, error)

    def enter(self, place: Node, anchored: Node, error: PathError | None = None) -> None:
        """A walk went into the shared value ``anchored`` by ``place``: the
        value's own, or an alias of it (then ``error`` is its refusal)."""
        users = next((users for value, users in self.index.shared if value is anchored), None)
        if users is None or self.resource is None:
            return
        use = self._use(anchored, users)
        use.entered.add(id(place))
        if error is not None:
            use.errors.setdefault(id(self.resource.node), (self.resource, error))

    def adopt(self, content: Any, owner: Node | None) -> None:
        """Note that new ``content`` (and what it holds) lives in ``owner``."""
        if not self.index.shared:
            return
        stack = [content]
        while stack:
            item = stack.pop()
            if isinstance(item, (dict, list)):
                if owner is None:
                    self.owners.pop(id(item), None)  # an id freed and reused must not keep an old owner
                else:
                    self.owners[id(item)] = owner
                stack.extend(item.values() if isinstance(item, dict) else item)

    def touch(self, content: Any) -> None:
        """An edit of new content: an edit inside the node it lives in."""
        owner = self.owners.get(id(content))
        if owner is not None:
            self.note_shared(owner)

    def anchor_error(self, node: Node, found: tuple[Node, list[Node]], message: str) -> PathError:
        anchored, users = found
        return PathError(message.format(anchor=anchored.anchor, line=self.index.line_of(anchored.start) + 1,
                                        users=", ".join(str(u.line + 1) for u in users)),
                         file=self.file, line=node.line + 1, column=node.column + 1)

    def slots(self, container: Any, key: str) -> list[Slot]:
        """The slots of ``key`` in ``container``: one per {{ if }}/{{ else }}
        branch where a template writes the key once per branch (the index
        allows such repeats only), so that each branch keeps its own value
        and gets its own edit; otherwise the one slot."""
        if container.__class__ is Mapping and container.is_duplicate(key):
            positions = container.positions(key)
            covered = frozenset({self._fork_depth([container.keys[i] for i in positions])})
            return [Slot(self, container, (key, i), covered) for i in positions]
        return [Slot(self, container, key)]

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

    def map_edit(self, node: Mapping) -> MapEdit:
        self.note_shared(node)  # on every edit, not once per mapping: each resource's counts
        edit = self.map_edits.get(id(node))
        if edit is None:
            edit = self.map_edits[id(node)] = MapEdit(node)
        return edit

    def seq_edit(self, node: Sequence) -> SeqEdit:
        self.note_shared(node)
        edit = self.seq_edits.get(id(node))
        if edit is None:
            edit = self.seq_edits[id(node)] = SeqEdit(node)
        return edit

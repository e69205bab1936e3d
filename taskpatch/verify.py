"""Read the patched text back and check it against the plan: black's "safe"
mode, for YAML. Nothing is written unless this passes.

Two independent accounts of the result are compared:

- the *expected* data: the input's nodes with the plan's changes applied at
  tree level (a mapping loses its deleted keys, gains its inserted ones, a
  replaced value becomes the plan's new value...). This reads only the index
  and the plan, never the text the applier produced;
- the *actual* data: the patched text, parsed again by the C parser. Its
  events are matched against the expected tree as they arrive, without
  building a second index: that would double the memory and cost more
  than the parse itself.

They must agree node for node: the same structure, the same values (typed as
YAML reads them, so ``'1'`` is not ``1``), tags, anchors and aliases. Styles,
comments and layout are free; the applier's job is to keep those, and the
fidelity tests check it.

A Go template is compared in its masked form. A string that holds markup is
compared with the markup and the whitespace around it ignored (masking makes
an action underscores, or a comment line, depending on what else shares its
line, which an edit may change); the markup itself is checked separately:
every action of the input is still in the output, in order, except those
inside values the plan replaced or deleted on purpose.
"""

from __future__ import annotations

import math
import re
from typing import TYPE_CHECKING, Any, Callable

from .errors import InternalError, TaskpatchError
from .plan import DELETE, INSERT, REPLACE, MappingChange, Plan, SequenceChange
from .scalars import InPlaceScalar, NewScalar, scalar_value
from ruamel.yaml.error import YAMLError
from ruamel.yaml.events import (
    AliasEvent,
    DocumentEndEvent,
    DocumentStartEvent,
    MappingEndEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceEndEvent,
    SequenceStartEvent,
    StreamEndEvent,
)

from .yaml_index import (
    Alias,
    Mapping,
    Node,
    Scalar,
    Sequence,
    YamlIndex,
    build_index,
    check_text,
    event_reader,
    position,
    scalar_node,
    yaml_syntax_error,
)

if TYPE_CHECKING:
    from .template import TemplateInfo

# What masking leaves where an action was: underscores inline, `#~~~` for a
# line of directives (see template.mask).
_MASKED = re.compile(r"[_#~]+")
_CORE_TAGS = frozenset({None, "?", "!"})


class VerificationError(InternalError):
    """The patched text would not read back as the plan says: a taskpatch bug.

    Nothing was written. The CLI reports it as an internal error (exit 3)."""


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _canonical(text: str) -> str:
    """A templated string with its markup (raw or masked) and the whitespace
    around it ignored."""
    from .template import find_actions

    for start, end in reversed(find_actions(text)):
        text = text[:start] + " " + text[end:]
    return " ".join(_MASKED.sub(" ", text).split())


def _same(expected: Any, actual: Any) -> bool:
    """Data equality that tells 1 from 1.0 from True, and NaN from nothing."""
    if type(expected) is not type(actual):
        return False
    if isinstance(expected, float) and math.isnan(expected):
        return math.isnan(actual)
    if isinstance(expected, tuple):
        return len(expected) == len(actual) and all(_same(a, b) for a, b in zip(expected, actual))
    return bool(expected == actual)


class _End:
    """Where the expected tree closes a collection: the next event must end it."""

    __slots__ = ("count", "mapping")

    def __init__(self, count: int, mapping: bool) -> None:
        self.count, self.mapping = count, mapping


class _Checker:
    def __init__(self, old: YamlIndex, plan: Plan, new: YamlIndex | None, file: str | None,
                 roots: list[Node | None] | None = None) -> None:
        self.old, self.file = old, file
        self.new = new  # a template's new index (for its markup); None for plain YAML
        self.new_template = None if new is None else new.template
        self.roots = old.roots if roots is None else roots  # the old nodes the new documents stand for
        self.map_changes: dict[int, MappingChange] = {}
        self.seq_changes: dict[int, SequenceChange] = {}
        for change in plan.changes:
            if isinstance(change, MappingChange):
                self.map_changes[id(change.node)] = change
            else:
                self.seq_changes[id(change.node)] = change

    # -- reporting ----------------------------------------------------------------
    def fail(self, event: Any, expected: str, read: str) -> VerificationError:
        mark = None if event is None else event.start_mark
        where = "" if mark is None else f" at {mark.line + 1}:{mark.column + 1}"
        return VerificationError(
            f"the patched text would read back differently{where} (expected {expected}, read {read})",
            file=self.file,
            line=None if mark is None else mark.line + 1,
            column=None if mark is None else mark.column + 1,
        )

    # -- values -------------------------------------------------------------------
    @staticmethod
    def old_datum(node: Scalar, template: TemplateInfo | None) -> Any:
        """A parsed scalar as data: typed, with a non-core tag kept beside the
        value, and a templated string in canonical form."""
        value = scalar_value(node.value, node.style, node.tag)
        if template is not None and template.touches_markup(node.start, node.end):
            return ("template", _canonical(str(value)))
        if node.tag not in _CORE_TAGS and not node.tag.startswith("tag:yaml.org,2002:"):  # type: ignore[union-attr]
            return ("tag", node.tag, value)
        return value

    def new_datum(self, value: NewScalar) -> Any:
        """A value the plan writes, as data."""
        data = value.value
        templated = self.old.template is not None and (
            (isinstance(data, str) and "{{" in data)
            or (isinstance(value, InPlaceScalar) and isinstance(value.base, Scalar)
                and self.old.template.touches_markup(value.base.start, value.base.end))
        )
        return ("template", _canonical(str(data))) if templated else data

    def compare_scalar(self, expected: Any, event: Any, text: str) -> None:
        if event.__class__ is not ScalarEvent:
            raise self.fail(event, _kind(expected), _event_kind(event))
        actual = scalar_node(event, text)
        if expected.__class__ is Scalar:
            want, got = self.old_datum(expected, self.old.template), self.old_datum(actual, self.new_template)
            if expected.anchor != actual.anchor:
                raise self.fail(event, f"anchor {expected.anchor!r}", f"anchor {actual.anchor!r}")
        else:
            want, got = self.new_datum(expected), self.old_datum(actual, self.new_template)
            if isinstance(want, tuple) and isinstance(got, tuple):
                pass  # both templated: compared canonically below
            elif isinstance(got, tuple) and got[0] == "template" and isinstance(want, str):
                want = ("template", _canonical(want))  # the new text masks markup the value brought
        if not _same(want, got):
            raise self.fail(event, _short(want), _short(got))

    # -- expected children ----------------------------------------------------------
    def expected_entries(self, node: Mapping) -> tuple[list[Any], list[Any]]:
        """The keys and the values ``node`` should read back with."""
        change = self.map_changes.get(id(node))
        if change is None:
            return node.keys, node.values
        actions = {i: (kind, value) for key, kind, value in change.actions for i in change.positions(key)}
        keys: list[Any] = []
        values: list[Any] = []
        for i, (key, value) in enumerate(zip(node.keys, node.values)):
            action = actions.get(i)
            if action is None or action[0] == REPLACE:
                keys.append(key)
                values.append(value if action is None else action[1])
            # DELETE: gone
        for key, kind, value in change.actions:
            if kind == INSERT:
                keys.append(NewScalar(key))
                values.append(value)
        return keys, values

    def expected_items(self, node: Sequence) -> list[Any]:
        change = self.seq_changes.get(id(node))
        if change is None:
            return list(node.items)
        replaced = dict(change.replaced)
        return [replaced.get(i, item) for i, item in enumerate(node.items) if i not in change.deleted] + list(
            change.appended)

    # -- the walk ---------------------------------------------------------------------
    def check(self, next_event: Callable[[], Any], text: str) -> None:
        """Match the events of the new ``text`` (``next_event`` reads them)
        against the expected tree."""
        next_event()  # the stream's start
        for number, root in enumerate(self.roots):
            event = next_event()
            if event.__class__ is not DocumentStartEvent:
                raise self.fail(event, f"{len(self.roots)} documents", f"{number}")
            self.match(root, next_event, text)
            event = next_event()
            if event.__class__ is not DocumentEndEvent:  # pragma: no cover - libyaml always closes a document
                raise self.fail(event, "the end of the document", _event_kind(event))
        event = next_event()
        if event.__class__ is not StreamEndEvent:
            raise self.fail(event, f"{len(self.roots)} documents", "more")
        if self.old.template is not None:
            self.check_markup()

    def match(self, root: Node | None, next_event: Callable[[], Any], text: str) -> None:
        """Consume the events of one document's node, checking each against
        the expected tree. An explicit stack, not recursion: configs may nest
        deeper than Python's recursion limit."""
        if root is None:  # pragma: no cover - an indexed document always has a node
            raise self.fail(next_event(), "an empty document", "a node")
        stack: list[Any] = [root]
        while stack:
            expected = stack.pop()
            event = next_event()
            cls = expected.__class__
            if cls is Scalar:
                if event.__class__ is ScalarEvent and event.value == expected.value and (
                        (event.style or None) == expected.style and event.anchor == expected.anchor
                        and (event.ctag is None and expected.tag is None or _tag(event) == expected.tag)):
                    continue  # an untouched scalar read back as written: the common case, checked inline
                self.compare_scalar(expected, event, text)
            elif cls is _End:
                if event.__class__ is not (MappingEndEvent if expected.mapping else SequenceEndEvent):
                    raise self.fail(event, f"{expected.count} {'entries' if expected.mapping else 'items'}", "more")
            elif event.__class__ is MappingEndEvent or event.__class__ is SequenceEndEvent:
                raise self.fail(event, _kind(expected), "the end of the collection (fewer entries)")
            elif isinstance(expected, NewScalar):
                self.compare_scalar(expected, event, text)
            elif cls is Alias:
                if event.__class__ is not AliasEvent or event.anchor != expected.anchor:
                    raise self.fail(event, f"*{expected.anchor}", _event_kind(event))
            elif cls is Mapping or cls is dict:
                if event.__class__ is not MappingStartEvent:
                    raise self.fail(event, "a mapping", _event_kind(event))
                if cls is Mapping:
                    self.same_properties(expected, event)
                    keys, values = self.expected_entries(expected)
                else:
                    keys, values = [NewScalar(key) for key in expected], list(expected.values())
                stack.append(_End(len(keys), True))
                entries: list[Any] = [None] * (2 * len(keys))  # key, value, key, value...: pushed in one go
                entries[::2], entries[1::2] = keys, values
                stack.extend(reversed(entries))
            elif cls is Sequence or cls is list:
                if event.__class__ is not SequenceStartEvent:
                    raise self.fail(event, "a sequence", _event_kind(event))
                if cls is Sequence:
                    self.same_properties(expected, event)
                    items = self.expected_items(expected)
                else:
                    items = expected
                stack.append(_End(len(items), False))
                stack.extend(reversed(items))
            else:  # pragma: no cover - the plan holds nothing else
                raise self.fail(event, _kind(expected), _event_kind(event))

    def same_properties(self, expected: Node, event: Any) -> None:
        if expected.anchor != event.anchor:
            raise self.fail(event, f"anchor {expected.anchor!r}", f"anchor {event.anchor!r}")
        if expected.tag != _tag(event):
            raise self.fail(event, f"tag {expected.tag!r}", f"tag {_tag(event)!r}")

    # -- template markup ----------------------------------------------------------------
    def check_markup(self) -> None:
        """Every action of the input outside replaced or deleted values is in
        the output, in order; any other action of the output comes from a
        value the plan wrote."""
        from .template import find_actions

        source = self.old.source
        template = self.old.template
        assert template is not None
        # A replaced value takes the blocks it opens whole, {{ end }} lines and all.
        removed = sorted((s, template.balanced_end(s, e, source) or e) for s, e in self.replaced_spans())
        spans = [(r.start, r.end) for r in self.roots if r is not None]
        first, last = (spans[0][0], spans[-1][1]) if self.roots is not self.old.roots and spans else (0, len(source))
        kept = []
        for start, end in template.actions:
            if first <= start and end <= last and not any(s <= start and end <= e for s, e in removed):
                kept.append(source[start:end])
        written = "\n".join(self.new_strings())
        assert self.new is not None  # templates are indexed (verify_text)
        new_source = self.new.source
        matched = 0
        for start, end in find_actions(new_source):
            action = new_source[start:end]
            if matched < len(kept) and action == kept[matched]:
                matched += 1
            elif action not in written:
                line, column = position(new_source, start)
                raise VerificationError(
                    f"the patched text would read back differently at {line}:{column} "
                    f"(template markup {_short(action)} appeared)", file=self.file, line=line, column=column)
        if matched < len(kept):
            raise VerificationError(f"the patched text would read back differently (template markup "
                                    f"{_short(kept[matched])} was lost)", file=self.file)

    def replaced_spans(self) -> list[tuple[int, int]]:
        spans = [self.emptied_span(c.node) for c in self.map_changes.values()
                 if not any(kind != DELETE for _, kind, _ in c.actions) and len(
                     {i for k, _, _ in c.actions for i in c.positions(k)}) == len(c.node.keys)]
        spans += [self.emptied_span(c.node) for c in self.seq_changes.values()
                  if len(c.deleted) == len(c.node.items) and not c.appended]
        for change in self.map_changes.values():
            node = change.node
            for key, kind, value in change.actions:
                if kind == DELETE or (kind == REPLACE and not isinstance(value, InPlaceScalar)):
                    spans += [(node.keys[i].start, node.values[i].end) for i in change.positions(key)]
        for seq in self.seq_changes.values():
            replaced = [i for i, value in seq.replaced if not isinstance(value, InPlaceScalar)]
            spans += [(seq.node.items[i].start, seq.node.items[i].end) for i in [*seq.deleted, *replaced]]
        return spans

    def emptied_span(self, node: Node) -> tuple[int, int]:
        """A collection every entry of which goes is written as `{}`/`[]` in
        its key's line: the text from its key on is replaced, markup included."""
        parent = self.old.parents().get(id(node))
        key = None if parent is None else parent[1]
        return (node.start if key is None else key.end), node.end

    def new_strings(self) -> list[str]:
        out: list[str] = []
        stack: list[Any] = [c.actions for c in self.map_changes.values()]
        stack += [[*(v for _, v in c.replaced), *c.appended] for c in self.seq_changes.values()]
        while stack:
            item = stack.pop()
            if isinstance(item, NewScalar):
                out.append(str(item.value))
            elif isinstance(item, dict):
                out += list(item)
                stack += list(item.values())
            elif isinstance(item, (list, tuple)):
                stack += list(item)
            elif isinstance(item, str):
                out.append(item)
        return out


def _kind(node: Any) -> str:
    if node is None:
        return "an empty document"
    if isinstance(node, Scalar):
        return _short(scalar_value(node.value, node.style, node.tag))
    if isinstance(node, NewScalar):
        return _short(node.value)
    if isinstance(node, Alias):
        return f"*{node.anchor}"
    if isinstance(node, (Mapping, dict)):
        return "a mapping"
    return "a sequence"


def _tag(event: Any) -> str | None:
    tag = event.ctag  # the raw field: `.tag` is a property, slow at this rate
    return None if tag is None else str(tag)


def _event_kind(event: Any) -> str:
    cls = event.__class__
    if cls is ScalarEvent:
        return _short(scalar_value(event.value, event.style or None, _tag(event)))
    if cls is AliasEvent:
        return f"*{event.anchor}"
    if cls is MappingStartEvent:
        return "a mapping"
    if cls is SequenceStartEvent:
        return "a sequence"
    if cls is DocumentStartEvent:
        return "another document"
    return "the end of the collection"


def verify_text(old: YamlIndex, plan: Plan, new_body: str, file: str | None,
                roots: list[Node | None] | None = None) -> None:
    """Parse ``new_body`` and check it against ``old`` with ``plan`` applied.

    ``roots``: the old nodes that the new text's documents stand for (by
    default every document of ``old``; ``serve`` cuts one entry out).
    Raises ``VerificationError`` when the text does not parse or reads back
    differently."""
    text = new_body
    try:
        new = None
        if old.template is not None:
            # Masking the new text takes the index's retries (template
            # directives inside plain scalars): index it, then match the
            # events of its masked text. Templates are small.
            new = build_index(new_body, file, template=True)
            text = new.text
        else:
            check_text(new_body, file)
        _Checker(old, plan, new, file, roots).check(event_reader(text), text)
    except VerificationError:
        raise
    except (TaskpatchError, YAMLError) as exc:
        error = yaml_syntax_error(exc, file, text) if isinstance(exc, YAMLError) else exc
        where = f" at {error.line}:{error.column}" if error.line is not None else ""
        raise VerificationError(f"the patched text would not parse{where} ({error.message})", file=file,
                                line=error.line, column=error.column) from None


def verify_scalar(written: str, expected: NewScalar, flow: bool, file: str | None) -> None:
    """A scalar written on its own (a variant's value in its hole) reads
    back as ``expected`` where it stands: in a flow collection or a block
    mapping's value."""
    probe = f"[{written}]" if flow else f"k: {written}\n"
    try:
        index = build_index(probe, file, template=False)
    except TaskpatchError as exc:
        raise VerificationError(f"the value {written!r} would not parse ({exc.message})", file=file) from None
    root = index.roots[0] if index.roots else None
    read = (root.items if isinstance(root, Sequence) else root.values if isinstance(root, Mapping) else [])
    if len(read) != 1 or not isinstance(read[0], Scalar) or read[0].tag is not None or not _same(
            expected.value, scalar_value(read[0].value, read[0].style, None)):
        got = _kind(read[0]) if len(read) == 1 else f"{len(read)} values"
        raise VerificationError(f"the value {written!r} would read back as {got}, not {_short(expected.value)}",
                                file=file)

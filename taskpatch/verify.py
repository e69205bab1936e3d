"""Read the patched text back and check it against the plan: black's "safe"
mode, for YAML. Nothing is written unless this passes.

Two independent accounts of the result are compared:

- the *expected* data: the input's nodes with the plan's changes applied at
  tree level (a mapping loses its deleted keys, gains its inserted ones, a
  replaced value becomes the plan's new value...). This reads only the index
  and the plan, never the text the applier produced;
- the *actual* data: the patched text, parsed again by the C parser into a
  fresh index.

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
from typing import Any

from .errors import InternalError, TaskpatchError
from .plan import DELETE, INSERT, REPLACE, MappingChange, Plan, SequenceChange
from .scalars import InPlaceScalar, NewScalar, scalar_value
from .yaml_index import Alias, Mapping, Node, Scalar, Sequence, YamlIndex, build_index, position

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


class _Checker:
    def __init__(self, old: YamlIndex, plan: Plan, new: YamlIndex, file: str | None,
                 roots: list[Node | None] | None = None) -> None:
        self.old, self.new, self.file = old, new, file
        self.roots = old.roots if roots is None else roots  # the old nodes the new documents stand for
        self.map_changes: dict[int, MappingChange] = {}
        self.seq_changes: dict[int, SequenceChange] = {}
        for change in plan.changes:
            if isinstance(change, MappingChange):
                self.map_changes[id(change.node)] = change
            else:
                self.seq_changes[id(change.node)] = change

    # -- reporting ----------------------------------------------------------------
    def fail(self, actual: Node | None, expected: str, read: str) -> VerificationError:
        where = "" if actual is None else f" at {actual.line + 1}:{actual.column + 1}"
        return VerificationError(
            f"the patched text would read back differently{where} (expected {expected}, read {read})",
            file=self.file,
            line=None if actual is None else actual.line + 1,
            column=None if actual is None else actual.column + 1,
        )

    # -- values -------------------------------------------------------------------
    def old_datum(self, node: Scalar, index: YamlIndex) -> Any:
        """A parsed scalar as data: typed, with a non-core tag kept beside the
        value, and a templated string in canonical form."""
        value = scalar_value(node.value, node.style, node.tag)
        template = index.template
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

    def compare_scalar(self, expected: Any, actual: Node) -> None:
        if actual.__class__ is not Scalar:
            raise self.fail(actual, "a scalar", _kind(actual))
        assert isinstance(actual, Scalar)
        if expected.__class__ is Scalar:
            want, got = self.old_datum(expected, self.old), self.old_datum(actual, self.new)
            if expected.anchor != actual.anchor:
                raise self.fail(actual, f"anchor {expected.anchor!r}", f"anchor {actual.anchor!r}")
        else:
            want, got = self.new_datum(expected), self.old_datum(actual, self.new)
            if isinstance(want, tuple) and isinstance(got, tuple):
                pass  # both templated: compared canonically below
            elif isinstance(got, tuple) and got[0] == "template" and isinstance(want, str):
                want = ("template", _canonical(want))  # the new text masks markup the value brought
        if not _same(want, got):
            raise self.fail(actual, _short(want), _short(got))

    # -- expected children ----------------------------------------------------------
    def expected_pairs(self, node: Mapping) -> list[tuple[Any, Any]]:
        change = self.map_changes.get(id(node))
        if change is None:
            return list(zip(node.keys, node.values))
        actions = {i: (kind, value) for key, kind, value in change.actions for i in change.positions(key)}
        pairs: list[tuple[Any, Any]] = []
        for i, (key, value) in enumerate(zip(node.keys, node.values)):
            action = actions.get(i)
            if action is None:
                pairs.append((key, value))
            elif action[0] == REPLACE:
                pairs.append((key, action[1]))
            # DELETE: gone
        pairs += [(NewScalar(key), value) for key, kind, value in change.actions if kind == INSERT]
        return pairs

    def expected_items(self, node: Sequence) -> list[Any]:
        change = self.seq_changes.get(id(node))
        if change is None:
            return list(node.items)
        replaced = dict(change.replaced)
        return [replaced.get(i, item) for i, item in enumerate(node.items) if i not in change.deleted] + list(
            change.appended)

    # -- the walk ---------------------------------------------------------------------
    def check(self) -> None:
        old_roots, new_roots = self.roots, self.new.roots
        if len(old_roots) != len(new_roots):
            raise self.fail(None, f"{len(old_roots)} documents", f"{len(new_roots)}")
        # An explicit stack, not recursion: configs may nest deeper than
        # Python's recursion limit. Pushed in reverse, so the first
        # difference reported is the first in the text.
        stack: list[tuple[Any, Any]] = [(old, new) for old, new in zip(old_roots, new_roots)][::-1]
        while stack:
            expected, actual = stack.pop()
            if expected is None or actual is None:
                if expected is not actual:
                    raise self.fail(actual, _kind(expected), _kind(actual))
                continue
            cls = expected.__class__
            if cls is Scalar and actual.__class__ is Scalar and expected.value == actual.value and (
                    expected.style == actual.style and expected.tag == actual.tag
                    and expected.anchor == actual.anchor):
                continue  # an untouched scalar read back as written: the common case, checked inline
            if cls is Scalar or isinstance(expected, NewScalar):
                self.compare_scalar(expected, actual)
            elif cls is Alias:
                if actual.__class__ is not Alias or actual.anchor != expected.anchor:
                    raise self.fail(actual, f"*{expected.anchor}", _kind(actual))
            elif cls is Mapping or cls is dict:
                if actual.__class__ is not Mapping:
                    raise self.fail(actual, "a mapping", _kind(actual))
                if cls is Mapping:
                    self.same_properties(expected, actual)
                    pairs = self.expected_pairs(expected)
                else:
                    pairs = [(NewScalar(key), value) for key, value in expected.items()]
                if len(pairs) != len(actual.keys):
                    raise self.fail(actual, f"{len(pairs)} entries", f"{len(actual.keys)}")
                for (key, value), new_key, new_value in reversed(list(zip(pairs, actual.keys, actual.values))):
                    stack.append((value, new_value))
                    stack.append((key, new_key))
            elif cls is Sequence or cls is list:
                if actual.__class__ is not Sequence:
                    raise self.fail(actual, "a sequence", _kind(actual))
                if cls is Sequence:
                    self.same_properties(expected, actual)
                    items = self.expected_items(expected)
                else:
                    items = expected
                if len(items) != len(actual.items):
                    raise self.fail(actual, f"{len(items)} items", f"{len(actual.items)}")
                stack.extend(reversed(list(zip(items, actual.items))))
            else:  # pragma: no cover - the plan holds nothing else
                raise self.fail(actual, _kind(expected), _kind(actual))
        if self.old.template is not None:
            self.check_markup()

    def same_properties(self, expected: Node, actual: Node) -> None:
        if expected.anchor != actual.anchor:
            raise self.fail(actual, f"anchor {expected.anchor!r}", f"anchor {actual.anchor!r}")
        if expected.tag != actual.tag:
            raise self.fail(actual, f"tag {expected.tag!r}", f"tag {actual.tag!r}")

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


def verify_text(old: YamlIndex, plan: Plan, new_body: str, file: str | None,
                roots: list[Node | None] | None = None) -> YamlIndex:
    """Index ``new_body`` and check it against ``old`` with ``plan`` applied.

    ``roots``: the old nodes that the new text's documents stand for (by
    default every document of ``old``; ``serve`` cuts one entry out).
    Returns the new index (callers keep it instead of indexing again);
    raises ``VerificationError`` when the text does not parse or reads back
    differently."""
    try:
        new = build_index(new_body, file, template=old.template is not None)
    except TaskpatchError as exc:
        where = f" at {exc.line}:{exc.column}" if exc.line is not None else ""
        raise VerificationError(f"the patched text would not parse{where} ({exc.message})", file=file,
                                line=exc.line, column=exc.column) from None
    _Checker(old, plan, new, file, roots).check()
    return new


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

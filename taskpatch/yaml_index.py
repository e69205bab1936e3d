"""The positional index: every YAML node with its character span and style.

Built from ruamel.yaml's parser events (the libyaml C parser when
``ruamel.yaml.clib`` is installed), never from a round-trip tree. Offsets are
code-point offsets into the text *without* its BOM; ``Document`` keeps the BOM
aside. Lines and columns are 0-based here and 1-based in messages.

Spans follow the content, not libyaml's end marks: a block scalar's span ends
at its last content character (libyaml's mark swallows trailing blank lines),
and a block collection ends where its last child ends (libyaml's end event
points at the next token, possibly lines later).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, Callable

from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.reader import ReaderError
from ruamel.yaml.events import (
    AliasEvent,
    DocumentStartEvent,
    MappingEndEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceEndEvent,
    SequenceStartEvent,
)

from .errors import SetupError, YamlSyntaxError

if TYPE_CHECKING:
    from .template import TemplateInfo

try:  # the C parser is an order of magnitude faster than the pure one
    from _ruamel_yaml import CParser as _CParser
except ImportError:  # where clib has no wheel (PyPy) or a broken install: refused in event_reader
    _CParser = None

BOM = "\ufeff"
_LONE_CR = re.compile(r"\r(?!\n)")
_PROPERTIES = re.compile(r"(?:[&!]\S*\s+)*")  # a node's `&anchor` and `!tag`, and the space after them


def position(text: str, offset: int) -> tuple[int, int]:
    """The 1-based line and column of ``offset`` in ``text``, for messages."""
    return text.count("\n", 0, offset) + 1, offset - text.rfind("\n", 0, offset)


def split_bom(text: str) -> tuple[str, str]:
    """The leading byte-order marks and the rest. All of them are kept aside:
    the C reader skips one without counting it, which would shift every
    offset, and a second one is just as invisible to YAML."""
    body = text.lstrip(BOM)
    return text[: len(text) - len(body)], body
MAX_TEXT_DIRECTIVES = 16  # retries of a template's masking; bounds the time on broken files
# Collections nested deeper than this are refused. Walking nested values
# (planning, writing, render, JSON) is recursive, so this bound is what keeps
# it inside Python's recursion limit; real configs nest about 10 deep.
MAX_DEPTH = 100


_NO_DUPLICATES: frozenset[str] = frozenset()


class Node:
    __slots__ = ("start", "end", "line", "column", "anchor", "tag")

    start: int
    end: int
    line: int
    column: int
    anchor: str | None
    tag: str | None


class Scalar(Node):
    __slots__ = ("value", "style")

    value: str
    style: str | None  # None (plain), "'", '"', "|" or ">"

    @property
    def plain(self) -> bool:
        return self.style is None


class Mapping(Node):
    __slots__ = ("keys", "values", "flow", "depth", "_lookup", "_duplicates")

    flow: bool
    depth: int  # how many collections hold this one (a root collection: 0)

    def __init__(self) -> None:
        self.keys: list[Node] = []
        self.values: list[Node] = []
        self._lookup: dict[str, int] | None = None
        # Shared and empty until a key repeats: an empty set per mapping was
        # an eighth of the index's memory.
        self._duplicates: set[str] | frozenset[str] = _NO_DUPLICATES

    def _build_lookup(self) -> dict[str, int]:
        names = [key.value if key.__class__ is Scalar else None for key in self.keys]
        lookup: dict[str, int] = dict(zip(names, range(len(names))))  # type: ignore[arg-type]
        if len(lookup) != len(names):  # a key twice (or two complex keys): first wins, note the twice
            lookup = {}
            self._duplicates = set()
            for i, name in enumerate(names):
                if name is None:
                    continue
                if name in lookup:
                    self._duplicates.add(name)  # type: ignore[union-attr]  # a set, made just above
                else:
                    lookup[name] = i
        lookup.pop(None, None)  # type: ignore[call-overload]
        self._lookup = lookup
        return lookup

    def find(self, key: str) -> int | None:
        """Position of ``key`` among the entries, or None when absent."""
        lookup = self._lookup if self._lookup is not None else self._build_lookup()
        return lookup.get(key)

    def positions(self, key: str) -> list[int]:
        """Every index of ``key``: one, or several where a key repeats (a
        template writes it once per {{ if }}/{{ else }} branch, say)."""
        i = self.find(key)
        if i is None:
            return []
        if key not in self._duplicates:
            return [i]
        return [j for j, k in enumerate(self.keys) if isinstance(k, Scalar) and k.value == key]

    def is_duplicate(self, key: str) -> bool:
        if self._lookup is None:
            self._build_lookup()
        return key in self._duplicates

    def get(self, key: str) -> Node | None:
        i = self.find(key)
        return None if i is None else self.values[i]

    def scalar_value(self, key: str) -> str | None:
        node = self.get(key)
        return node.value if isinstance(node, Scalar) else None


class Sequence(Node):
    __slots__ = ("items", "flow", "depth")

    flow: bool
    depth: int

    def __init__(self) -> None:
        self.items: list[Node] = []


class Alias(Node):
    """``*name``; ``anchor`` holds the name, ``target`` the anchored node."""

    __slots__ = ("target", "depth")

    target: Node | None
    depth: int  # as a collection's: what a copy of the target would nest in


class YamlIndex:
    """The text (without BOM) and the root node of each document in it.

    For a Go template, ``text`` is the masked text the nodes were read from
    and ``source`` the original, which edits are spliced into; offsets are
    the same in both (see ``template``). Otherwise the two are one string.
    """

    def __init__(self, text: str, roots: list[Node | None], source: str | None = None,
                 template: TemplateInfo | None = None) -> None:
        self.text = text
        self.roots = roots
        self.source = text if source is None else source
        self.template = template
        # Anchored nodes that aliases elsewhere refer to, with those aliases:
        # an edit inside one would change every user (DESIGN: fidelity).
        self.shared: list[tuple[Node, list[Node]]] = []
        self.newline = "\r\n" if "\r\n" in text else "\n"
        self._parents: dict[int, tuple[Node, Node | None]] | None = None

    def sharing(self, node: Node) -> tuple[Node, list[Node]] | None:
        """The anchored node shared by aliases that ``node`` lies in, if any."""
        found = self.sharings(node)
        return found[0] if found else None

    def sharings(self, node: Node) -> list[tuple[Node, list[Node]]]:
        """Every anchored node shared by aliases that ``node`` lies in (an
        anchor may hold another)."""
        return [(anchored, users) for anchored, users in self.shared
                if anchored.start <= node.start and node.end <= anchored.end]

    def used_elsewhere(self, node: Node) -> tuple[Node, list[Node]] | None:
        """An anchor defined inside ``node`` that an alias outside it uses:
        removing ``node`` would leave that alias dangling."""
        for anchored, users in self.shared:
            if node.start <= anchored.start and anchored.end <= node.end:
                outside = [u for u in users if not node.start <= u.start < node.end]
                if outside:
                    return anchored, outside
        return None

    def parents(self) -> dict[int, tuple[Node, Node | None]]:
        """id(node) -> (its parent, its key node, or None for an item), for
        every node below a root. Walked on first use: few runs need it."""
        if self._parents is None:
            found: dict[int, tuple[Node, Node | None]] = {}
            stack: list[Node] = [r for r in self.roots if r is not None]
            while stack:
                node = stack.pop()
                if isinstance(node, Mapping):
                    for key, value in zip(node.keys, node.values):
                        found[id(value)] = (node, key)
                        stack.append(value)
                elif isinstance(node, Sequence):
                    for item in node.items:
                        found[id(item)] = (node, None)
                        stack.append(item)
            self._parents = found
        return self._parents

    def properties(self, node: Node) -> str:
        """A collection's `&anchor` and `!tag` as written (comments dropped), or ""."""
        if node.anchor is None and node.tag is None:
            return ""
        head = self.text[node.start : self.content_start(node)]
        return " ".join(word for word in head.split() if word[0] in "&!")

    def content_start(self, node: Node) -> int:
        """Where a node's content begins, past its properties."""
        if node.anchor is None and node.tag is None:
            return node.start
        if isinstance(node, Mapping) and node.keys and not node.flow:
            return node.keys[0].start
        if isinstance(node, Sequence) and node.items and not node.flow:
            return self.text.rfind("-", node.start, node.items[0].start)
        if isinstance(node, (Mapping, Sequence)):
            return self.text.index("{" if isinstance(node, Mapping) else "[", node.start)
        return _PROPERTIES.match(self.text, node.start).end()  # type: ignore[union-attr]  # it always matches

    def line_of(self, pos: int) -> int:
        """The 0-based line of an offset (for messages: it counts)."""
        return self.text.count("\n", 0, pos)

    def line_start(self, pos: int) -> int:
        return self.text.rfind("\n", 0, pos) + 1

    def line_end(self, pos: int) -> int:
        """Offset just past the line break of the line holding ``pos``."""
        nl = self.text.find("\n", pos)
        return len(self.text) if nl < 0 else nl + 1

    def eol_comment(self, node: Node) -> tuple[int, int] | None:
        """The span of the comment that ends the node's last line, if any."""
        text = self.text
        end = text.find("\n", node.end)
        end = len(text) if end < 0 else end
        tail = text[node.end : end]
        stripped = tail.lstrip(" \t")
        if stripped.startswith("#") and (len(stripped) < len(tail) or node.end == 0):
            start = node.end + len(tail) - len(stripped)
            return start, end - (1 if text[end - 1 : end] == "\r" else 0)
        return None


def event_reader(text: str) -> Callable[[], Any]:
    """A function returning the next parser event of ``text`` on each call,
    and None after the last: one C call per event, with no generator between
    (both the index and verification run this once per event)."""
    if _CParser is None:
        # The pure-Python parser's marks differ from libyaml's (where flow and
        # block nodes end), and every splice is built on those marks: rather
        # than write from positions no test has checked, refuse.
        raise SetupError("taskpatch needs ruamel.yaml's C parser (the ruamel.yaml.clib package) for exact "
                         "positions, and it is not installed or does not load here: pip install ruamel.yaml.clib "
                         "(it has wheels for CPython; PyPy is not supported)")
    return _CParser(text).get_event  # type: ignore[no-any-return]


def yaml_syntax_error(exc: YAMLError, file: str | None, text: str) -> YamlSyntaxError:
    """A ruamel.yaml error as one positioned line."""
    if isinstance(exc, ReaderError):  # a character YAML forbids, at an offset in ``text``
        at = exc.position
        at = len(text.encode("utf-8")[:at].decode("utf-8", "ignore"))  # libyaml counts UTF-8 bytes
        line, column = position(text, at)
        return YamlSyntaxError(f"character #x{exc.character:04x} is not allowed in YAML: {exc.reason}", file=file,
                               line=line, column=column)
    if not isinstance(exc, MarkedYAMLError):
        return YamlSyntaxError(str(exc).splitlines()[0], file=file)
    mark = exc.problem_mark or exc.context_mark
    problem = exc.problem or exc.context or "invalid YAML"
    if exc.context and exc.problem:
        problem = f"{problem} ({exc.context}"
        if exc.context_mark is not None:
            problem += f" at line {exc.context_mark.line + 1}"
        problem += ")"
    return YamlSyntaxError(problem, file=file, line=None if mark is None else mark.line + 1,
                           column=None if mark is None else mark.column + 1)


def build_index(text: str, file: str | None = None, template: bool | None = None) -> YamlIndex:
    """Index ``text`` (BOM already removed). Raises ``YamlSyntaxError``.

    ``template``: treat ``{{ }}`` as Go template markup (True), never (False),
    or when the text has any (None)."""
    check_text(text, file)
    if template or (template is None and "{{" in text):
        from .template import analyse, has_markup, mask  # only templates pay for it

        if template is None and not has_markup(text):
            return _build(text, file)
        info = analyse(text)
        as_text: set[int] = set()
        while True:
            try:
                index = _build(mask(text, info, as_text), file, text, info)
                templated = YamlIndex(index.text, index.roots, text, info)
                templated.shared = index.shared
                return templated
            except YamlSyntaxError as exc:
                # A directive line inside a multi-line plain scalar (a long
                # command with an {{ if }} in it) must be text, not a comment.
                # Try the nearest one above the error; each line at most once.
                above = [n for n in info.directive_lines if n not in as_text and n < (exc.line or 0)]
                if not above or len(as_text) >= MAX_TEXT_DIRECTIVES:
                    raise
                as_text.add(max(above))
    return _build(text, file)


def check_text(text: str, file: str | None) -> None:
    """Refuse text whose offsets the index could not keep right."""
    if text.startswith(BOM):
        raise YamlSyntaxError("a byte-order mark the caller did not set aside (split_bom)", file=file, line=1,
                              column=1)
    if "\r" in text:
        lone = _LONE_CR.search(text)
        if lone is not None:
            line, column = position(text, lone.start())
            raise YamlSyntaxError(
                "a carriage return without a line feed (old Mac line endings); taskpatch keeps LF and CRLF "
                "files as they are, but cannot edit CR-only ones: convert the file first",
                file=file, line=line, column=column)


def _unique_keys(mapping: Mapping, source: str, info: TemplateInfo | None, file: str | None) -> None:
    """A key written twice is an error: taskpatch would edit one while YAML
    1.1 readers (PyYAML, Go yaml.v2) use the last and 1.2 readers refuse the
    file. In a template, one key per {{ if }}/{{ else }} branch is one key
    rendered two ways, and is allowed."""
    names = [
        (source[k.start : k.end] if info is not None and info.touches_markup(k.start, k.end) else k.value)
        if k.__class__ is Scalar else None
        for k in mapping.keys
    ]
    seen: dict[str, Node] = {}
    for name, key in zip(names, mapping.keys):
        if name is None:
            continue
        first = seen.get(name)
        if first is None:
            seen[name] = key
            continue
        if info is not None:
            from .template import alternatives

            same = [k for n, k in zip(names, mapping.keys) if n == name]
            branches = [info.branch_at(k.start) for k in same]
            if all(alternatives(a, b) for i, a in enumerate(branches) for b in branches[i + 1 :]):
                continue
        raise YamlSyntaxError(f"duplicate key {name!r} (first at line {first.line + 1}); YAML readers disagree on "
                              "which one counts, so taskpatch will not guess", file=file, line=key.line + 1,
                              column=key.column + 1)


def _place_content(node: Mapping | Sequence, text: str) -> None:
    """A block collection's line and column are its content's (the first key,
    or the first item's dash), not its properties': in `env: &base` the
    anchor sits on the key's line and the items start on the next one, and
    new items must line up with those. ``start`` stays at the properties,
    which are part of the node."""
    if isinstance(node, Mapping):
        key = node.keys[0]
        before = text[text.rfind("\n", 0, key.start) + 1 : key.start].rstrip()
        node.line, node.column = key.line, key.column
        if before.endswith("?"):  # an explicit key: the entry starts at its `?`
            node.column = len(before) - 1
        return
    dash = text.rfind("-", node.start, node.items[0].start)
    node.line = text.count("\n", 0, dash)
    node.column = dash - (text.rfind("\n", 0, dash) + 1)


def scalar_node(ev: Any, text: str) -> Scalar:
    """The node of a scalar event of ``text``."""
    node = Scalar()
    node.value = value = ev.value
    style = ev.style or None
    node.style = style
    start = ev.start_mark
    node.start = start.index
    end = ev.end_mark.index
    if style == "|" or style == ">":
        while end > node.start and text[end - 1] in " \t\r\n":
            end -= 1
        if value.endswith("\n\n"):
            # Kept (`|+`) blank lines are the value's own: the span reaches
            # the start of the last, so nothing lands between them and the
            # content.
            for _ in range(len(value) - len(value.rstrip("\n")) - 1):
                end = text.find("\n", end) + 1
    node.end = end
    node.line = start.line
    node.column = start.column
    node.anchor = ev.anchor
    tag = ev.ctag  # the raw field: `.tag` is a property, slow at this rate (ruamel >= 0.17.29)
    node.tag = None if tag is None else str(tag)
    return node


def _build(text: str, file: str | None, source: str | None = None, info: TemplateInfo | None = None) -> YamlIndex:
    roots: list[Node | None] = []
    stack: list[Any] = []  # open Mapping and Sequence nodes
    anchors: dict[str, Node] = {}
    aliases: dict[int, list[Node]] = {}  # id(anchored node) -> its aliases
    try:
        # The position fields are set inline per event kind rather than through
        # a helper: this loop runs once per event and is the index's hot path.
        next_event = event_reader(text)
        while (ev := next_event()) is not None:
            cls = ev.__class__
            if cls is ScalarEvent:
                node: Any = scalar_node(ev, text)
            elif cls is MappingStartEvent or cls is SequenceStartEvent:
                node = Mapping() if cls is MappingStartEvent else Sequence()
                start = ev.start_mark
                node.start = start.index
                node.end = ev.end_mark.index
                node.line = start.line
                node.column = start.column
                node.anchor = ev.anchor
                tag = ev.ctag
                node.tag = None if tag is None else str(tag)
                node.flow = bool(ev.flow_style)
                node.depth = len(stack)
                if node.depth >= MAX_DEPTH:
                    raise YamlSyntaxError(f"collections nested more than {MAX_DEPTH} levels deep; taskpatch reads "
                                          f"at most {MAX_DEPTH}", file=file, line=start.line + 1,
                                          column=start.column + 1)
            elif cls is MappingEndEvent or cls is SequenceEndEvent:
                done = stack.pop()
                if done.flow:
                    done.end = ev.end_mark.index
                else:
                    last = done.values[-1] if cls is MappingEndEvent else done.items[-1]
                    done.end = last.end
                    if done.anchor is not None or done.tag is not None:
                        _place_content(done, text)
                if cls is MappingEndEvent and len(done.keys) > 1 and len(
                        {k.value if k.__class__ is Scalar else k for k in done.keys}) != len(done.keys):
                    _unique_keys(done, text if source is None else source, info, file)
                continue
            elif cls is AliasEvent:
                node = Alias()
                start = ev.start_mark
                node.start = start.index
                node.end = ev.end_mark.index
                node.line = start.line
                node.column = start.column
                node.anchor = ev.anchor
                node.tag = None
                node.target = anchors.get(ev.anchor)
                if node.target is None:
                    raise YamlSyntaxError(f"undefined alias *{ev.anchor} (no &{ev.anchor} before it)", file=file,
                                          line=start.line + 1, column=start.column + 1)
                node.depth = len(stack)
                aliases.setdefault(id(node.target), []).append(node)  # by node: a name may be defined again
            elif cls is DocumentStartEvent:
                anchors = {}  # anchors belong to their document: `*e` of an earlier one's `&e` is undefined
                roots.append(None)
                continue
            else:
                continue
            if node.anchor is not None and cls is not AliasEvent:
                anchors[node.anchor] = node
            if stack:
                parent = stack[-1]
                if parent.__class__ is Mapping:
                    if len(parent.keys) == len(parent.values):
                        parent.keys.append(node)
                    else:
                        parent.values.append(node)
                else:
                    parent.items.append(node)
            else:
                roots[-1] = node
            if cls is MappingStartEvent or cls is SequenceStartEvent:
                stack.append(node)
    except YAMLError as exc:
        raise yaml_syntax_error(exc, file, text) from None
    index = YamlIndex(text, roots)
    index.shared = [(users[0].target, users) for users in aliases.values()  # type: ignore[attr-defined]
                    if users[0].target is not None]  # type: ignore[attr-defined]
    return index

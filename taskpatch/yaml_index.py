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

from typing import TYPE_CHECKING, Any, Iterator

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

from .errors import YamlSyntaxError

if TYPE_CHECKING:
    from .template import TemplateInfo

try:  # the C parser is an order of magnitude faster than the pure one
    from _ruamel_yaml import CParser as _CParser
except ImportError:  # pragma: no cover - exercised where clib has no wheel
    _CParser = None

BOM = "\ufeff"
MAX_TEXT_DIRECTIVES = 16  # retries of a template's masking; bounds the time on broken files
# Collections nested deeper than this are refused. Walking nested values
# (planning, writing, render, JSON) is recursive, so this bound is what keeps
# it inside Python's recursion limit; real configs nest about 10 deep.
MAX_DEPTH = 100


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
        self._duplicates: set[str] = set()

    def _build_lookup(self) -> dict[str, int]:
        names = [key.value if key.__class__ is Scalar else None for key in self.keys]
        lookup: dict[str, int] = dict(zip(names, range(len(names))))  # type: ignore[arg-type]
        if len(lookup) != len(names):  # a key twice (or two complex keys): first wins, note the twice
            lookup = {}
            for i, name in enumerate(names):
                if name is None:
                    continue
                if name in lookup:
                    self._duplicates.add(name)
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

    def sharing(self, node: Node) -> tuple[Node, list[Node]] | None:
        """The anchored node shared by aliases that ``node`` lies in, if any."""
        for anchored, users in self.shared:
            if anchored.start <= node.start and node.end <= anchored.end:
                return anchored, users
        return None

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


def _parse_events(text: str) -> Iterator:
    if _CParser is not None:
        get = _CParser(text).get_event
        while True:  # get_event returns None at the end: one C call per event, not two
            event = get()
            if event is None:
                return
            yield event
    else:  # pragma: no cover
        from ruamel.yaml import YAML

        yield from YAML(typ="safe", pure=True).parse(text)


def yaml_syntax_error(exc: YAMLError, file: str | None, text: str) -> YamlSyntaxError:
    """A ruamel.yaml error as one positioned line."""
    if isinstance(exc, ReaderError):  # a character YAML forbids, at an offset in ``text``
        at = exc.position
        if _CParser is not None:  # libyaml counts UTF-8 bytes, not characters
            at = len(text.encode("utf-8")[:at].decode("utf-8", "ignore"))
        return YamlSyntaxError(f"character #x{exc.character:04x} is not allowed in YAML: {exc.reason}", file=file,
                               line=text.count("\n", 0, at) + 1, column=at - text.rfind("\n", 0, at))
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
    if template or (template is None and "{{" in text):
        from .template import analyse, has_markup, mask  # only templates pay for it

        if template is None and not has_markup(text):
            return _build(text, file)
        info = analyse(text)
        as_text: set[int] = set()
        while True:
            try:
                index = _build(mask(text, info, as_text), file)
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


def _build(text: str, file: str | None) -> YamlIndex:
    roots: list[Node | None] = []
    stack: list[Any] = []  # open Mapping and Sequence nodes
    anchors: dict[str, Node] = {}
    aliases: dict[str, list[Node]] = {}
    try:
        # The position fields are set inline per event kind rather than through
        # a helper: this loop runs once per event and is the index's hot path.
        for ev in _parse_events(text):
            cls = ev.__class__
            if cls is ScalarEvent:
                node: Any = Scalar()  # its fields are set right here
                node.value = ev.value
                style = ev.style or None
                node.style = style
                start = ev.start_mark
                node.start = start.index
                end = ev.end_mark.index
                if style == "|" or style == ">":
                    while end > node.start and text[end - 1] in " \t\r\n":
                        end -= 1
                node.end = end
                node.line = start.line
                node.column = start.column
                node.anchor = ev.anchor
                tag = ev.ctag  # the raw field: `.tag` is a property, slow at this rate (ruamel >= 0.17.29)
                node.tag = None if tag is None else str(tag)
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
                node.depth = len(stack)
                aliases.setdefault(ev.anchor, []).append(node)
            elif cls is DocumentStartEvent:
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

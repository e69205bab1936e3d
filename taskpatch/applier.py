"""Plan + text → text. Edit the text, not the tree.

Each change becomes one or more ``(start, end, replacement)`` edits on the
original text; everything outside those spans is copied through untouched.
New lines take the indentation of their siblings and the file's line
breaks; a file without a final newline keeps not having one.
"""

from __future__ import annotations

import bisect
import itertools
import math
from typing import Any, NamedTuple

from .errors import TaskpatchError, ValueTypeError
from .plan import DELETE, INSERT, REPLACE, MappingChange, Plan, SequenceChange
from .scalars import (
    AppendedScalar,
    NewScalar,
    any_reader_types,
    can_be_plain,
    can_be_single_quoted,
    double_quoted,
    render_string,
)
from .yaml_index import Mapping, Node, Scalar, Sequence, YamlIndex

# start, end, text, depth. Inserts at one spot are ordered deepest first; the
# depth is the column, plus a half for block sequences, because a sequence
# written flush under its key sits at the key's column but is nested in it.
Edit = tuple[int, int, str, float]


class FileStyle(NamedTuple):
    step: int  # mapping indent step
    seq_indent: int  # how far a block sequence sits right of its key
    item_offset: int  # from a dash to its item's content: 2 for `- a`, 4 for `-   a`


class Writer:
    """Turns new values into YAML text in the style of the file around them."""

    def __init__(self, index: YamlIndex) -> None:
        self.index = index
        self.nl = index.newline
        self._styles: FileStyle | None = None
        # Variant templates ask how given placeholder strings were written:
        # placeholder -> (style, flow, text). None when nobody asks.
        self.trace: dict[str, tuple[str | None, bool, str]] | None = None

    # -- file style -----------------------------------------------------------
    def styles(self) -> FileStyle:
        """How the file indents block collections, from the first examples found."""
        if self._styles is None:
            step = seq = inner = -1
            stack = [r for r in self.index.roots if r is not None]
            while stack and min(step, seq, inner) < 0:
                node = stack.pop()
                if isinstance(node, Mapping) and not node.flow:
                    for key, value in zip(node.keys, node.values):
                        if isinstance(value, Mapping) and not value.flow and value.line > key.line and step < 0:
                            step = value.column - key.column
                        if isinstance(value, Sequence) and not value.flow and value.line > key.line and seq < 0:
                            seq = value.column - key.column
                        stack.append(value)
                elif isinstance(node, Sequence):
                    first = node.items[0] if node.items else None
                    if (not node.flow and isinstance(first, Mapping) and not first.flow and inner < 0
                            and first.line == node.line and first.column > node.column):
                        inner = first.column - node.column  # `-   name:` keeps its width
                    stack.extend(node.items)
            self._styles = FileStyle(step if step > 0 else 2, max(seq, 0), inner if inner > 0 else 2)
        return self._styles

    # -- values ---------------------------------------------------------------
    def scalar(self, value: NewScalar, style: str | None = None, flow: bool = False) -> str:
        if value.literal is not None:
            return value.literal
        # An old quote style carries over; plain and block fall back to plain-if-safe.
        text = render_string(str(value.value), style if style in ("'", '"') else None, flow)
        if self.trace is not None and value.value in self.trace:
            self.trace[value.value] = (style, flow, text)
        return text

    def key(self, name: str, flow: bool = False) -> str:
        return render_string(name, None, flow)

    def flow(self, value: Any) -> str:
        if isinstance(value, dict):
            return "{" + ", ".join(f"{self.key(k, True)}: {self.flow(v)}" for k, v in value.items()) + "}"
        if isinstance(value, list):
            return "[" + ", ".join(self.flow(v) for v in value) + "]"
        return self.scalar(value, flow=True)

    def entry_lines(self, key: str, value: Any, col: int) -> list[str]:
        pad = " " * col
        step, seq_indent, _ = self.styles()
        if isinstance(value, dict) and value:
            return [f"{pad}{self.key(key)}:"] + self.block_lines(value, col + step)
        if isinstance(value, list) and value:
            return [f"{pad}{self.key(key)}:"] + self.block_lines(value, col + seq_indent)
        return [f"{pad}{self.key(key)}: {self.flow(value) if isinstance(value, (dict, list)) else self.scalar(value)}"]

    def block_lines(self, value: Any, col: int) -> list[str]:
        """A non-empty dict or list as block lines, every line indented ``col``."""
        if isinstance(value, dict):
            return [line for k, v in value.items() for line in self.entry_lines(k, v, col)]
        lines: list[str] = []
        for item in value:
            lines += self.item_lines(item, col)
        return lines

    def item_lines(self, item: Any, dash_col: int, inner: int | None = None) -> list[str]:
        pad = " " * dash_col
        inner = inner or self.styles().item_offset
        if isinstance(item, (dict, list)) and item:
            body = self.block_lines(item, dash_col + inner)
            return [pad + "-" + " " * (inner - 1) + body[0][dash_col + inner :]] + body[1:]
        text = self.flow(item) if isinstance(item, (dict, list)) else self.scalar(item)
        return [pad + "-" + " " * (inner - 1) + text]

    def lines_at(self, pos: int, lines: list[str]) -> str:
        """Text inserting whole ``lines`` at ``pos``, a line start or the end of text."""
        text = self.index.text
        if pos == len(text) and text and not text.endswith("\n"):
            return self.nl + self.nl.join(lines)
        return "".join(line + self.nl for line in lines)

    def append_to(self, node: Scalar, full: str, suffix: str, flow: bool) -> tuple[int, str] | None:
        """Where and what to insert so that ``node`` reads ``full``, keeping its
        style, its line breaks and its comment; None when its style can't
        hold the suffix (then the whole scalar is rewritten)."""
        if "\n" in suffix or "\r" in suffix:
            return None
        style = node.style
        if style is None:
            # A plain scalar (one line or several) reads the new text only if
            # the whole is still a plain string.
            return (node.end, suffix) if can_be_plain(full, flow) and not any_reader_types(full) else None
        if style in ("|", ">"):
            return node.end, suffix  # the span ends at the last content character, directives included
        if style == "'":
            return (node.end - 1, suffix.replace("'", "''")) if can_be_single_quoted(suffix) else None
        return node.end - 1, double_quoted(suffix)[1:-1]

    def block_scalar(self, old: Scalar, value: str) -> str:
        """Rewrite a ``|``/``>`` scalar in block style, at its content's indent."""
        text = self.index.text
        header_end = self.index.line_end(old.start)
        body = text[header_end : old.end]
        first = next((ln for ln in body.splitlines() if ln.strip()), "")
        indent = len(first) - len(first.lstrip(" ")) or old.column + 2
        content = value[:-1] if value.endswith("\n") else value
        header = old.style if "\n" not in content and old.style == ">" else "|"
        if not value.endswith("\n"):
            header += "-"
        elif value.endswith("\n\n"):
            header += "+"
        lines = [(" " * indent + ln) if ln else "" for ln in content.split("\n")]
        return header + self.nl + self.nl.join(lines)


class Applier:
    def __init__(self, index: YamlIndex) -> None:
        self.index = index
        self.text = index.text
        self.w = Writer(index)
        self.edits: list[Edit] = []

    def after_branches(self, pos: int, anchor: int) -> int:
        """In a template, new lines after a collection that ends inside an
        {{ if }} block go after its {{ end }}, where every branch sees them."""
        template = self.index.template
        return pos if template is None else template.after_branches(pos, anchor)

    def colon_end(self, key: Node) -> int:
        return self.text.index(":", key.end) + 1

    # -- values in a mapping or sequence slot -----------------------------------
    def replace_value(self, node: Node, value: Any, flow_parent: bool, key: Node | None, key_col: int) -> None:
        text, w = self.text, self.w
        if isinstance(value, AppendedScalar) and value.base is node:
            insertion = w.append_to(node, value.value, value.suffix, flow_parent)
            template = self.index.template
            if insertion is not None and template is not None and node.style is None:
                insertion = (template.end_after_branches(insertion[0], node.start, self.text), insertion[1])
            if insertion is not None:
                # Text added to the end of a scalar goes before any lines
                # inserted at the same spot (the end of a file, say).
                self.edits.append((insertion[0], insertion[0], insertion[1], math.inf))
                return
            if template is not None and template.touches_markup(node.start, node.end):
                raise ValueTypeError(
                    f"this value holds template markup, and {value.suffix.strip()!r} cannot be added to it in its "
                    "style without rewriting the markup; quote the value in the template, or set it whole",
                    line=node.line + 1, column=node.column + 1,
                )
        if isinstance(value, NewScalar) or (isinstance(value, (dict, list)) and not value) or flow_parent:
            if isinstance(value, NewScalar) and isinstance(node, Scalar):
                if node.style in ("|", ">") and value.literal is None:
                    new = w.block_scalar(node, str(value.value))
                else:
                    new = w.scalar(value, node.style, flow_parent)
            else:
                new = w.flow(value) if isinstance(value, (dict, list)) else w.scalar(value, None, flow_parent)
            start = node.start
            if key is not None and isinstance(node, (Mapping, Sequence)) and not node.flow:
                gap = text[self.colon_end(key) : node.start]
                if not gap.strip():  # `key:\n  a: 1` -> `key: new`, unless a comment sits between
                    start = self.colon_end(key)
                    new = " " + new
            self.edits.append((start, node.end, new, 0))
            return
        step, seq_indent, _ = w.styles()
        if isinstance(node, (Mapping, Sequence)) and not node.flow:
            lines = w.block_lines(value, node.column)
            self.edits.append((node.start, node.end, w.nl.join(lines)[node.column :], 0))
            return
        if key is None:  # a sequence item: the block starts right after "- "
            lines = w.block_lines(value, node.column)
            self.edits.append((node.start, node.end, w.nl.join(lines)[node.column :], 0))
            return
        col = key_col + (step if isinstance(value, dict) else seq_indent)
        cut = self.colon_end(key)
        self.edits.append((cut, node.end, "", 0))
        pos = self.index.line_end(node.end)
        self.edits.append((pos, pos, w.lines_at(pos, w.block_lines(value, col)), col))

    # -- mappings ---------------------------------------------------------------
    def mapping(self, change: MappingChange) -> None:
        node, w = change.node, self.w
        inserts = [(k, v) for k, kind, v in change.actions if kind == INSERT]
        deleted = {i for k, kind, _ in change.actions if kind == DELETE for i in change.positions(k)}
        for key, kind, value in change.actions:
            if kind == REPLACE:
                for i in change.positions(key):
                    self.replace_value(node.values[i], value, node.flow, node.keys[i], node.keys[i].column)
        if node.flow:
            self.flow_mapping(node, deleted, inserts)
            return
        if deleted and len(deleted) == len(node.keys) and not inserts:
            self.edits.append((node.start, node.end, "{}", 0))
            return
        self.delete_entries(node, deleted)
        if inserts:
            pos = self.after_branches(self.index.line_end(node.end), node.start)
            lines = [ln for k, v in inserts for ln in w.entry_lines(k, v, node.column)]
            self.edits.append((pos, pos, w.lines_at(pos, lines), node.column))

    def delete_entries(self, node: Mapping, deleted: set[int]) -> None:
        text, n = self.text, len(node.keys)
        for i in sorted(deleted):
            key, value = node.keys[i], node.values[i]
            start = self.index.line_start(key.start)
            if text[start : key.start].strip():
                # First key inline after "- ": cut up to the next kept key instead.
                nxt = next((j for j in range(i + 1, n) if j not in deleted), None)
                end = node.keys[nxt].start if nxt is not None else value.end
                self.edits.append((key.start, end, "", 0))
                continue
            if any(j < i and j in deleted and text[self.index.line_start(node.keys[j].start) : node.keys[j].start].strip()
                   for j in range(i)):
                continue  # already removed with an inline first key
            self.edits.append((start, self.index.line_end(value.end), "", 0))

    def flow_mapping(self, node: Mapping, deleted: set[int], inserts: list) -> None:
        w = self.w
        added = ", ".join(f"{w.key(k, True)}: {w.flow(v)}" for k, v in inserts)
        entries = [(k.start, v.end) for k, v in zip(node.keys, node.values)]
        self.flow_edit(node, entries, deleted, "{", "}", added)

    def flow_edit(self, node: Node, entries: list[tuple[int, int]], deleted: set[int] | frozenset[int],
                  opener: str, closer: str, added: str) -> None:
        """Delete entries of a flow collection with their separators, then add
        ``added`` at its end. Only those bytes change: kept entries, their
        comments and the collection's line breaks stay as they were."""
        if deleted and len(deleted) == len(entries):
            self.edits.append((node.start, node.end, opener + added + closer, 0))
            return
        run: list[int] = []
        for i in sorted(deleted) + [len(entries) + 1]:  # a sentinel flushes the last run
            if run and i != run[-1] + 1:
                first, last = run[0], run[-1]
                if last + 1 < len(entries):  # "a, b, c" -> "a, c": up to the next entry
                    self.edits.append((entries[first][0], entries[last + 1][0], "", 0))
                else:  # the run ends the collection: from the end of the entry before it
                    self.edits.append((entries[first - 1][1], entries[last][1], "", 0))
                run = []
            run.append(i)
        if added:
            if entries:
                pos = entries[-1][1]
                self.edits.append((pos, pos, ", " + added, 0))
            else:
                pos = self.text.index(opener, node.start) + 1
                self.edits.append((pos, pos, added, 0))

    # -- sequences --------------------------------------------------------------
    def sequence(self, change: SequenceChange) -> None:
        node, w, text = change.node, self.w, self.text
        for i, value in change.replaced:
            self.replace_value(node.items[i], value, node.flow, None, node.column)
        if node.flow:
            added = ", ".join(w.flow(v) for v in change.appended)
            self.flow_edit(node, [(it.start, it.end) for it in node.items], change.deleted, "[", "]", added)
            return
        if len(change.deleted) == len(node.items) and not change.appended:
            self.edits.append((node.start, node.end, "[]", 0))
            return
        for i in sorted(change.deleted):
            item = node.items[i]
            dash = text.rfind("-", 0, item.start + 1) if item.start > node.start else node.start
            self.edits.append((self.index.line_start(dash), self.index.line_end(item.end), "", 0))
        if change.appended:
            first = node.items[0]
            inner = first.column - node.column if first.line == node.line and first.column > node.column else None
            pos = self.after_branches(self.index.line_end(node.end), node.start)
            lines = [ln for v in change.appended for ln in w.item_lines(v, node.column, inner)]
            self.edits.append((pos, pos, w.lines_at(pos, lines), node.column + 0.5))

    # -- splice -----------------------------------------------------------------
    def run(self, plan: Plan) -> str:
        gone = _ReplacedSpans(self._replaced_spans(plan))
        for change in plan.changes:
            if gone.cover(change.node):
                continue  # inside something replaced or deleted wholesale
            if isinstance(change, MappingChange):
                self.mapping(change)
            else:
                self.sequence(change)
        # At one offset, deeper inserts go first so nested lines stay nested.
        edits = sorted(self.edits, key=lambda e: (e[0], e[1], -e[3]))
        out, last = [], 0
        source = self.index.source  # the original: for a template, self.text is masked
        for start, end, new, _ in edits:
            if start < last:
                raise TaskpatchError(f"internal error: overlapping edits at offset {start}")
            out.append(source[last:start])
            out.append(new)
            last = end
        out.append(source[last:])
        result = "".join(out)
        if not self.text.endswith(("\n", "\r")) and result.endswith("\n"):
            # Deleting the last lines leaves the line break before them; a file
            # that had no final newline must still end without one.
            result = result[: -2 if result.endswith("\r\n") else -1]
        return result

    @staticmethod
    def _replaced_spans(plan: Plan) -> list[tuple[Node, int, int]]:
        spans: list[tuple[Node, int, int]] = []
        for change in plan.changes:
            if isinstance(change, MappingChange):
                for key, kind, _ in change.actions:
                    if kind in (REPLACE, DELETE):
                        for i in change.positions(key):
                            spans.append((change.node, change.node.keys[i].start, change.node.values[i].end))
            else:
                for i in list(change.deleted) + [i for i, _ in change.replaced]:
                    spans.append((change.node, change.node.items[i].start, change.node.items[i].end))
        return spans


class _ReplacedSpans:
    """Answers "does another node's change replace or delete this node
    wholesale?" in O(log n), so big plans stay linear-ish.

    Spans come from a tree, so they are nested or disjoint. A span starting
    before the node contains it iff it ends at or after the node's end; a
    span starting exactly at the node's start may be the node's own first
    entry, which does not count.
    """

    def __init__(self, spans: list[tuple[Node, int, int]]) -> None:
        spans = sorted(spans, key=lambda span: span[1])
        self.starts = [start for _, start, _ in spans]
        self.max_end = list(itertools.accumulate((end for _, _, end in spans), max))
        self.at_start: dict[int, list[tuple[Node, int]]] = {}
        for owner, start, end in spans:
            self.at_start.setdefault(start, []).append((owner, end))

    def cover(self, node: Node) -> bool:
        before = bisect.bisect_left(self.starts, node.start)
        if before and self.max_end[before - 1] >= node.end:
            return True
        return any(owner is not node and end >= node.end for owner, end in self.at_start.get(node.start, ()))


def apply_plan(index: YamlIndex, plan: Plan, trace: dict[str, tuple[str | None, bool, str]] | None = None) -> str:
    """The text with the plan's changes spliced in. ``trace`` (placeholder
    strings as keys) is filled with how each was written, for templates."""
    if plan.is_noop:
        return index.source
    applier = Applier(index)
    applier.w.trace = trace
    return applier.run(plan)

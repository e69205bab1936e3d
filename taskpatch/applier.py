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
import re
from typing import Any, NamedTuple

from .errors import InternalError, ValueTypeError
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
from .yaml_index import Mapping, Node, Scalar, Sequence, YamlIndex, position

# What a block scalar cannot hold as written: characters YAML escapes or
# treats as line breaks, tabs and carriage returns.
_NOT_IN_BLOCK = re.compile("[\x00-\x08\x09\x0b-\x1f\x7f-\x9f\u2028\u2029\ufeff\ud800-\udfff\ufffe\uffff]")

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
            if _NOT_IN_BLOCK.search(suffix):
                return None  # a line separator or control character would break the block
            # At the last content character (a `|+` scalar's span also holds
            # its trailing blank lines), so the text joins the last line.
            end = node.end
            while end > node.start and self.index.text[end - 1] in " \t\r\n":
                end -= 1
            return end, suffix
        if style == "'":
            return (node.end - 1, suffix.replace("'", "''")) if can_be_single_quoted(suffix) else None
        return node.end - 1, double_quoted(suffix)[1:-1]

    def block_scalar(self, old: Scalar, value: str) -> str | None:
        """Rewrite a ``|``/``>`` scalar in block style, at its content's indent;
        None when block style cannot hold ``value`` exactly (then it is quoted)."""
        text = self.index.text
        at_eof = "\n" not in text[old.end :]
        lines = value.split("\n")
        # Trailing spaces in a block are the value's, but editors and template
        # trim markers (`{{-`) take them: such a value is quoted instead.
        if (not value.strip("\n") or _NOT_IN_BLOCK.search(value) or value.startswith(" ")
                or any(line != line.rstrip(" ") for line in lines) or (at_eof and value.endswith("\n"))):
            return None
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
        self.emptied: list[tuple[Mapping | Sequence, str]] = []  # collections whose every entry goes

    def after_branches(self, pos: int, node: Node) -> int:
        """In a template, new lines after a collection that ends inside an
        {{ if }} block go after its {{ end }}, where every branch that has
        the collection sees them. Which branches those are, its key says (its
        first entry may sit in an {{ if }} of its own)."""
        template = self.index.template
        if template is None:
            return pos
        parent = self.index.parents().get(id(node))
        owner = node if parent is None or parent[1] is None else parent[1]
        return template.after_branches(pos, owner.start)

    def check_continues(self, node: Node, pos: int) -> None:
        """Text appended after the {{ end }} line at ``pos`` stays part of the
        plain scalar ``node`` only if that line is indented as its
        continuation lines are; at its key's indent, the line ends the scalar
        in the YAML (it reads as a comment there), and text after it would
        read as a key. Refused: the command needs folding by hand."""
        parent = self.index.parents().get(id(node))
        owner = parent[1] if parent is not None and parent[1] is not None else parent[0] if parent else node
        start = self.index.line_start(pos)
        line = self.text[start:pos]
        if len(line) - len(line.lstrip(" ")) <= owner.column:
            raise ValueTypeError(
                "this value's last line sits inside a template block whose {{ end }} line (line "
                f"{self.index.line_of(pos) + 1}) is not indented as the value's lines are, so text appended after "
                "it would not be part of the value; add it by hand", line=node.line + 1, column=node.column + 1)

    def colon_end(self, key: Node, value: Node) -> int:
        """Just past the `:` between a key and its value. An explicit `? key`
        with no `: value` at all has none to write after: refused."""
        colon = self.text.find(":", key.end, max(value.start, key.end + 1))
        if colon < 0:
            raise ValueTypeError("this explicit `? key` has no `:` value to edit; write `: value` under it first",
                                 line=key.line + 1, column=key.column + 1)
        return colon + 1

    # -- values in a mapping or sequence slot -----------------------------------
    def replace_value(self, node: Node, value: Any, flow_parent: bool, key: Node | None, key_col: int) -> None:
        if isinstance(value, AppendedScalar) and value.base is node and self.append(node, value, flow_parent):
            return
        if isinstance(value, NewScalar) or (isinstance(value, (dict, list)) and not value) or flow_parent:
            self.replace_inline(node, self.inline_text(node, value, flow_parent), key, key_col)
        elif key is None:
            self.replace_item_block(node, value, key_col)
        else:
            self.replace_entry_block(node, value, key, key_col)

    def append(self, node: Node, value: AppendedScalar, flow_parent: bool) -> bool:
        """Write only the suffix of an AppendedScalar; False when its style can't hold it."""
        insertion = self.w.append_to(node, value.value, value.suffix, flow_parent)  # type: ignore[arg-type]
        template = self.index.template
        if insertion is not None and template is not None and node.style is None:  # type: ignore[attr-defined]
            moved = template.end_after_branches(insertion[0], node.start, self.text)
            if moved != insertion[0]:
                self.check_continues(node, moved)
            insertion = (moved, insertion[1])
        if insertion is not None:
            # Text added to the end of a scalar goes before any lines
            # inserted at the same spot (the end of a file, say).
            self.edits.append((insertion[0], insertion[0], insertion[1], math.inf))
            return True
        if template is not None and template.touches_markup(node.start, node.end):
            raise ValueTypeError(
                f"this value holds template markup, and {value.suffix.strip()!r} cannot be added to it in its "
                "style without rewriting the markup; quote the value in the template, or set it whole",
                line=node.line + 1, column=node.column + 1,
            )
        return False

    def inline_text(self, node: Node, value: Any, flow_parent: bool) -> str:
        """``value`` as one piece of text to stand where ``node`` was."""
        w = self.w
        if isinstance(value, NewScalar) and isinstance(node, Scalar):
            if node.style in ("|", ">") and value.literal is None and not flow_parent:
                block = w.block_scalar(node, str(value.value))
                if block is not None:
                    return block
            return w.scalar(value, node.style, flow_parent)
        return w.flow(value) if isinstance(value, (dict, list)) else w.scalar(value, None, flow_parent)

    def replace_inline(self, node: Node, new: str, key: Node | None, key_col: int) -> None:
        """Put the one-piece text ``new`` in ``node``'s place."""
        text = self.text
        if key is not None:
            self.colon_end(key, node)  # an explicit `? key` with no `:` has no place for a value
        if node.start == node.end and text[node.start - 1 : node.start] in (":", "-"):
            # A null written as nothing (`key:`, a bare `-`): not glued on,
            # and before any lines inserted at the same spot (the end of a file).
            self.edits.append((node.start, node.end, " " + new, math.inf))
            return
        if key is None or not isinstance(node, (Mapping, Sequence)) or node.flow:
            self.edits.append((node.start, node.end, new, 0))
            return
        # A block collection, written on the lines below its key.
        cut = self.colon_end(key, node)
        content = self.index.content_start(node)
        if not self.comments_only(cut, content):
            self.edits.append((cut, node.end, " " + new, 0))  # `key:\n  a: 1` -> `key: new`
            return
        # Comments between the key and the value stay where they are; the
        # value goes on the content's line, indented under the key even
        # where the old content was an indentless sequence.
        col = max(node.column, key_col + self.w.styles().step)
        self.edits.append((self.index.line_start(content), node.end, " " * col + new, 0))
        self.drop_properties(node, cut, content)

    def entry_start(self, key: Node) -> int:
        """Where a mapping entry starts: its key, or the `?` of an explicit key."""
        line_start = self.index.line_start(key.start)
        before = self.text[line_start : key.start].rstrip()
        if before.endswith("?") and before[:-1].strip() in ("", "-"):
            return line_start + len(before) - 1
        return key.start

    def comments_only(self, start: int, end: int) -> bool:
        """Does the text between a key and its block value hold comments (to
        keep in place), and no template directives (which belong to the value)?"""
        if "#" not in self.text[start:end]:
            return False
        template = self.index.template
        return template is None or not template.touches_markup(start, end)

    def drop_properties(self, node: Node, cut: int, content: int) -> None:
        """Remove a replaced collection's `&anchor`/`!tag` from its key's line."""
        if node.anchor is None and node.tag is None:
            return
        line_end = self.text.find("\n", cut)
        head = self.text[cut : min(content, line_end if line_end >= 0 else content)].rstrip("\r")
        kept = " ".join(word for word in head.split() if word[0] not in "&!")
        self.edits.append((cut, cut + len(head), f" {kept}" if kept else "", 0))

    def replace_item_block(self, node: Node, value: Any, dash_col: int) -> None:
        """A sequence item becomes a block collection, right after its `- `."""
        w = self.w
        if node.start == node.end:  # a bare `-`
            col = dash_col + w.styles().item_offset
            lines = w.block_lines(value, col)
            self.edits.append((node.start, node.end, " " * (col - node.column) + w.nl.join(lines)[col:], 0))
            return
        col = node.column
        lines = w.block_lines(value, col)
        self.edits.append((node.start, node.end, w.nl.join(lines)[col:], 0))

    def replace_entry_block(self, node: Node, value: Any, key: Node, key_col: int) -> None:
        """A mapping value becomes a block collection, on the lines under its key."""
        w = self.w
        step, seq_indent, _ = w.styles()
        if isinstance(node, (Mapping, Sequence)) and not node.flow:
            # Keep the old content's column (a mapping must sit right of its
            # key, even where the old value was an indentless sequence).
            col = node.column if isinstance(value, list) or node.column > key_col else key_col + step
            cut, content = self.colon_end(key, node), self.index.content_start(node)
            lines = w.block_lines(value, col)
            if self.comments_only(cut, content):
                self.edits.append((self.index.line_start(content), node.end, w.nl.join(lines), 0))
                self.drop_properties(node, cut, content)
            else:  # template directives before the content go with it
                self.edits.append((cut, node.end, w.nl + w.nl.join(lines), 0))
            return
        col = key_col + (step if isinstance(value, dict) else seq_indent)
        cut = self.colon_end(key, node)
        # `key: []# c`: the comment, glued to the old value, needs a space before it
        self.edits.append((cut, node.end, " " if self.text[node.end : node.end + 1] == "#" else "", 0))
        pos = self.index.line_end(node.end)
        self.edits.append((pos, pos, w.lines_at(pos, w.block_lines(value, col)), col))

    def empty_collection(self, node: Mapping | Sequence, empty: str) -> None:
        """Every entry of a block collection deleted: it becomes `{}` or `[]`,
        keeping its anchor and tag, where its key (if any) can hold it."""
        props = self.index.properties(node)
        new = f"{props} {empty}" if props else empty
        parent = self.index.parents().get(id(node))
        if parent is None or parent[1] is None:
            self.edits.append((node.start, node.end, new, 0))
        else:
            self.replace_inline(node, new, parent[1], parent[1].column)

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
            self.emptied.append((node, "{}"))
            return
        self.delete_entries(node, deleted)
        if inserts:
            pos = self.after_branches(self.index.line_end(node.end), node)
            lines = [ln for k, v in inserts for ln in w.entry_lines(k, v, node.column)]
            self.edits.append((pos, pos, w.lines_at(pos, lines), node.column))

    def delete_entries(self, node: Mapping, deleted: set[int]) -> None:
        text, index, n = self.text, self.index, len(node.keys)
        covered = -1  # entries up to here went with an inline first key
        for i in sorted(deleted):
            if i <= covered:
                continue
            key, value = node.keys[i], node.values[i]
            start = index.line_start(key.start)
            if not text[start : key.start].strip().startswith("-"):
                self.edits.append((start, index.line_end(value.end), "", 0))
                continue
            # The first key, inline after "- ": the next kept key moves up
            # onto the dash line. Comment and blank lines on the way stay,
            # above the item.
            nxt = next((j for j in range(i + 1, n) if j not in deleted), None)
            if nxt is None:
                self.edits.append((self.entry_start(key), value.end, "", 0))
                covered = n
                continue
            covered = nxt
            template = index.template
            if template is not None and template.touches_markup(value.end, node.keys[nxt].start):
                # Template directives on the way can't move: the item's
                # content starts on the next line instead (`-` alone).
                dash = text.rindex("-", start, self.entry_start(key))
                self.edits.append((dash + 1, index.line_end(node.values[nxt - 1].end) - len(index.newline), "", 0))
                continue
            source = index.source
            comments, at = [], index.line_end(value.end)
            inside = [(node.keys[j].start, node.values[j].end) for j in range(i + 1, nxt)]  # deleted with it
            for line in source[at : index.line_start(node.keys[nxt].start)].splitlines(keepends=True):
                if (line.lstrip().startswith("#") or not line.strip()) and not any(a <= at <= b for a, b in inside):
                    comments.append(line)  # comment and blank lines
                at += len(line)
            if comments:
                self.edits.append((start, start, "".join(comments), 0))
            self.edits.append((self.entry_start(key), self.entry_start(node.keys[nxt]), "", 0))

    def flow_mapping(self, node: Mapping, deleted: set[int], inserts: list) -> None:
        w = self.w
        opener = self.index.content_start(node)
        if self.text[opener : opener + 1] != "{" or self.text[node.end - 1 : node.end] != "}":
            # `[a: 1, ? b]`: a single pair inside a flow sequence, no braces to hold more
            raise ValueTypeError("this is a single-pair mapping inside a flow sequence (no braces), which cannot "
                                 "take more entries or lose one; write it as {key: value} first",
                                 line=node.line + 1, column=node.column + 1)
        added = ", ".join(f"{w.key(k, True)}: {w.flow(v)}" for k, v in inserts)
        entries = [(k.start, v.end) for k, v in zip(node.keys, node.values)]
        self.flow_edit(node, entries, deleted, "{", "}", added)

    def flow_edit(self, node: Node, entries: list[tuple[int, int]], deleted: set[int] | frozenset[int],
                  opener: str, closer: str, added: str) -> None:
        """Delete entries of a flow collection with their separators, then add
        ``added`` at its end. Only those bytes change: kept entries, their
        comments and the collection's line breaks stay as they were."""
        if deleted and len(deleted) == len(entries):
            props = self.index.properties(node)  # an emptied collection keeps its anchor and tag
            self.edits.append((node.start, node.end, f"{props} " * bool(props) + opener + added + closer, 0))
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
            self.emptied.append((node, "[]"))
            return
        for i in sorted(change.deleted):
            item = node.items[i]
            dash = text.rfind("-", 0, item.start + 1) if item.start > node.start else node.start
            self.edits.append((self.index.line_start(dash), self.index.line_end(item.end), "", 0))
        if change.appended:
            first = node.items[0]
            inner = (first.column - node.column if first.line == node.line and first.column > node.column + 1
                     and first.start != first.end else None)  # `-   name:` keeps its width; a bare `-` has none
            pos = self.after_branches(self.index.line_end(node.end), node)
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
        for node, empty in self.emptied:
            self.empty_collection(node, empty)
        if self.index.template is not None:
            self.edits = [self.whole_markup(edit) for edit in self.edits]
        self.keep_block_scalar_at_end()
        # At one offset, deeper inserts go first so nested lines stay nested.
        edits = sorted(self.edits, key=lambda e: (e[0], e[1], -e[3]))
        out, last = [], 0
        source = self.index.source  # the original: for a template, self.text is masked
        for start, end, new, _ in edits:
            if start < last:
                raise InternalError(f"two edits overlap at offset {start}")
            out.append(source[last:start])
            out.append(new)
            last = end
        out.append(source[last:])
        result = "".join(out)
        if not self.text.endswith(("\n", "\r")) and result.endswith("\n") and not self.keep_final_newline:
            # Deleting the last lines leaves the line break before them; a file
            # that had no final newline must still end without one.
            result = result[: -2 if result.endswith("\r\n") else -1]
        return result

    def whole_markup(self, edit: Edit) -> Edit:
        """A removal takes template blocks whole: stretched over the {{ end }}
        lines of blocks it opens, refused where it would take half of one."""
        start, end, new, depth = edit
        if start == end:
            return edit
        source = self.index.source
        stretched = self.index.template.balanced_end(start, end, source)  # type: ignore[union-attr]
        if stretched is None:
            line, column = position(source, start)
            raise ValueTypeError(
                "this edit would remove part of a template {{ if }}/{{ else }}/{{ end }} block and leave the rest; "
                "edit the template by hand here", line=line, column=column)
        if stretched == end:
            return edit
        if source[end - 1 : end] == "\n":  # a removal of whole lines stays one
            stretched = self.index.line_end(stretched)
        if any(end <= s < stretched for s, _, _, _ in self.edits):
            line, column = position(source, end)
            raise ValueTypeError(
                "this edit would remove a template block that another edit writes into; edit the template by hand "
                "here", line=line, column=column)
        return start, stretched, new, depth

    def keep_block_scalar_at_end(self) -> None:
        """A file without a final newline whose end moves keeps both: no
        final newline, and the value of the block scalar that ends it.

        - New lines after a block scalar that has no line break would give
          it one: its chomping becomes `-`.
        - Lines deleted at the end take the line break before them, not the
          one after the lines kept, so that lines also added there follow one
          line break, not two; unless the block scalar left last needs that
          line break for its value: then it stays, and so does a final
          newline (the one case where the file gains one)."""
        self.keep_final_newline = False
        text = self.text
        if text.endswith(("\n", "\r")) or not text:
            return
        end = len(text)
        if any(start == end for start, _, new, _ in self.edits if new):
            header = self._kept_block_header(_last_leaf(self.index, end))
            if header is not None and "-" not in header[1]:
                start, token = header
                self.edits.append((start, start + len(token), token.replace("+", "") + "-", 0))
        cut = self.trailing_cut()
        if cut is None:
            return
        header = self._kept_block_header(_last_leaf(self.index, cut[0]))
        if header is not None and "-" not in header[1]:
            self.keep_final_newline = True
            return
        before = 2 if text[cut[0] - 2 : cut[0]] == "\r\n" else 1 if text[cut[0] - 1 : cut[0]] == "\n" else 0
        low = cut[0] - before
        # Not when text written after that line break starts a line only
        # thanks to it (lines appended where cut lines were, not at the end,
        # so with no line break of their own first).
        if before and not any(s <= cut[0] and e > low and not s == e == low
                              for s, e, _, _ in self.edits if (s, e) != cut[:2]) and not any(
                new and s > low and not new.startswith(("\n", "\r")) for s, _, new, _ in self.edits):
            self.edits.remove(cut)
            self.edits.append((cut[0] - before, cut[1], cut[2], cut[3]))

    def _kept_block_header(self, node: Node | None) -> tuple[int, str] | None:
        """The header of a block scalar the edits leave as it is; a replaced
        one is written knowing it ends the file (no line break to keep)."""
        header = _block_header(self.index, node)
        if header is None or any(s <= header[0] < e for s, e, _, _ in self.edits):
            return None
        return header

    def trailing_cut(self) -> Edit | None:
        """The first of the deletions that together reach the end of the text."""
        removals = sorted(edit for edit in self.edits if edit[0] < edit[1] and not edit[2])
        cut = next((edit for edit in reversed(removals) if edit[1] == len(self.text)), None)
        while cut is not None:
            earlier = next((edit for edit in removals if edit[1] == cut[0]), None)
            if earlier is None:
                return cut
            cut = earlier
        return None

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


def _last_leaf(index: YamlIndex, before: int) -> Node | None:
    """The deepest last node that ends at or before offset ``before``, with
    nothing but whitespace between (a key with an empty value after a block
    scalar makes that key's null the last, not the block)."""
    node: Node | None = next((r for r in reversed(index.roots) if r is not None and r.start < before), None)
    while isinstance(node, (Mapping, Sequence)):
        children = node.values if isinstance(node, Mapping) else node.items
        started = [child for child in children if child.start < before]
        if not started:
            break
        node = started[-1]
    return node if node is not None and node.end <= before and not index.text[node.end : before].strip() else None


def _block_header(index: YamlIndex, node: Node | None) -> tuple[int, str] | None:
    """Where a block scalar's `|`/`>` indicator is, and the indicator."""
    if not isinstance(node, Scalar) or node.style not in ("|", ">"):
        return None
    # Past the properties: a verbatim tag (`!<tag:...>`) holds a `>` of its own.
    match = re.compile(r"[|>][-+0-9]*").search(index.text, index.content_start(node))
    return None if match is None else (match.start(), match.group())


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

"""Go template markup (``{{ ... }}``) in configs: masking and branch structure.

Most Kuberlab project files are Go templates, which are not YAML until
rendered. taskpatch never renders them. It masks every action into a
placeholder of exactly the same length and line structure, so that the
masked text is YAML whose every offset is the original's; the index is built
from the masked text, and edits are spliced into the original. Markup is
therefore never edited, except that setting a key whose whole value is one
action replaces that action, as the user asked.

- An action inside a line (``image: {{ .image }}``) becomes underscores,
  a plain scalar: ``image: ____________``.
- A line holding only actions (``{{- if .gpu }}``, ``{{- end }}``) becomes a
  comment, ``#~~~~~~~~~~~~~``, so it cannot break the indentation.

Branches: ``if``/``with``/``range`` open a block, ``else`` starts its next
branch, ``end`` closes it. Two lines in different branches of one block are
alternatives: a key or resource that appears in both is one thing rendered
two ways, and both get the edit.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass

_OPENERS = re.compile(r"\{\{-?\s*(?:if|with|range|define|block)\b")
_ELSE = re.compile(r"\{\{-?\s*else\b")
_END = re.compile(r"\{\{-?\s*end\b")

Branch = tuple[tuple[int, int], ...]  # (block number, branch number) per enclosing block


def find_actions(text: str) -> list[tuple[int, int]]:
    """Spans of ``{{ ... }}`` actions. Strings inside an action may hold
    ``}}`` (``{{"spark://{{.NAME}}:7077"}}``); an unclosed action runs to the end."""
    spans = []
    i = text.find("{{")
    while i >= 0:
        j, quote = i + 2, ""
        while j < len(text):
            c = text[j]
            if quote:
                if c == "\\" and quote == '"':
                    j += 1
                elif c == quote:
                    quote = ""
            elif c in "\"`":
                quote = c
            elif text.startswith("}}", j):
                j += 2
                break
            j += 1
        spans.append((i, j))
        i = text.find("{{", j)
    return spans


def has_markup(text: str) -> bool:
    return "{{" in text and bool(find_actions(text))


@dataclass(frozen=True)
class TemplateInfo:
    """The actions of a text and the branch each line sits in."""

    actions: tuple[tuple[int, int], ...]
    line_starts: tuple[int, ...]
    branches: tuple[Branch, ...]  # per line
    directive_lines: frozenset[int]  # lines holding only actions (0-based)
    length: int  # of the text
    openers: tuple[int, ...] = ()  # the line of each block's opening action, by block number - 1

    def opener_line(self, block: int) -> int:
        """The 0-based line of the action that opens block number ``block``."""
        return self.openers[block - 1]

    def line_of(self, offset: int) -> int:
        return bisect.bisect_right(self.line_starts, offset) - 1

    def branch_at(self, offset: int) -> Branch:
        return self.branches[self.line_of(offset)]

    def is_markup(self, start: int, end: int) -> bool:
        """Is ``[start, end)`` exactly one action (a value that is all template)?"""
        i = bisect.bisect_left(self.actions, (start, 0))
        return i < len(self.actions) and self.actions[i] == (start, end)

    def touches_markup(self, start: int, end: int) -> bool:
        i = bisect.bisect_left(self.actions, (start, 0))
        if i and self.actions[i - 1][1] > start:
            return True
        return i < len(self.actions) and self.actions[i][0] < end

    def after_branches(self, pos: int, anchor: int) -> int:
        """Move an insertion point ``pos`` (a line start) past the directive
        lines that close blocks opened after ``anchor``, so that new lines land
        where every branch that reaches ``anchor`` sees them."""
        want = len(self.branch_at(anchor))
        if pos >= self.length:
            return pos
        line = self.line_of(pos)
        while self._open_at_start(line) > want and line in self.directive_lines:
            line += 1
            if line >= len(self.line_starts):
                return self.length
            pos = self.line_starts[line]
        return pos

    def end_after_branches(self, pos: int, anchor: int, text: str) -> int:
        """For text appended at ``pos`` (the end of a scalar that starts at
        ``anchor``): when the scalar's last line sits inside an {{ if }} that
        closes on the next lines, append after the {{ end }} instead, so the
        text is there in every branch (`{{- end }} --x 1` renders as ` --x 1`)."""
        want = len(self.branch_at(anchor))
        line = self.line_of(pos) + 1
        while line < len(self.line_starts) and line in self.directive_lines and self._open_at_start(line) > want:
            end = text.find("\n", self.line_starts[line])
            end = len(text) if end < 0 else end
            pos = end - 1 if text[end - 1 : end] == "\r" else end
            line += 1
        return pos

    def balanced_end(self, start: int, end: int, text: str) -> int | None:
        """Where a removal of ``[start, end)`` must end so that the markup it
        takes is whole: stretched over the directive lines that close the
        blocks it opens (a mapping whose last entries sit in an {{ if }}).
        None when it would take part of a block opened before it (an
        {{ else }} or {{ end }} without its {{ if }})."""
        i = bisect.bisect_left(self.actions, (start, 0))
        depth = 0
        while i < len(self.actions) and self.actions[i][0] < end:
            depth = _depth_after(depth, text[self.actions[i][0] : self.actions[i][1]])
            if depth < 0:
                return None
            i += 1
        if depth == 0:
            return end
        while depth > 0:
            if i >= len(self.actions) or self.line_of(self.actions[i][0]) not in self.directive_lines:
                return None  # the block closes on a line with other content
            depth = _depth_after(depth, text[self.actions[i][0] : self.actions[i][1]])
            end = self.actions[i][1]
            i += 1
        # The rest of the last directive line goes too (more markup, spaces).
        while i < len(self.actions) and self.line_of(self.actions[i][0]) == self.line_of(end - 1):
            if _depth_after(0, text[self.actions[i][0] : self.actions[i][1]]) != 0:
                return None  # an {{ else }} or a block of its own shares the line
            end = self.actions[i][1]
            i += 1
        return end

    def _open_at_start(self, line: int) -> int:
        """How many blocks are open where ``line`` starts."""
        return len(self.branches[line - 1]) if line > 0 else 0


def _depth_after(depth: int, action: str) -> int:
    """Block depth after ``action``: an opener adds one, an end takes one;
    an else at depth 0 (splitting an outer block) gives -1."""
    if _END.match(action):
        return depth - 1
    if _ELSE.match(action):
        return depth if depth > 0 else -1
    if _OPENERS.match(action):
        return depth + 1
    return depth


def alternatives(a: Branch, b: Branch) -> bool:
    """Can two lines not both render, as far as the markup shows? They sit
    in different branches of one block, or in different blocks side by
    side: real templates write a switch both ways, `{{ if }}…{{ else }}` and
    `{{ if eq .v "2" }}…{{ end }}{{ if eq .v "3" }}…{{ end }}`. This is what
    makes a key written once in each of them one key, not a duplicate.
    Lines that can render together (one outside a block the other is in,
    or both in one branch) are not alternatives."""
    return any(x != y for x, y in zip(a, b))


def exclusive(a: Branch, b: Branch) -> bool:
    """Can two lines certainly not both render: different branches of one
    block? (Side-by-side blocks may both render, as far as the markup says.)"""
    for (block_a, branch_a), (block_b, branch_b) in zip(a, b):
        if block_a != block_b:
            return False
        if branch_a != branch_b:
            return True
    return False


def analyse(text: str) -> TemplateInfo:
    actions = find_actions(text)
    line_starts = [0] + [m.end() for m in re.finditer("\n", text)]
    # Which lines hold nothing but actions and blanks?
    covered: dict[int, list[tuple[int, int]]] = {}
    for start, end in actions:
        covered.setdefault(text.count("\n", 0, start), []).append((start, end))
    directive_lines = set()
    for line, spans in covered.items():
        begin = line_starts[line]
        finish = text.find("\n", begin)
        finish = len(text) if finish < 0 else finish
        rest = text[begin:finish]
        for start, end in sorted(spans, reverse=True):
            rest = rest[: start - begin] + rest[end - begin :] if end <= finish else rest[: start - begin]
        if not rest.strip() and all(end <= finish for _, end in spans):
            directive_lines.add(line)
    # Branch of every line: walk the actions in order.
    branches: list[Branch] = []
    stack: list[list[int]] = []
    blocks = 0
    openers: list[int] = []
    by_line: dict[int, list[str]] = {}
    for start, end in actions:
        by_line.setdefault(text.count("\n", 0, start), []).append(text[start:end])
    for line in range(len(line_starts)):
        for action in by_line.get(line, ()):
            if _END.match(action):
                if stack:
                    stack.pop()
            elif _ELSE.match(action):
                if stack:
                    stack[-1][1] += 1
            elif _OPENERS.match(action):
                blocks += 1
                openers.append(line)
                stack.append([blocks, 0])
        branches.append(tuple((b, n) for b, n in stack))
    return TemplateInfo(tuple(actions), tuple(line_starts), tuple(branches), frozenset(directive_lines), len(text),
                        tuple(openers))


def mask(text: str, info: TemplateInfo, as_text: frozenset[int] | set[int] = frozenset()) -> str:
    """Same length, same line breaks, YAML where the markup was. Directive
    lines become comments, except those in ``as_text``: inside a multi-line
    plain scalar a comment would end the scalar, so there they become text."""
    chars = list(text)
    for start, end in info.actions:
        line = info.line_of(start)
        if line in info.directive_lines and line not in as_text:
            first = True
            for k in range(start, end):
                if chars[k] not in "\r\n":
                    chars[k] = "#" if first else "~"
                    first = False
        else:
            for k in range(start, end):
                if chars[k] not in "\r\n":
                    chars[k] = "_"
    return "".join(chars)

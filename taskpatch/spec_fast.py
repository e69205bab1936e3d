"""A fast path for the common spec shapes; the Lark grammar stays the definition.

Lark's LALR parser and its tree cost 30-60 µs a spec. The shapes people
write nearly always (``worker.replicas=3``, ``MY_VAR=x``, ``*.lr=0.1``,
``worker.env[name=A].value=1``, and spec files of such lines) are read
here with regular expressions in a few µs. Each pattern is a grammar
terminal with the alternatives that make lexing subtle left out: no quotes,
no backslash escapes, no ``[...]`` glob classes, no index of more than 18
digits and no filter key starting with a digit (the lexer would read an
index there). What remains tokenises exactly as Lark's contextual lexer
does, so the AST is the same; anything else, every error included, returns
None and goes to Lark. ``tests/test_spec_fast.py`` checks that over valid
and invalid specs and spec files.

How written names and values become AST text (``value_of``, ``unquote``)
lives here too, shared by both paths.
"""

from __future__ import annotations

import re
from typing import Optional

from .errors import SpecRef, SpecSyntaxError
from .flow import flow_root, is_flow
from .spec_ast import ArgsSpec, EnvSpec, Index, ItemFilter, Key, PathStep, Selector, SetSpec, Span, Spec, UnsetSpec, Value

MAX_INDEX_DIGITS = 18  # an index beyond sys.maxsize can't be a position in a list

# The grammar's terminals without their escape, quote and glob-class alternatives.
_SEL_WORD = r"[A-Za-z0-9_\-*?]+"
_ENV_WORD = r"[A-Za-z0-9_.\-*?]+"
_KEY = r"[^\s.=\[\]\"'\\]+"
_ARG_KEY = r"[^\s=\\\"']+"

_SELECTOR_DOT = re.compile(rf"({_SEL_WORD})\.")
_KEY_AT = re.compile(_KEY)
# After '[' the lexer tries INDEX before KEY: a filter key must not start with a digit.
_STEP = re.compile(
    rf"\.({_KEY})"
    rf"|\[([0-9]{{1,{MAX_INDEX_DIGITS}}})\]"
    rf"|\[([^\s.=\[\]\"'\\0-9][^\s.=\[\]\"'\\]*)=([^\]\r\n\"'][^\]\r\n]*)?\]"
)
_ENV = re.compile(rf"(?:({_ENV_WORD}):)?({_ENV_WORD})=")
_ARGS = re.compile(rf"({_SEL_WORD})(?:\.({_ARG_KEY}))?=")

# Kubernetes' rule for environment variable names.
ENV_NAME_RE = re.compile(r"[-._a-zA-Z][-._a-zA-Z0-9]*\Z")
QUOTED_RE = re.compile(r"\"(?:[^\"\\\r\n]|\\.)*\"\Z|'(?:[^'\r\n]|'')*'\Z")
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "0": "\0"}


# -- how written text becomes names and values (both paths) ------------------
def value_of(text: str, span: Span) -> Value:
    """A value as written: quoted whole means a string, unquoted is typed later."""
    if QUOTED_RE.match(text):
        return Value(unquote(text), True, span)
    return Value(text, False, span)


def unquote(text: str) -> str:
    if text.startswith("'"):
        return text[1:-1].replace("''", "'")
    return unescape(text[1:-1])


def unescape(text: str) -> str:
    return re.sub(r"\\(.)", lambda m: _ESCAPES.get(m.group(1), m.group(1)), text)


# -- the fast path -------------------------------------------------------------

def _path(text: str, pos: int) -> tuple[tuple[PathStep, ...], int] | None:
    """The steps of a path starting at ``pos`` (its first key), and where it ends."""
    first = _KEY_AT.match(text, pos)
    if first is None:
        return None
    steps: list[PathStep] = [Key(first.group(), Span(pos, first.end()))]
    pos = first.end()
    while (step := _STEP.match(text, pos)) is not None:
        key, index, filter_key, filter_value = step.groups()
        end = step.end()
        if key is not None:
            steps.append(Key(key, Span(pos + 1, end)))
        elif index is not None:
            steps.append(Index(int(index), Span(pos, end)))
        else:
            steps.append(ItemFilter(filter_key, filter_value or "", Span(pos, end)))
        pos = end
    return tuple(steps), pos


def _target(text: str, pos: int) -> tuple[Selector, tuple[PathStep, ...], int] | None:
    head = _SELECTOR_DOT.match(text, pos)
    if head is None:
        return None
    path = _path(text, head.end())
    if path is None:
        return None
    return Selector(head.group(1), False, Span(pos, head.end() - 1)), path[0], path[1]


def _value(text: str, pos: int) -> Value:
    end = len(text)
    if pos == end:  # `KEY=` with nothing after: an empty value where the spec ends
        return Value("", False, Span(end, end))
    return value_of(text[pos:], Span(pos, end))


def parse_set(source: SpecRef) -> Optional[Spec]:
    """``[+]SEL.PATH=VALUE``. A flow value (``[...]``, ``{...}``) that is
    not one goes to Lark, which reports it: a spec file's errors must come
    in the grammar's order, after the whole file has parsed."""
    text = source.text
    force = text.startswith("+")
    target = _target(text, int(force))
    if target is None or not text.startswith("=", target[2]):
        return None
    selector, path, end = target
    value = _value(text, end + 1)
    if is_flow(value):
        try:
            flow_root(value, source)
        except SpecSyntaxError:
            return None
    return SetSpec(source, selector, path, value, force)


def parse_unset(source: SpecRef) -> Optional[Spec]:
    """``~SEL.PATH``."""
    return _unset(source, 1) if source.text.startswith("~") else None


def parse_unset_target(source: SpecRef) -> Optional[Spec]:
    """A spec file's ``unset SEL.PATH``."""
    return _unset(source, 0)


def _unset(source: SpecRef, start: int) -> Optional[Spec]:
    target = _target(source.text, start)
    if target is None or target[2] != len(source.text):
        return None
    return UnsetSpec(source, target[0], target[1])


def parse_env(source: SpecRef) -> Optional[Spec]:
    text = source.text
    match = _ENV.match(text)
    if match is None:
        return None
    selector_text, name = match.groups()
    if not ENV_NAME_RE.match(name):  # Lark's path raises the positioned error
        return None
    selector = None if selector_text is None else Selector(selector_text, False, Span(0, match.end(1)))
    start = match.start(2)
    end = len(text)
    # An env value is verbatim, quotes included.
    return EnvSpec(source, selector, name, Span(start, match.end(2)), text[match.end() :], Span(match.end(), end))


def parse_args(source: SpecRef) -> Optional[Spec]:
    text = source.text
    match = _ARGS.match(text)
    if match is None:
        return None
    selector = Selector(match.group(1), False, Span(0, match.end(1)))
    key = None if match.group(2) is None else Key(match.group(2), Span(match.start(2), match.end(2)))
    return ArgsSpec(source, selector, key, _value(text, match.end()))


# A spec file's line: blank, a comment, or a spec word, spaces and the body.
_LINE = re.compile(r"[ \t]*(?:#.*|(env|set|unset|args)[ \t]+(.+))?\Z")
_BY_WORD = {"env": parse_env, "set": parse_set, "unset": parse_unset_target, "args": parse_args}


def parse_file(text: str, name: str) -> Optional[list[Spec]]:
    """Every spec of a spec file (``text`` ends with a line break), or None
    when any line is not one of the shapes above: then Lark reads the whole
    file and reports its first error."""
    specs: list[Spec] = []
    for number, line in enumerate(text.split("\n")[:-1], 1):
        if line.endswith("\r"):
            line = line[:-1]
        match = _LINE.match(line)
        if match is None or "\r" in line:
            return None
        word, body = match.groups()
        if word is None:
            continue
        spec = _BY_WORD[word](SpecRef(body, f"{name}:{number}", column_offset=match.start(2)))
        if spec is None:
            return None
        specs.append(spec)
    return specs

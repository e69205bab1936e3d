"""Parse spec strings and spec files into the AST with the Lark grammar.

The LALR parser is built once per process (``_lark``); building it costs
more than parsing every spec a run will ever see, so the built tables are
also cached on disk between processes (see ``_cache_file``).
"""

from __future__ import annotations

import functools
import os
import re
import sys

import lark
from lark import Lark, Token, Transformer, Tree, v_args
from lark.exceptions import (
    UnexpectedCharacters,
    UnexpectedEOF,
    UnexpectedInput,
    UnexpectedToken,
    VisitError,
)

from .errors import SpecRef, SpecSyntaxError
from .spec_ast import (
    ArgsSpec,
    EnvSpec,
    Index,
    ItemFilter,
    Key,
    Selector,
    SetSpec,
    Span,
    Spec,
    UnsetSpec,
    Value,
)

MAX_INDEX_DIGITS = 18  # an index beyond sys.maxsize can't be a position in a list
START_RULES = ("env_spec", "set_spec", "unset_spec", "args_spec", "spec_file")

# Kubernetes' rule for environment variable names.
ENV_NAME_RE = re.compile(r"[-._a-zA-Z][-._a-zA-Z0-9]*\Z")
_SURROGATE = re.compile("[\ud800-\udfff]")
QUOTED_RE = re.compile(r"\"(?:[^\"\\\r\n]|\\.)*\"\Z|'(?:[^'\r\n]|'')*'\Z")

# Lark names terminals; people read words.
TERMINAL_WORDS = {
    "SEL_WORD": "a resource name or glob",
    "ENV_WORD": "a variable name or selector",
    "KEY": "a key",
    "ARG_KEY": "an argument name",
    "INDEX": "an index",
    "QUOTED": "a quoted string",
    "FILTER_VALUE": "a value",
    "VALUE": "a value",
    "COLON": "':'",
    "DOT": "'.'",
    "EQUAL": "'='",
    "LSQB": "'['",
    "RSQB": "']'",
    "TILDE": "'~'",
    "$END": "the end of the spec",
    "_NL": "the end of the line",
    "_WS": "a space",
    "COMMENT": "a comment",
    "ENV": "'env'",
    "SET": "'set'",
    "UNSET": "'unset'",
    "ARGS": "'args'",
}


def grammar_path() -> str:
    """The grammar file: the copy packaged in a wheel, else ``grammar/`` of a
    checkout (an editable install). Plain ``os.path``: importlib.resources and
    pathlib would add ~10 ms to every CLI start."""
    here = os.path.dirname(os.path.abspath(__file__))
    packaged = os.path.join(here, "grammar", "taskpatch.lark")
    if os.path.isfile(packaged):
        return packaged
    return os.path.join(os.path.dirname(here), "grammar", "taskpatch.lark")


def _cache_file() -> str | bool:
    """Where lark may keep the built LALR tables: about 20 ms of every CLI run.

    A per-user cache folder rather than lark's default of the shared temp
    folder, because the cache is a pickle. Lark checks a SHA-256 of the
    grammar and options before using it and rebuilds (and rewrites) on any
    mismatch or read error. ``TASKPATCH_NO_CACHE=1`` or an unwritable home
    turns caching off.
    """
    if os.environ.get("TASKPATCH_NO_CACHE"):
        return False
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    folder = os.path.join(base, "taskpatch")
    try:
        os.makedirs(folder, mode=0o700, exist_ok=True)
    except OSError:
        return False
    return os.path.join(folder, f"grammar-lark{lark.__version__}-py{sys.version_info[0]}{sys.version_info[1]}.cache")


def _read_grammar() -> str:
    with open(grammar_path(), encoding="utf-8") as handle:
        return handle.read()


@functools.lru_cache(maxsize=None)
def _lark() -> Lark:
    return Lark(
        _read_grammar(),
        cache=_cache_file(),
        parser="lalr",
        lexer="contextual",
        start=list(START_RULES),
        propagate_positions=True,
        maybe_placeholders=False,
    )


def value_of(text: str, span: Span) -> Value:
    """A value as written: quoted whole means a string, unquoted is typed later."""
    if QUOTED_RE.match(text):
        return Value(_unquote(text), True, span)
    return Value(text, False, span)


def _unquote(text: str) -> str:
    if text.startswith("'"):
        return text[1:-1].replace("''", "'")
    return _unescape(text[1:-1])


_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "0": "\0"}


def _unescape(text: str) -> str:
    return re.sub(r"\\(.)", lambda m: _ESCAPES.get(m.group(1), m.group(1)), text)


class _ToAst(Transformer):
    """Tree → AST. Spans are made relative to ``base`` (a statement's start)."""

    def __init__(self, source: SpecRef, base: int = 0) -> None:
        super().__init__()
        self.source = source
        self.base = base

    def _span(self, token: Token) -> Span:
        # Tokens from the LALR lexer always carry positions (lark types them Optional).
        return Span(_pos(token.start_pos) - self.base, _pos(token.end_pos) - self.base)

    # -- selectors and keys -------------------------------------------------
    @v_args(inline=True)
    def plain_selector(self, token: Token) -> Selector:
        return Selector(str(token), False, self._span(token))

    @v_args(inline=True)
    def quoted_selector(self, token: Token) -> Selector:
        return Selector(_unquote(token), True, self._span(token))

    @v_args(inline=True)
    def plain_key(self, token: Token) -> Key:
        return Key(_unescape(token), self._span(token))

    @v_args(inline=True)
    def quoted_key(self, token: Token) -> Key:
        return Key(_unquote(token), self._span(token))

    @v_args(inline=True)
    def index(self, token: Token) -> Index:
        span = Span(_pos(token.start_pos) - 1 - self.base, _pos(token.end_pos) + 1 - self.base)
        if len(token.lstrip("0")) > MAX_INDEX_DIGITS:
            # No list is that long; and int() refuses text over 4,300 digits.
            raise SpecSyntaxError(f"index {token[:MAX_INDEX_DIGITS]}... is larger than any list", spec=self.source,
                                  spec_column=span.start + 2 + self.source.column_offset)
        return Index(int(token), span)

    @v_args(meta=True)
    def item_filter(self, meta, children) -> ItemFilter:
        key = children[0]
        value = children[1] if len(children) > 1 else ""
        return ItemFilter(key.name, value, Span(meta.start_pos - self.base, meta.end_pos - self.base))

    @v_args(inline=True)
    def plain_filter_value(self, token: Token) -> str:
        return str(token)

    @v_args(inline=True)
    def quoted_filter_value(self, token: Token) -> str:
        return _unquote(token)

    def path(self, steps) -> tuple:
        return tuple(steps)

    @v_args(inline=True)
    def target(self, selector: Selector, path: tuple) -> tuple:
        return selector, path

    @v_args(inline=True)
    def value(self, token: Token) -> Value:
        return value_of(str(token), self._span(token))

    def _missing_value(self, meta) -> Value:
        end = meta.end_pos - self.base
        return Value("", False, Span(end, end))

    # -- specs ----------------------------------------------------------------
    @v_args(inline=True)
    def env_name(self, token: Token) -> Token:
        if not ENV_NAME_RE.match(token):
            raise SpecSyntaxError(
                f"{str(token)!r} is not a valid environment variable name "
                "(letters, digits, '_', '-', '.'; not starting with a digit)",
                spec=self.source,
                spec_column=_pos(token.start_pos) - self.base + 1 + self.source.column_offset,
            )
        return token

    @v_args(meta=True)
    def env_spec(self, meta, children) -> EnvSpec:
        selector = children[0] if isinstance(children[0], Selector) else None
        rest = children[1:] if selector else children
        name: Token = rest[0]
        value = rest[1] if len(rest) > 1 else self._missing_value(meta)
        # An env value is verbatim, quotes included: never unquote it.
        raw = self.source.text[value.span.start : value.span.end]
        return EnvSpec(self.source, selector, str(name), self._span(name), raw, value.span)

    @v_args(meta=True)
    def set_spec(self, meta, children) -> SetSpec:
        selector, path = children[0]
        value = children[1] if len(children) > 1 else self._missing_value(meta)
        return SetSpec(self.source, selector, path, value)

    @v_args(inline=True)
    def unset_spec(self, target: tuple) -> UnsetSpec:
        return UnsetSpec(self.source, *target)

    @v_args(meta=True)
    def args_entry(self, meta, children) -> ArgsSpec:
        value = children[2] if len(children) > 2 else self._missing_value(meta)
        return ArgsSpec(self.source, children[0], children[1], value)

    @v_args(meta=True)
    def args_raw(self, meta, children) -> ArgsSpec:
        value = children[1] if len(children) > 1 else self._missing_value(meta)
        return ArgsSpec(self.source, children[0], None, value)


def _describe_expected(names: set[str]) -> str:
    words = sorted({TERMINAL_WORDS.get(n, n.lower()) for n in names})
    if not words:
        return "nothing more"
    if len(words) == 1:
        return words[0]
    return ", ".join(words[:-1]) + " or " + words[-1]


def _pos(value: int | None) -> int:
    return value or 0


def _syntax_error(exc: UnexpectedInput, source: SpecRef, text: str) -> SpecSyntaxError:
    """Turn a lark error into a positioned error in words."""
    if isinstance(exc, UnexpectedCharacters):
        pos = _pos(exc.pos_in_stream)
        found = repr(text[pos]) if pos < len(text) else "the end"
        expected = _describe_expected(set(exc.allowed or ()))
    elif isinstance(exc, UnexpectedToken):
        token = exc.token
        if token.type == "$END":
            pos, found = len(text), "the end of the spec"
        else:
            pos = token.start_pos
            # The root lexer may have grabbed a long catch-all token; quote a
            # whole word, otherwise just the character the parser stopped at.
            found = repr(str(token)) if re.fullmatch(r"\w+", token) else repr(token[0])
        expected = _describe_expected(set(exc.accepts or exc.expected))
    elif isinstance(exc, UnexpectedEOF):
        pos, found = len(text), "the end of the spec"
        expected = _describe_expected(set(exc.expected))
    else:  # pragma: no cover - lark has no other UnexpectedInput kinds
        pos, found, expected = 0, "input", "a spec"
    return SpecSyntaxError(
        f"expected {expected}, found {found}",
        spec=source,
        spec_column=pos + 1 + source.column_offset,
    )


def _parse(text: str, start: str, source: SpecRef) -> Tree:
    try:
        return _lark().parse(text, start=start)
    except UnexpectedInput as exc:
        raise _syntax_error(exc, source, text) from None


def check_utf8(text: str, source: SpecRef) -> None:
    """Refuse lone surrogates. Bytes of the command line that are not UTF-8
    reach ``sys.argv`` as U+DC80-U+DCFF ("surrogateescape"); no YAML or JSON
    can hold them, and written out they would become an escape such as
    ``"\\udce9"``, not the byte."""
    bad = _SURROGATE.search(text)
    if bad is not None:
        code = ord(bad.group())
        what = f"byte 0x{code - 0xDC00:02x}" if 0xDC80 <= code <= 0xDCFF else f"a lone surrogate U+{code:04X}"
        raise SpecSyntaxError(f"not UTF-8 text ({what})", spec=source,
                              spec_column=bad.start() + 1 + source.column_offset)


def _parse_one(start: str, text: str, label: str) -> Spec:
    source = SpecRef(text, label)
    check_utf8(text, source)
    if "\n" in text or "\r" in text:
        raise SpecSyntaxError(
            "a spec is one line; line breaks are not allowed in it",
            spec=source,
            spec_column=min(i for i in (text.find("\n"), text.find("\r")) if i >= 0) + 1,
        )
    return _transform(_ToAst(source), _parse(text, start, source))


def _transform(transformer: _ToAst, tree: Tree):
    try:
        return transformer.transform(tree)
    except VisitError as exc:  # lark wraps errors raised in callbacks
        raise exc.orig_exc from None


def parse_env(text: str, label: str = "-e") -> EnvSpec:
    return _parse_one("env_spec", text, label)  # type: ignore[return-value]


def parse_override(text: str, label: str = "-s") -> SetSpec | UnsetSpec:
    """``SEL.PATH=VALUE`` sets, ``~SEL.PATH`` deletes."""
    start = "unset_spec" if text.startswith("~") else "set_spec"
    return _parse_one(start, text, label)  # type: ignore[return-value]


def parse_args(text: str, label: str = "-a") -> ArgsSpec:
    return _parse_one("args_spec", text, label)  # type: ignore[return-value]


def _on_its_line(error: SpecSyntaxError, text: str, pos: int, path: str) -> SpecSyntaxError:
    """An error at offset ``pos`` of a spec file, told as its line and column."""
    line_no = text.count("\n", 0, pos)
    line_start = text.rfind("\n", 0, pos) + 1
    error.spec = SpecRef(text[line_start : text.find("\n", line_start)], f"{path}:{line_no + 1}")
    error.spec_column = pos - line_start + 1
    error.file, error.line, error.column = path, line_no + 1, error.spec_column
    return error


def parse_spec_file(text: str, path: str = "<spec file>") -> list[Spec]:
    """One spec per line (``env``/``set``/``unset``/``args``); ``#`` comments."""
    if text and not text.endswith("\n"):
        text += "\n"
    whole = SpecRef(text, path)
    try:
        check_utf8(text, whole)
        tree = _lark().parse(text, start="spec_file")
    except SpecSyntaxError as error:
        raise _on_its_line(error, text, (error.spec_column or 1) - 1, path) from None
    except UnexpectedInput as exc:
        pos = exc.pos_in_stream if exc.pos_in_stream is not None else len(text)
        raise _on_its_line(_syntax_error(exc, whole, text), text, pos, path) from None
    specs: list[Spec] = []
    for statement in tree.children:
        if not isinstance(statement, Tree):
            continue  # a comment
        body = statement.children[0]
        assert isinstance(body, Tree)  # the grammar makes every statement a tree
        start = body.meta.start_pos
        line_start = text.rfind("\n", 0, start) + 1
        line_end = text.find("\n", start)
        body_text = text[start:line_end].rstrip("\r")
        source = SpecRef(body_text, f"{path}:{body.meta.line}", column_offset=start - line_start)
        result = _transform(_ToAst(source, base=start), body)
        # `unset` lines have no `~`, so their body is a bare target.
        specs.append(UnsetSpec(source, *result) if statement.data == "unset_statement" else result)
    return specs

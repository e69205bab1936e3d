"""Parse spec strings and spec files into the AST with the Lark grammar.

The LALR tables ship in the package (``parse_tables.pickle``, made from
``grammar/taskpatch.lark`` by ``write_tables()``) and load in about a
millisecond; building them costs more than parsing every spec a run will ever
see. Common specs take the fast path of ``spec_fast`` and never reach Lark,
so lark itself is imported only when a spec needs it: most CLI runs never pay
for that import.
"""

from __future__ import annotations

import functools
import os
import re
import sys
from typing import TYPE_CHECKING, Any, Callable

from . import spec_fast
from .errors import SpecRef, SpecSyntaxError
from .spec_ast import ArgsSpec, EnvSpec, Index, ItemFilter, Key, Selector, SetSpec, Span, Spec, UnsetSpec, Value
from .flow import flow_root, is_flow
from .spec_fast import ENV_NAME_RE, MAX_INDEX_DIGITS, unescape, unquote, value_of

if TYPE_CHECKING:
    from lark import Lark, Token, Tree
    from lark.exceptions import UnexpectedInput

START_RULES = ("env_spec", "set_spec", "unset_spec", "unset_target", "args_spec", "spec_file")
LARK_OPTIONS: dict[str, Any] = {"parser": "lalr", "lexer": "contextual", "start": list(START_RULES),
                                "propagate_positions": True, "maybe_placeholders": False}
TABLES_FILE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "parse_tables.pickle")
_SURROGATE = re.compile("[\ud800-\udfff]")

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
    "FORCE": "'+'",
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
    """Where lark may keep tables it had to build (see ``_lark``).

    A per-user cache folder rather than lark's default of the shared temp
    folder, because the cache is a pickle. Lark checks a SHA-256 of the
    grammar and options before using it and rebuilds (and rewrites) on any
    mismatch or read error. ``TASKPATCH_NO_CACHE=1`` or an unwritable home
    turns caching off.
    """
    import lark

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


def _tables_key(grammar: str) -> dict[str, str]:
    """What the shipped tables were made from: they fit only the same grammar,
    options and lark version (``Lark.save`` is lark's own pickle, not a
    stable format)."""
    import hashlib

    import lark

    made_from = grammar + repr(sorted(LARK_OPTIONS.items()))
    return {"lark": lark.__version__, "grammar": hashlib.sha256(made_from.encode()).hexdigest()}


def build_lark(cache: str | bool = False) -> Lark:
    """Build the LALR parser from the grammar (what the shipped tables save)."""
    from lark import Lark

    return Lark(_read_grammar(), cache=cache, **LARK_OPTIONS)


def write_tables(path: str = TABLES_FILE) -> None:
    """Regenerate the shipped tables after editing the grammar:
    ``python -c "from taskpatch.spec_parser import write_tables; write_tables()"``."""
    import pickle

    with open(path, "wb") as handle:
        pickle.dump(_tables_key(_read_grammar()), handle, protocol=pickle.HIGHEST_PROTOCOL)
        build_lark().save(handle)


def load_tables(path: str = TABLES_FILE) -> Lark | None:
    """The shipped tables, or None when they are missing, unreadable or do
    not fit this grammar and lark version. (A pickle, like lark's own cache:
    the file is part of the installed package, as trusted as its code.)"""
    import pickle

    from lark import Lark

    try:
        with open(path, "rb") as handle:
            if pickle.load(handle) != _tables_key(_read_grammar()):
                return None
            return Lark.load(handle)
    except Exception:  # noqa: BLE001 - whatever is wrong with the file, building the tables is the remedy
        return None


@functools.lru_cache(maxsize=None)
def _lark() -> Lark:
    # Another lark version than the one that made the tables builds them
    # once and keeps them in the per-user cache.
    return load_tables(TABLES_FILE) or build_lark(cache=_cache_file())


class _ToAst:
    """Tree → AST, bottom-up like a lark Transformer (so errors come in the
    same order) but with plain methods: lark's ``v_args`` wrappers are rebuilt
    on every call (about 20 µs a spec). Spans are made relative to ``base``
    (a statement's start)."""

    def __init__(self, source: SpecRef, base: int = 0) -> None:
        self.source = source
        self.base = base

    def build(self, tree: Tree) -> Any:
        # A child is a Token (a str) or a subtree.
        children = [child if isinstance(child, str) else self.build(child) for child in tree.children]
        method: Callable[[Any, list], Any] = getattr(self, tree.data)
        return method(tree.meta, children)

    def _span(self, token: Token) -> Span:
        # Tokens from the LALR lexer always carry positions (lark types them Optional).
        return Span(_pos(token.start_pos) - self.base, _pos(token.end_pos) - self.base)

    # -- selectors and keys -------------------------------------------------
    def plain_selector(self, meta: Any, children: list) -> Selector:
        return Selector(str(children[0]), False, self._span(children[0]))

    def quoted_selector(self, meta: Any, children: list) -> Selector:
        return Selector(unquote(children[0]), True, self._span(children[0]))

    def plain_key(self, meta: Any, children: list) -> Key:
        return Key(unescape(children[0]), self._span(children[0]))

    def quoted_key(self, meta: Any, children: list) -> Key:
        return Key(unquote(children[0]), self._span(children[0]))

    def index(self, meta: Any, children: list) -> Index:
        token = children[0]
        span = Span(_pos(token.start_pos) - 1 - self.base, _pos(token.end_pos) + 1 - self.base)
        if len(token.lstrip("0")) > MAX_INDEX_DIGITS:
            # No list is that long; and int() refuses text over 4,300 digits.
            raise SpecSyntaxError(f"index {token[:MAX_INDEX_DIGITS]}... is larger than any list", spec=self.source,
                                  spec_column=span.start + 2 + self.source.column_offset)
        return Index(int(token), span)

    def item_filter(self, meta: Any, children: list) -> ItemFilter:
        key = children[0]
        value = children[1] if len(children) > 1 else ""
        return ItemFilter(key.name, value, Span(meta.start_pos - self.base, meta.end_pos - self.base))

    def plain_filter_value(self, meta: Any, children: list) -> str:
        return str(children[0])

    def quoted_filter_value(self, meta: Any, children: list) -> str:
        return unquote(children[0])

    def path(self, meta: Any, children: list) -> tuple:
        return tuple(children)

    def target(self, meta: Any, children: list) -> tuple:
        return children[0], children[1]

    def value(self, meta: Any, children: list) -> Value:
        return value_of(str(children[0]), self._span(children[0]))

    def _missing_value(self, meta: Any) -> Value:
        end = meta.end_pos - self.base
        return Value("", False, Span(end, end))

    # -- specs ----------------------------------------------------------------
    def env_name(self, meta: Any, children: list) -> Token:
        token = children[0]
        if not ENV_NAME_RE.match(token):
            raise SpecSyntaxError(
                f"{str(token)!r} is not a valid environment variable name "
                "(letters, digits, '_', '-', '.'; not starting with a digit)",
                spec=self.source,
                spec_column=_pos(token.start_pos) - self.base + 1 + self.source.column_offset,
            )
        return token

    def env_spec(self, meta: Any, children: list) -> EnvSpec:
        selector = children[0] if isinstance(children[0], Selector) else None
        rest = children[1:] if selector else children
        name: Token = rest[0]
        value = rest[1] if len(rest) > 1 else self._missing_value(meta)
        # An env value is verbatim, quotes included: never unquote it.
        raw = self.source.text[value.span.start : value.span.end]
        return EnvSpec(self.source, selector, str(name), self._span(name), raw, value.span)

    def set_spec(self, meta: Any, children: list) -> SetSpec:
        force = isinstance(children[0], str)  # the FORCE token, '+'
        rest = children[1:] if force else children
        selector, path = rest[0]
        value = rest[1] if len(rest) > 1 else self._missing_value(meta)
        if is_flow(value):
            flow_root(value, self.source)  # refused here, before any file is read
        return SetSpec(self.source, selector, path, value, force)

    def unset_spec(self, meta: Any, children: list) -> UnsetSpec:
        return UnsetSpec(self.source, *children[0])

    unset_target = unset_spec  # the same without its '~'

    def args_entry(self, meta: Any, children: list) -> ArgsSpec:
        value = children[2] if len(children) > 2 else self._missing_value(meta)
        return ArgsSpec(self.source, children[0], children[1], value)

    def args_raw(self, meta: Any, children: list) -> ArgsSpec:
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
    from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedToken

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
    from lark.exceptions import UnexpectedInput

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


# kind -> the Lark start rule and the fast path for that rule. "set" is the
# -s option, so `~SEL.PATH` goes to unset_spec; "unset" is the body of a spec
# file's `unset SEL.PATH` line.
SPEC_KINDS = ("env", "set", "unset", "args")
_DEFAULT_LABELS = {"env": "-e", "set": "-s", "unset": "unset", "args": "-a"}
_FAST: dict[str, Callable[[SpecRef], Spec | None]] = {
    "env_spec": spec_fast.parse_env,
    "set_spec": spec_fast.parse_set,
    "unset_spec": spec_fast.parse_unset,
    "unset_target": spec_fast.parse_unset_target,
    "args_spec": spec_fast.parse_args,
}


def _start_rule(text: str, kind: str) -> str:
    if kind == "set":
        return "unset_spec" if text.startswith("~") else "set_spec"
    if kind not in SPEC_KINDS:
        raise ValueError(f"kind must be one of {', '.join(SPEC_KINDS)}, not {kind!r}")
    return {"env": "env_spec", "unset": "unset_target", "args": "args_spec"}[kind]


def _checked_source(text: str, label: str) -> SpecRef:
    source = SpecRef(text, label)
    check_utf8(text, source)
    if "\n" in text or "\r" in text:
        raise SpecSyntaxError(
            "a spec is one line; line breaks are not allowed in it",
            spec=source,
            spec_column=min(i for i in (text.find("\n"), text.find("\r")) if i >= 0) + 1,
        )
    return source


def _with_lark(start: str, source: SpecRef) -> Spec:
    return _ToAst(source).build(_parse(source.text, start, source))


def parse_spec(text: str, kind: str, label: str | None = None) -> Spec:
    """Parse one spec of ``kind``: ``"env"`` (as ``-e``: ``[SEL:]NAME=VALUE``),
    ``"set"`` (as ``-s``: ``SEL.PATH=VALUE``, or ``~SEL.PATH`` to delete),
    ``"args"`` (as ``-a``: ``SEL.KEY=VALUE`` or ``SEL=RAW``) or ``"unset"``
    (as a spec file's ``unset`` line: ``SEL.PATH``).

    Returns an ``EnvSpec``, ``SetSpec``, ``UnsetSpec`` or ``ArgsSpec`` (see
    ``taskpatch.spec_ast``), with spans into ``text``. ``label`` names the
    spec in error messages (default: the option, e.g. ``-s``). Raises
    ``SpecSyntaxError`` with the column of the error; a ``kind`` not listed
    above is a ``ValueError``.
    """
    start = _start_rule(text, kind)
    source = _checked_source(text, _DEFAULT_LABELS[kind] if label is None else label)
    return _FAST[start](source) or _with_lark(start, source)


def parse_with_lark(text: str, kind: str, label: str | None = None) -> Spec:
    """``parse_spec`` without the fast path: the reference the fast path is tested against."""
    start = _start_rule(text, kind)
    return _with_lark(start, _checked_source(text, _DEFAULT_LABELS[kind] if label is None else label))


def parse_env(text: str, label: str = "-e") -> EnvSpec:
    return parse_spec(text, "env", label)  # type: ignore[return-value]


def parse_override(text: str, label: str = "-s") -> SetSpec | UnsetSpec:
    """``SEL.PATH=VALUE`` sets, ``~SEL.PATH`` deletes."""
    return parse_spec(text, "set", label)  # type: ignore[return-value]


def parse_args(text: str, label: str = "-a") -> ArgsSpec:
    return parse_spec(text, "args", label)  # type: ignore[return-value]


def _on_its_line(error: SpecSyntaxError, text: str, pos: int, path: str) -> SpecSyntaxError:
    """An error at offset ``pos`` of a spec file, told as its line and column."""
    line_no = text.count("\n", 0, pos)
    line_start = text.rfind("\n", 0, pos) + 1
    error.spec = SpecRef(text[line_start : text.find("\n", line_start)], f"{path}:{line_no + 1}")
    error.spec_column = pos - line_start + 1
    error.file, error.line, error.column = path, line_no + 1, error.spec_column
    return error


def parse_spec_file(text: str, name: str = "<spec file>") -> list[Spec]:
    """Parse a spec file: one spec per line, ``env``/``set``/``unset``/``args``
    and its body as in ``parse_spec``; blank lines and ``#`` comment lines are
    skipped. ``name`` is the file's name in error messages and in each spec's
    label (``name:LINE``). Raises ``SpecSyntaxError`` at the first error, with
    its ``line`` and ``column`` in the file."""
    if text and not text.endswith("\n"):
        text += "\n"
    whole = SpecRef(text, name)
    try:
        check_utf8(text, whole)
    except SpecSyntaxError as error:
        raise _on_its_line(error, text, (error.spec_column or 1) - 1, name) from None
    fast = spec_fast.parse_file(text, name)
    if fast is not None:
        return fast
    from lark import Tree
    from lark.exceptions import UnexpectedInput

    try:
        tree = _lark().parse(text, start="spec_file")
    except UnexpectedInput as exc:
        pos = exc.pos_in_stream if exc.pos_in_stream is not None else len(text)
        raise _on_its_line(_syntax_error(exc, whole, text), text, pos, name) from None
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
        source = SpecRef(body_text, f"{name}:{body.meta.line}", column_offset=start - line_start)
        specs.append(_ToAst(source, base=start).build(body))
    return specs

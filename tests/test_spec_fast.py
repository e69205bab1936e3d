"""The fast path of spec parsing is the Lark grammar's path, only faster.

``parse_spec`` reads common shapes with regular expressions and sends the
rest to Lark; ``parse_with_lark`` always uses Lark. Over generated specs,
valid and invalid, both must give the same AST (spans included) or the same
error: class, message, caret column and the one-line text.
"""

from __future__ import annotations

from typing import Any
from unittest import mock

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from taskpatch import spec_fast
from taskpatch.errors import SpecRef, SpecSyntaxError
from taskpatch.spec_parser import SPEC_KINDS, parse_spec, parse_spec_file, parse_with_lark

# Cheap examples, so more of them than the profile's default (which
# HYPOTHESIS_PROFILE=thorough raises for both).
SCALE = settings().max_examples

# Pieces that sit on the edges of the grammar's terminals: glob classes,
# quotes, escapes, indexes around the 18-digit limit, spaces the lexer
# does not skip, Unicode spaces that `\s` matches, and the env name rule.
PIECES = [
    "worker", "w-1", "ps_2", "*", "w?", "[ab]", "w[0-9]", "[", "]", "[]", ".", "..", "=", ":", "~", "#",
    "0", "7", "007", "12", "9" * 18, "1" * 19, "0" * 20 + "5", "name", "A_B", "1A", "-x", ".A", "a.b",
    '"', "'", '"ps.v2"', "'a b'", "'it''s'", '"q\\"x"', "\\", "\\.", "\\n", " ", "\t", "\xa0", "\x85",
    "\u2003", "é", "日本", "--lr 0.1", "{a: 1}", "$HOME", "+", "+w.", "{", "[1", "{{",
]
FILTER_VALUES = ["", "FOO", "a b", "1", '"q"', "'q'", "x]"]
INDEXES = ["0", "3", "007", "9" * 18, "1" * 19, "x"]
SELECTORS = ["worker", "ps", "w-1", "*", "w?", "ps-*", "eval2"]
ENV_NAMES = ["A", "MY_VAR", "a.b", "x-1", "_X"]
KEYS = ["replicas", "resources", "cpu", "env", "value", "batch-size", "nvidia.com/gpu", "0", "a:b", "é"]
VALUE_PIECES = ["3", "1000m", "0.1", "x=y", "'007'", '"a b"', "a b", "#c", "[1, 2]", "''", "{gpu: 'true'}", "]",
                "[a, {b: c}]", "{a: 1, a: 2}", "[&x 1]", "{1: a}", "{{ .x }}"]


def _outcome(parse: Any, text: str, kind: str) -> Any:
    try:
        return ("ok", parse(text, kind, "-t"))
    except SpecSyntaxError as error:
        return ("error", type(error), error.message, error.spec, error.spec_column, str(error), error.excerpt())


def _same(text: str, kind: str) -> None:
    assert _outcome(parse_spec, text, kind) == _outcome(parse_with_lark, text, kind)


@st.composite
def shaped(draw: Any, kind: str) -> str:
    """A spec of ``kind`` built from its parts, each usually valid but drawn
    now and then from the edge pieces."""
    def part(common: list[str]) -> str:
        return draw(st.sampled_from(common) if draw(st.integers(0, 5)) else st.sampled_from(PIECES))

    selector = part(SELECTORS)
    value = "".join(draw(st.lists(st.sampled_from(VALUE_PIECES + PIECES), max_size=3)))
    if kind == "env":
        head = part(SELECTORS) + ":" if draw(st.booleans()) else ""
        return f"{head}{part(ENV_NAMES)}={value}"
    if kind == "args":
        return f"{selector}.{part(KEYS)}={value}" if draw(st.booleans()) else f"{selector}={value}"
    path = part(KEYS)
    for _ in range(draw(st.integers(0, 3))):
        path += draw(st.sampled_from([
            "." + part(KEYS), f"[{part(INDEXES)}]", f"[{part(KEYS)}={part(FILTER_VALUES)}]",
        ]))
    if kind == "unset":
        return f"{selector}.{path}"
    force = "+" if draw(st.integers(0, 3)) == 0 else ""  # `+SEL.PATH=VALUE` forces a near miss
    return f"~{selector}.{path}" if draw(st.integers(0, 3)) == 0 else f"{force}{selector}.{path}={value}"


@st.composite
def mutated(draw: Any, spec: str) -> str:
    """A spec with one piece put in, or a stretch cut out, somewhere."""
    at = draw(st.integers(0, len(spec)))
    if draw(st.booleans()):
        return spec[:at] + draw(st.sampled_from(PIECES)) + spec[at:]
    return spec[:at] + spec[at + draw(st.integers(1, 3)):]


@st.composite
def kind_and_spec(draw: Any) -> tuple[str, str]:
    kind = draw(st.sampled_from(SPEC_KINDS))
    spec = draw(shaped(kind))
    how = draw(st.sampled_from(["shaped", "shaped", "mutated", "pieces"]))
    if how == "mutated":
        spec = draw(mutated(spec))
    elif how == "pieces":
        spec = "".join(draw(st.lists(st.sampled_from(PIECES), max_size=8)))
    return kind, spec


@settings(max_examples=SCALE * 8)
@given(case=kind_and_spec())
@example(case=("set", "worker.env[name=FOO].value=1"))
@example(case=("set", "w.a[0a]=1"))
@example(case=("env", "w:1A=2"))
@example(case=("set", "+w.x=[1, {a: b}]"))
@example(case=("set", "+w.x=[1"))
@example(case=("set", "+~w.x"))
def test_fast_path_equals_the_grammar(case: tuple[str, str]) -> None:
    _same(case[1], case[0])


@pytest.mark.parametrize("kind,text", [
    ("env", "MY_VAR=MY-VAL"), ("env", "worker-6:ONLY_HERE=1"), ("env", "A="),
    ("set", "*.resources.requests.cpu=1000m"), ("set", "worker.env[name=FOO].value='x'"), ("set", "w.args[1]="),
    ("set", "~ps.command"), ("unset", "worker.args"), ("args", "*.batch-size=23"), ("args", "w=--x 1"),
    ("set", "+worker.replcas=3"), ("set", "w.image={{ .image }}"), ("args", "w.x=[1, 2]"), ("set", "w.x=[1, {a: b}]"),
])
def test_common_shapes_take_the_fast_path(kind: str, text: str) -> None:
    """The shapes people write must not fall back (or the speed is lost), and agree."""
    start = {"env": "env", "args": "args", "unset": "unset_target"}.get(kind, "unset" if text[0] == "~" else "set")
    fast = getattr(spec_fast, f"parse_{start}")(SpecRef(text, "-t"))
    assert fast is not None
    assert fast == parse_with_lark(text, kind, "-t")


@pytest.mark.parametrize("kind,text", [
    ("set", "'ps.v2'.x=1"), ("set", "w.a\\.b=1"), ("set", "w[12].x=1"), ("set", "w.a[" + "1" * 19 + "]=1"),
    ("set", "w.a[0a=1]=1"), ("env", "1A=2"), ("set", "w..x=1"), ("args", "w.'k'=1"),
    ("set", "w.x=[1"), ("set", "+w.x={a: 1, a: 2}"),  # flow values that are not: Lark reports them
])
def test_other_shapes_go_to_lark(kind: str, text: str) -> None:
    start = "unset" if text[0] == "~" else kind
    assert getattr(spec_fast, f"parse_{start}")(SpecRef(text, "-t")) is None
    _same(text, kind)


@st.composite
def spec_files(draw: Any) -> str:
    """Spec files of generated lines: specs after their word (some mangled),
    comments, blank lines, odd spacing, CRLF and stray CRs, with or without
    a final line break."""
    lines = []
    for _ in range(draw(st.integers(0, 5))):
        kind, spec = draw(kind_and_spec())
        if draw(st.integers(0, 5)):  # mostly well-formed, so that whole files parse
            spec = draw(shaped(kind))
        indent = draw(st.sampled_from(["", "", "", "  ", "\t", "\xa0", "\x0b"]))
        gap = draw(st.sampled_from([" ", " ", " ", "  ", "\t", "", "\xa0"]))
        well_formed = f"{indent}{kind}{gap}{spec.lstrip('~') if kind == 'set' else spec}"
        lines.append(draw(st.sampled_from([
            well_formed, well_formed, well_formed,
            f"{indent}{kind}{gap}{spec}",
            f"{indent}# {spec}", indent, f"{indent}{spec}",
        ])))
    ends = draw(st.sampled_from(["\n", "\r\n", "\r"]))
    return ends.join(lines) + draw(st.sampled_from(["", ends, "\n"]))


def _file_outcome(text: str) -> Any:
    try:
        return ("ok", parse_spec_file(text, "f.tp"))
    except SpecSyntaxError as error:
        return ("error", type(error), str(error), error.spec, error.spec_column, error.line, error.column)


@settings(max_examples=SCALE * 3)
@given(text=spec_files())
@example(text="env A=1\nset w.x=1\r\nunset w.y\n# c\n\n  args w.lr=0.1")
@example(text="set w.x=1\r\r\n")
@example(text="set +w.x=[1\nset w..y=2\n")  # a flow error, then a syntax error: the file's first error
def test_spec_file_fast_path_equals_the_grammar(text: str) -> None:
    fast = _file_outcome(text)
    with mock.patch.object(spec_fast, "parse_file", return_value=None):
        assert _file_outcome(text) == fast

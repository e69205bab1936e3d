"""Table-driven grammar tests: valid rows parse to the AST, invalid rows fail at the caret."""

import pytest

from taskpatch.errors import SpecSyntaxError
from taskpatch.spec_ast import Index, ItemFilter, Key
from taskpatch.spec_parser import parse_args, parse_env, parse_override, parse_spec_file

VALID_ENV = [
    ("MY_VAR=MY-VAL", None, "MY_VAR", "MY-VAL"),
    ("SOME_VAR=expression=22", None, "SOME_VAR", "expression=22"),
    ("EMPTY=", None, "EMPTY", ""),
    ("worker:A=1", "worker", "A", "1"),
    ('"ps.v2":A.B="q"', "ps.v2", "A.B", '"q"'),
]


@pytest.mark.parametrize("text,selector,name,value", VALID_ENV)
def test_env_valid(text, selector, name, value):
    spec = parse_env(text)
    assert (spec.selector.pattern if spec.selector else None, spec.name, spec.value) == (selector, name, value)


VALID_OVERRIDE = [
    ("*.resources.requests.cpu=1000m", "*", ("resources", "requests", "cpu"), "1000m", False),
    ("worker.replicas=3", "worker", ("replicas",), "3", False),
    ("w*.a\\.b=x", "w*", ("a.b",), "x", False),
    ("ps.'a b'.c='007'", "ps", ("a b", "c"), "007", True),
    ("worker.env[name=FOO].value=\"yes\"", "worker", ("env", ("name", "FOO"), "value"), "yes", True),
    ("worker.args[1]=x", "worker", ("args", 1), "x", False),
    ("+worker.replcas=3", "worker", ("replcas",), "3", False),
    ("+'ps.v2'.command=[python, x.py]", "ps.v2", ("command",), "[python, x.py]", False),
]


def _steps(path):
    out = []
    for step in path:
        if isinstance(step, Key):
            out.append(step.name)
        elif isinstance(step, Index):
            out.append(step.position)
        else:
            assert isinstance(step, ItemFilter)
            out.append((step.key, step.value))
    return tuple(out)


@pytest.mark.parametrize("text,selector,path,value,quoted", VALID_OVERRIDE)
def test_override_valid(text, selector, path, value, quoted):
    spec = parse_override(text)
    assert spec.force == text.startswith("+")
    assert spec.selector.pattern == selector
    assert _steps(spec.path) == path
    assert (spec.value.text, spec.value.quoted) == (value, quoted)


def test_unset_and_args():
    unset = parse_override("~worker.args")
    assert _steps(unset.path) == ("args",) and not hasattr(unset, "value")
    entry = parse_args("worker.batch-size=23")
    assert (entry.key.name, entry.value.text) == ("batch-size", "23")
    raw = parse_args('worker=--my-super-arg 42; echo "Done!"')
    assert raw.key is None and raw.value.text == '--my-super-arg 42; echo "Done!"'


INVALID = [
    # parser, text, caret column (1-based), words expected in the message
    (parse_override, "worker..x=1", 8, "expected a key"),
    (parse_override, "worker", 7, "expected '.'"),
    (parse_override, "*.x[=1", 5, "an index"),
    (parse_override, "a.b[1", 6, "expected ']'"),
    (parse_override, "", 1, "resource name"),
    (parse_override, "worker.x", 9, "expected '='"),
    (parse_override, "~worker", 8, "expected '.'"),
    (parse_env, "1FOO=2", 1, "not a valid environment variable name"),
    (parse_env, "worker", 7, "':' or '='"),
    (parse_env, "=x", 1, "variable name"),
    (parse_args, "worker", 7, "'.' or '='"),
    (parse_override, "a.b=1\nx", 6, "one line"),
    (parse_override, "+~worker.x", 2, "resource name"),
    (parse_override, "+worker", 8, "expected '.'"),
    (parse_args, "+worker.x=1", 1, "resource name"),
    (parse_env, "+A=1", 1, "variable name"),
    (parse_override, "worker.x=[1, 2", 15, "did not find expected ',' or ']'"),
    (parse_override, "+worker.x={a: [1}", 17, "did not find expected ',' or ']'"),
]


@pytest.mark.parametrize("parse,text,column,words", INVALID)
def test_invalid_rows_point_at_the_column(parse, text, column, words):
    with pytest.raises(SpecSyntaxError) as info:
        parse(text)
    error = info.value
    assert error.spec_column == column
    assert words in error.message
    caret_line = error.excerpt().splitlines()[-1]
    assert caret_line.index("^") == column - 1
    assert "\n" not in str(error)


def test_spec_file_lines_and_errors():
    specs = parse_spec_file("# comment\nenv FOO=1\n\n  set worker.replicas=3\r\nunset worker.args\nargs worker.lr=0.1")
    assert [type(s).__name__ for s in specs] == ["EnvSpec", "SetSpec", "UnsetSpec", "ArgsSpec"]
    assert specs[1].source.label.endswith(":4")
    with pytest.raises(SpecSyntaxError) as info:
        parse_spec_file("env FOO=1\nset worker..x=2\n", "s.tp")
    assert (info.value.file, info.value.line, info.value.column) == ("s.tp", 2, 12)


# -- the public parsing API ----------------------------------------------------

def test_parse_spec_is_the_options_and_the_spec_file_words():
    import taskpatch

    assert taskpatch.parse_spec("worker.replicas=3", "set") == parse_override("worker.replicas=3")
    assert taskpatch.parse_spec("MY_VAR=1", "env") == parse_env("MY_VAR=1")
    assert taskpatch.parse_spec("w.lr=0.1", "args") == parse_args("w.lr=0.1")
    deleted = taskpatch.parse_spec("~worker.args", "set")
    unset = taskpatch.parse_spec("worker.args", "unset")
    assert type(deleted).__name__ == type(unset).__name__ == "UnsetSpec"
    assert (deleted.selector.pattern, _steps(deleted.path)) == (unset.selector.pattern, _steps(unset.path))
    assert unset.selector.span.start == 0 and deleted.selector.span.start == 1  # spans are into the text given
    assert unset.source.label == "unset" and deleted.source.label == "-s"
    assert taskpatch.parse_spec("A=1", "env", label="job.yaml").source.label == "job.yaml"
    assert "parse_spec" in taskpatch.__all__ and "parse_spec_file" in taskpatch.__all__


@pytest.mark.parametrize("kind,text,column,words", [
    ("unset", "~worker.args", 1, "resource name"),  # a spec file's unset has no '~'
    ("unset", "worker.args=1", 12, "expected the end of the spec, found '='"),
    ("set", "worker.args", 12, "expected '='"),
    ("env", "A B=1", 2, "':' or '='"),
])
def test_parse_spec_errors_point_at_the_column(kind, text, column, words):
    import taskpatch

    with pytest.raises(SpecSyntaxError) as info:
        taskpatch.parse_spec(text, kind)
    assert info.value.spec_column == column and words in info.value.message


def test_parse_spec_refuses_an_unknown_kind():
    import taskpatch

    with pytest.raises(ValueError, match="env, set, unset, args"):
        taskpatch.parse_spec("w.x=1", "override")


def test_parse_spec_file_names_the_file_and_line():
    import taskpatch

    specs = taskpatch.parse_spec_file("env A=1\n# c\nunset w.x\n", "prod.tp")
    assert [s.source.label for s in specs] == ["prod.tp:1", "prod.tp:3"]
    with pytest.raises(SpecSyntaxError) as info:
        taskpatch.parse_spec_file("env A=1\nset w.x\n", "prod.tp")
    assert (info.value.file, info.value.line, info.value.column) == ("prod.tp", 2, 8)

"""The grammar and its LALR tables load from a built wheel and from a
checkout (editable install); the shipped tables are the grammar's; no run
builds them; without usable tables, the fallback's disk cache is safe."""

from __future__ import annotations

import io
import os
import pickle
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

import taskpatch
from taskpatch import spec_parser

ROOT = Path(__file__).resolve().parent.parent
CHECK_SCRIPT = """
import sys, taskpatch
from taskpatch.spec_parser import grammar_path
print(taskpatch.__file__)
print(grammar_path())
print(taskpatch.patch_text("resources:\\n- name: w\\n", env=["A=1"]), end="")
"""
# Counts LALR builds; the quoted selector and the spec file go through Lark.
COUNT_BUILDS = """
import lark
built = []
original = lark.Lark.__init__
def counting(self, *args, **kwargs):
    built.append(1)
    original(self, *args, **kwargs)
lark.Lark.__init__ = counting
import taskpatch
from taskpatch import spec_parser
from taskpatch.spec_parser import parse_env, parse_override, parse_args, parse_spec_file
for i in range(50):
    parse_env(f"V{i}=x"); parse_override(f"w.k{i}=1"); parse_args(f"w.a{i}=2"); parse_override(f"'w'.k{i}=1")
parse_spec_file("env A=1\\nset w.x=1\\n", "f.tp")
doc = taskpatch.loads("resources:\\n- name: w\\n")
doc.apply_env(["A=1"]); doc.apply_resource_overrides(["*.x=1"]); doc.set_args("w", {"a": 1})
print(len(built))
print(spec_parser._lark.cache_info().currsize)
"""


def _run(code: str, *, cwd: Path, env: dict[str, str] | None = None) -> str:
    proc = subprocess.run([sys.executable, "-c", code], cwd=cwd, capture_output=True, text=True,
                          env={**os.environ, **(env or {})}, check=False)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def test_checkout_uses_the_top_level_grammar() -> None:
    assert Path(spec_parser.grammar_path()) == ROOT / "grammar" / "taskpatch.lark"
    assert not (ROOT / "taskpatch" / "grammar").exists()  # one copy of the grammar in the source tree
    assert Path(taskpatch.__file__).parent == ROOT / "taskpatch"


def test_wheel_carries_and_loads_the_grammar(tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    build = subprocess.run([sys.executable, "-m", "hatchling", "build", "-t", "wheel", "-d", str(dist)],
                           cwd=ROOT, capture_output=True, text=True, check=False)
    assert build.returncode == 0, build.stderr
    (wheel,) = dist.glob("taskpatch-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert "taskpatch/grammar/taskpatch.lark" in names
    assert "taskpatch/parse_tables.pickle" in names
    assert "taskpatch/py.typed" in names
    assert "taskpatch/kinds_table.json" in names
    assert any(name.endswith("entry_points.txt") for name in names)

    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    out = _run(f"import sys; sys.path.insert(0, {str(site)!r})\n" + CHECK_SCRIPT, cwd=tmp_path,
               env={"TASKPATCH_NO_CACHE": "1"}).splitlines()
    assert out[0].startswith(str(site))
    assert out[1] == str(site / "taskpatch" / "grammar" / "taskpatch.lark")
    assert out[2:] == ["resources:", "- name: w", "  env:", "  - name: A", "    value: '1'"]
    # The installed tables serve every run: nothing is built, nothing is cached.
    home = tmp_path / "home"
    home.mkdir(mode=0o500)
    builds = _run(f"import sys; sys.path.insert(0, {str(site)!r})\n" + COUNT_BUILDS, cwd=tmp_path,
                  env={"HOME": str(home), "XDG_CACHE_HOME": ""}).split()
    assert builds == ["0", "1"]
    assert list(home.iterdir()) == []


def _canonical(saved: bytes) -> object:
    """What ``Lark.save`` wrote, with the LALR states numbered in the order a
    walk from the start states meets them: lark numbers them by hash order,
    which differs between processes."""
    data = pickle.loads(saved)
    table = data["data"]["parser"]["parser"]
    tokens, states = table["tokens"], table["states"]
    order: dict[int, int] = {}
    queue = [table["start_states"][name] for name in sorted(table["start_states"])]
    for state in queue:
        order.setdefault(state, len(order))
    for state in queue:
        for token, (action, arg) in sorted(states[state].items(), key=lambda item: tokens[item[0]]):
            if action == 0 and arg not in order:  # a shift (or goto) to a state not seen yet
                order[arg] = len(order)
                queue.append(arg)
    assert len(order) == len(states)  # every state is reached
    renumbered = [sorted((tokens[token], action, order[arg] if action == 0 else arg)
                         for token, (action, arg) in states[state].items()) for state in queue]
    ends = {name: {order[table[f"{end}_states"][name]] for end in ("start", "end")} for name in table["start_states"]}
    rest = {key: value for key, value in data["data"].items() if key != "parser"}
    parser_rest = {key: value for key, value in data["data"]["parser"].items() if key != "parser"}
    return renumbered, ends, rest, parser_rest, data["memo"]


def test_shipped_tables_are_the_grammars() -> None:
    """Fails when the grammar (or lark, or the options) changed and the tables
    were not regenerated: ``python -c "from taskpatch.spec_parser import
    write_tables; write_tables()"``."""
    with open(spec_parser.TABLES_FILE, "rb") as handle:
        key = pickle.load(handle)
        shipped = handle.read()
    assert key == spec_parser._tables_key(spec_parser._read_grammar()), "regenerate the tables (see docstring)"
    fresh = io.BytesIO()
    spec_parser.build_lark().save(fresh)
    assert _canonical(shipped) == _canonical(fresh.getvalue()), "regenerate the tables (see docstring)"


def test_tables_that_do_not_fit_are_not_used(tmp_path: Path) -> None:
    stale = tmp_path / "tables.pickle"
    with open(spec_parser.TABLES_FILE, "rb") as handle:
        key = pickle.load(handle)
        rest = handle.read()
    for changed in ({**key, "lark": "0.0.1"}, {**key, "grammar": "0" * 64}):
        stale.write_bytes(pickle.dumps(changed) + rest)
        assert spec_parser.load_tables(str(stale)) is None
    stale.write_bytes(b"not a pickle")
    assert spec_parser.load_tables(str(stale)) is None
    assert spec_parser.load_tables(str(tmp_path / "missing")) is None
    assert spec_parser.load_tables() is not None


def test_no_run_builds_the_tables(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir(mode=0o500)  # not writable: nothing needs it
    out = _run(COUNT_BUILDS, cwd=tmp_path, env={"HOME": str(home), "XDG_CACHE_HOME": ""}).split()
    assert out == ["0", "1"]  # no build; the tables were loaded once


NO_TABLES = "from taskpatch import spec_parser; spec_parser.TABLES_FILE = '/nonexistent'\n"


def test_without_tables_the_parser_is_built_once_per_process(tmp_path: Path) -> None:
    code = COUNT_BUILDS.replace("import taskpatch\n", "import taskpatch\n" + NO_TABLES, 1)
    assert _run(code, cwd=tmp_path, env={"XDG_CACHE_HOME": str(tmp_path / "cache")}).split() == ["1", "1"]


def test_disk_cache_is_per_user_and_survives_corruption(tmp_path: Path) -> None:
    env = {"XDG_CACHE_HOME": str(tmp_path / "cache")}
    code = NO_TABLES + CHECK_SCRIPT + """
spec_parser.parse_override("'w'.x=1")  # through Lark
from taskpatch.spec_parser import _cache_file; print(_cache_file())"""
    first = _run(code, cwd=tmp_path, env=env).splitlines()
    cache = Path(first[-1])
    assert cache.parent == tmp_path / "cache" / "taskpatch" and cache.exists()
    cache.write_bytes(b"not a pickle\n\x00\x01")  # a torn write from a concurrent run, say
    again = _run(code, cwd=tmp_path, env=env).splitlines()
    assert again == first  # rebuilt silently, same result
    assert cache.read_bytes().startswith(b"not") is False  # and rewritten


def test_cache_can_be_turned_off(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TASKPATCH_NO_CACHE", "1")
    assert spec_parser._cache_file() is False


HEAVY = ("ruamel", "lark", "jsonpath_ng", "taskpatch.document", "taskpatch.spec_parser", "taskpatch.yaml_index")
IMPORTED = """
import sys
from taskpatch.cli import main
try:
    main({argv!r})
except SystemExit:
    pass
print("\\nloaded:", *sorted(name for name in sys.modules if name.startswith({heavy!r})))
"""


def _loaded(argv: list[str], heavy: tuple[str, ...], cwd: Path) -> list[str]:
    """The modules of ``heavy`` that running the CLI with ``argv`` imported."""
    last = _run(IMPORTED.format(argv=argv, heavy=heavy), cwd=cwd).splitlines()[-1].split()
    assert last[0] == "loaded:"
    return last[1:]


@pytest.mark.parametrize("argv", [["--help"], ["-h"], [], ["apply", "--help"]])
def test_help_imports_no_parser_yaml_or_planning_code(tmp_path: Path, argv: list[str]) -> None:
    assert _loaded(argv, HEAVY, tmp_path) == []


def test_common_specs_do_not_import_lark(tmp_path: Path) -> None:
    (tmp_path / "task.yaml").write_text("resources:\n- name: w\n  args: {lr: 1}\n")
    (tmp_path / "s.tp").write_text("# prod\nenv A=1\nset w.env[name=A].value=2\nunset w.image\n")
    argv = ["plan", "task.yaml", "-e", "B=1", "-s", "*.replicas=2", "-a", "w.lr=0.1", "--spec-file", "s.tp"]
    loaded = _loaded(argv, ("lark", "ruamel"), tmp_path)
    assert "ruamel.yaml" in loaded and not [name for name in loaded if name.startswith("lark")]
    assert "lark" in _loaded([*argv, "-s", '"w".x=1'], ("lark",), tmp_path)  # a quoted selector takes Lark's path


def test_every_public_name_loads() -> None:
    assert set(taskpatch.__all__) <= set(dir(taskpatch))
    for name in taskpatch.__all__:
        assert getattr(taskpatch, name) is getattr(taskpatch, name)
    with pytest.raises(AttributeError):
        getattr(taskpatch, "no_such_name")

"""The grammar loads from a built wheel and from a checkout (editable
install); the LALR parser is built once per process; its disk cache is safe."""

from __future__ import annotations

import os
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
    assert "taskpatch/py.typed" in names
    assert any(name.endswith("entry_points.txt") for name in names)

    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    out = _run(f"import sys; sys.path.insert(0, {str(site)!r})\n" + CHECK_SCRIPT, cwd=tmp_path,
               env={"TASKPATCH_NO_CACHE": "1"}).splitlines()
    assert out[0].startswith(str(site))
    assert out[1] == str(site / "taskpatch" / "grammar" / "taskpatch.lark")
    assert out[2:] == ["resources:", "- name: w", "  env:", "  - name: A", "    value: '1'"]


def test_lalr_parser_is_built_once_per_process(tmp_path: Path) -> None:
    code = """
import lark
built = []
original = lark.Lark.__init__
def counting(self, *args, **kwargs):
    built.append(1)
    original(self, *args, **kwargs)
lark.Lark.__init__ = counting
import taskpatch
from taskpatch.spec_parser import parse_env, parse_override, parse_args, parse_spec_file
for i in range(50):
    parse_env(f"V{i}=x"); parse_override(f"w.k{i}=1"); parse_args(f"w.a{i}=2")
parse_spec_file("env A=1\\nset w.x=1\\n", "f.tp")
doc = taskpatch.loads("resources:\\n- name: w\\n")
doc.apply_env(["A=1"]); doc.apply_resource_overrides(["*.x=1"]); doc.set_args("w", {"a": 1})
print(len(built))
"""
    assert _run(code, cwd=tmp_path, env={"XDG_CACHE_HOME": str(tmp_path / "cache")}).strip() == "1"


def test_disk_cache_is_per_user_and_survives_corruption(tmp_path: Path) -> None:
    env = {"XDG_CACHE_HOME": str(tmp_path / "cache")}
    code = CHECK_SCRIPT + "\nfrom taskpatch.spec_parser import _cache_file; print(_cache_file())"
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

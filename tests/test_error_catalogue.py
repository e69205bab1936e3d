"""The error catalogue: bad inputs of every kind through the CLI.

Every row must exit 2 with exactly one line on stderr that names the file
(with line and column when the fault is in the file) and, for spec faults,
the spec and its column; nothing on stdout; and ``-i`` must leave the input
file byte-identical with no temporary file left behind.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from taskpatch.cli import main

TASK = (
    "# a task\n"
    "resources:\n"
    "- name: worker\n"
    "  image: x   # img\n"
    "  replicas: 1\n"
    "  args: --foo 1\n"
    "  env:\n"
    "  - name: A\n"
    "    value: a\n"
    "  ports: [1, 2]\n"
    "- name: ps\n"
    "  command: run\n"
    "  args: [--x, '1']\n"
)
MLAPP = (
    "kind: MLApp\n"
    "spec:\n"
    "  tasks:\n"
    "  - name: train\n"
    "    resources:\n"
    "    - name: worker\n"
    "  - name: eval\n"
    "    resources:\n"
    "    - name: worker\n"
)
DUPLICATE = "resources:\n- name: w\n- name: w\n"
DEEP_PATH = "worker." + ".".join(f"k{i}" for i in range(400)) + "=1"  # the 98th key would nest 101 deep
DEEP_ALIAS = "x: &a " + "{a: " * 98 + "1" + "}" * 98 + "\nresources:\n- name: w\n  args: *a\n"

# (id, file text, CLI arguments after FILE, regex the message must match,
#  whether the message must carry a file line:column)
CASES = [
    # spec syntax: the position is in the spec
    ("env-no-equals", TASK, ["-e", "MY_VAR"], r"\[spec -e 'MY_VAR', column \d+\]", False),
    ("env-empty", TASK, ["-e", ""], r"\[spec -e '', column 1\]", False),
    ("env-bad-name", TASK, ["-e", "1A=b"], r"not a valid environment variable name.*column 1\]", False),
    ("env-space-in-name", TASK, ["-e", "MY VAR=1"], r"column \d+\]", False),
    ("env-empty-selector", TASK, ["-e", ":A=1"], r"column 1\]", False),
    ("set-no-value", TASK, ["-s", "worker.image"], r"\[spec -s 'worker.image', column 13\]", False),
    ("set-no-path", TASK, ["-s", "worker=1"], r"column 7\]", False),
    ("set-empty-key", TASK, ["-s", "worker..image=1"], r"column 8\]", False),
    ("set-trailing-dot", TASK, ["-s", "worker.=1"], r"column 8\]", False),
    ("set-unclosed-index", TASK, ["-s", "worker.ports[0=1"], r"column \d+\]", False),
    ("set-bad-index", TASK, ["-s", "worker.ports[x]=1"], r"column \d+\]", False),
    ("set-unclosed-quote", TASK, ["-s", "'worker.image=1"], r"column 1\]", False),
    ("set-index-first", TASK, ["-s", "[0].image=1"], r"column 1\]", False),
    ("unset-with-value", TASK, ["-s", "~worker.image=1"], r"column \d+\]", False),
    ("args-no-value", TASK, ["-a", "worker.batch"], r"column \d+\]", False),
    ("set-huge-index", TASK, ["-s", f"worker.ports[{'9' * 5000}]=1"], r"larger than any list.*column 14\]", False),
    ("args-empty-selector", TASK, ["-a", ".x=1"], r"column 1\]", False),
    ("spec-file-bad-verb", TASK, ["--spec-file", "{specs:frob worker.x=1}"], r"specs\.tp:1", False),
    ("spec-file-bad-spec", TASK, ["--spec-file", "{specs:# c\n\nset worker.=1}"], r"specs\.tp:3.*column", False),
    ("spec-file-missing", TASK, ["--spec-file", "nope.tp"], r"nope\.tp.*cannot read", False),
    # issue 11: near misses are refused at the mapping; flow values are checked as specs
    ("set-near-miss", TASK, ["-s", "worker.replcas=3"], r"^task\.yaml:3:3: path error: worker has no key 'replcas'; "
     r"did you mean 'replicas'\? \(write \+worker\.replcas=3 to add it anyway\) \[spec -s 'worker\.replcas=3', "
     r"column 8\]$", True),
    ("set-near-miss-nested", TASK, ["-s", "worker.resources.requets.cpu=1"], r"^task\.yaml:3:3: path error: "
     r"worker.resources has no key 'requets'; did you mean 'requests'\?.*column 18\]$", True),
    ("spec-file-near-miss", TASK, ["--spec-file", "{specs:env A=1\nset ps.comand=x\n}"],
     r"^task\.yaml:11:3: path error: ps has no key 'comand'; did you mean 'command'\?.*\[spec \S*specs\.tp:2 "
     r"'ps\.comand=x', column 8\]$", True),
    ("set-flow-unterminated", TASK, ["-s", "worker.x=[1"], r"^task\.yaml: spec syntax error: did not find expected "
     r"',' or '\]'.*column 12\]$", False),
    ("spec-file-flow", TASK, ["--spec-file", "{specs:set worker.x={a: 1, a: 2}\n}"],
     r"duplicate key 'a'.*\[spec \S*specs\.tp:1 'worker\.x=\{a: 1, a: 2\}', column 21\]", False),
    # bytes that are not UTF-8: argv holds them as surrogates (\udce9 is the byte 0xe9)
    ("env-not-utf8", TASK, ["-e", "A=caf\udce9"], r"spec syntax error: not UTF-8 text \(byte 0xe9\).*column 6\]",
     False),
    ("set-not-utf8", TASK, ["-s", "worker.image=\udce9x"], r"byte 0xe9.*column 14\]", False),
    ("args-key-not-utf8", TASK, ["-a", "worker.\udcff=1"], r"byte 0xff.*column 8\]", False),
    ("spec-file-not-utf8", TASK, ["--spec-file", "{specs:env A=1\nset worker.x=caf\udce9\n}"],
     r"specs\.tp:2:17: spec syntax error: not UTF-8 text \(byte 0xe9\)", False),
    # selectors
    ("selector-no-match", TASK, ["-s", "wrker.image=1"], r"did you mean 'worker'\?.*column 1\]", True),
    ("selector-glob-no-match", TASK, ["-s", "eval*.image=1"], r"no resource matches 'eval\*'", True),
    ("selector-env-no-match", TASK, ["-e", "pss:A=1"], r"did you mean 'ps'", True),
    ("selector-args-no-match", TASK, ["-a", "wroker.x=1"], r"did you mean 'worker'", True),
    ("selector-duplicate", DUPLICATE, ["-s", "w.image=1"], r"2 resources .* named 'w'", True),
    ("mlapp-ambiguous-task", MLAPP, ["-s", "worker.x=1"], r"train.*eval|eval.*train", True),
    ("mlapp-no-such-task", MLAPP, ["--task", "tran", "-s", "worker.x=1"], r"tran", True),
    # paths and types
    ("path-through-scalar", TASK, ["-s", "worker.image.tag=1"], r"scalar 'x'.*column 14\]", True),
    ("key-on-sequence", TASK, ["-s", "worker.ports.x=1"], r"sequence", True),
    ("index-on-mapping", TASK, ["-s", "worker.env[0].value=1", "-s", "worker.image[0]=1"], r"index", True),
    ("index-past-end", TASK, ["-s", "worker.ports[5]=1"], r"\b5\b", True),
    ("filter-no-match", TASK, ["-s", "worker.env[name=B].value=1"], r"name=B", True),
    ("count-not-int", TASK, ["-s", "worker.replicas=abc"], r"count.*'abc'.*column 17\]", True),
    ("count-negative", TASK, ["-s", "worker.replicas=-1"], r"non-negative", True),
    ("count-quoted", TASK, ["-s", "worker.replicas='3'"], r"non-negative", True),
    ("count-new-field", TASK, ["-s", "ps.maxRestartCount=x"], r"maxRestartCount", True),
    ("args-flag-twice", TASK, ["-a", "worker.foo=2"], r"--foo", True),
    ("path-too-deep", TASK, ["-s", DEEP_PATH], rf"^task\.yaml:3:3: .*more than 100 levels.*column "
     rf"{DEEP_PATH.index('.k97.') + 2}\]", True),
    ("copy-too-deep", DEEP_ALIAS, ["--copy-aliases", "-a", "w.x=1"], r"^task\.yaml:4:9: .*copy of &a", True),
    ("env-not-a-list", "resources:\n- name: w\n  env: {A: 1}\n", ["-e", "A=1"], r"env is not a list", True),
    # errors met in content an earlier spec made: at the resource
    ("path-through-new-scalar", TASK, ["-s", "worker.new=1", "-s", "worker.new.x=2"],
     r"^task\.yaml:3:3: path error: cannot go into key 'x'", True),
    ("env-on-new-scalar", TASK, ["-s", "ps.env=x", "-e", "ps:A=1"], r"^task\.yaml:11:3: type error: env is not a list",
     True),
    # files
    ("yaml-unclosed-flow", "resources: [\n", ["-e", "A=1"], r"YAML error", True),
    ("yaml-bad-indent", "resources:\n- name: w\n   x: 1\n  y: 2\n", ["-e", "A=1"], r"YAML error", True),
    ("yaml-tab-indent", "resources:\n\t- name: w\n", ["-e", "A=1"], r"YAML error", True),
    ("yaml-too-deep", "resources:\n- name: w\n  args: " + "[" * 500 + "]" * 500 + "\n", ["--render"],
     r"^task\.yaml:3:106: YAML error: collections nested more than 100", True),
    ("yaml-control-char", "resources:\n- name: é\n  x: é\x7f\n", ["-e", "A=1"],
     r"^task\.yaml:3:7: YAML error: character #x007f is not allowed", True),
    ("yaml-duplicate-key", "resources:\n- name: w\n  image: a\n  image: b\n", ["-s", "w.image=c"], r"image", True),
    ("not-a-task", "a: 1\n", ["-e", "A=1"], r"not a task config", True),
    ("empty-file", "", ["-e", "A=1"], r"not a task config", True),
    ("resources-not-a-list", "resources: 3\n", ["-e", "A=1"], r"not a task config|resources", True),
    ("bad-utf8", b"resources:\n- name: \xff\n", ["-e", "A=1"], r"UTF-8", True),
    ("bad-jsonpath", TASK, ["--resources", "$[[", "-e", "A=1"], r"JSONPath.*\[spec --resources '\$\[\[', column 3\]",
     False),
    ("bad-jsonpath-at-end", TASK, ["--resources", "$.a.", "-e", "A=1"], r"JSONPath.*column 5\]", False),
    ("jsonpath-no-match", TASK, ["--resources", "$.spec.containers", "-e", "A=1"], r"\$\.spec\.containers", False),
]


def _materialise(tmp_path: Path, argv: list[str]) -> list[str]:
    """Turn ``{name:text}`` arguments into files in tmp_path."""
    out = []
    for arg in argv:
        match = re.fullmatch(r"\{(\w+):(.*)\}", arg, re.S)
        if match:
            path = tmp_path / f"{match.group(1)}.tp"
            path.write_bytes(match.group(2).encode("utf-8", "surrogateescape"))  # \udce9 is the byte 0xe9
            arg = str(path)
        out.append(arg)
    return out


def test_catalogue_is_big_enough() -> None:
    assert len(CASES) >= 40
    assert len({case[0] for case in CASES}) == len(CASES)


@pytest.mark.parametrize("text,argv,pattern,positioned", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_bad_input(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str],
                   text: str | bytes, argv: list[str], pattern: str, positioned: bool) -> None:
    monkeypatch.chdir(tmp_path)
    source = tmp_path / "task.yaml"
    data = text if isinstance(text, bytes) else text.encode()
    source.write_bytes(data)
    argv = _materialise(tmp_path, argv)
    before = sorted(os.listdir(tmp_path))

    code = main(["apply", "task.yaml", "-i", *argv])

    out, err = capfd.readouterr()
    assert code == 2, err
    assert out == ""
    assert err.count("\n") == 1 and err.endswith("\n"), err
    assert "Traceback" not in err
    assert re.search(pattern, err), err
    if positioned:
        assert re.match(r"task\.yaml:\d+:\d+: ", err), err
    if "column" in pattern:
        assert "[spec " in err
    assert source.read_bytes() == data
    assert sorted(os.listdir(tmp_path)) == before  # no temporary file left


def test_unwritable_output_keeps_input(tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    source = tmp_path / "task.yaml"
    source.write_text(TASK)
    code = main(["apply", str(source), "-e", "A=1", "-O", str(tmp_path / "missing-dir" / "out.yaml")])
    _, err = capfd.readouterr()
    assert code == 2 and err.count("\n") == 1 and "out.yaml" in err
    assert source.read_text() == TASK


def test_in_place_on_stdin_is_refused(capfd: pytest.CaptureFixture[str]) -> None:
    assert main(["apply", "-", "-i", "-e", "A=1"]) == 2
    assert "-i needs a FILE" in capfd.readouterr().err


def test_no_traceback_from_the_installed_entry_point(tmp_path: Path) -> None:
    """The real process, not just main(): bad YAML and a bad spec."""
    source = tmp_path / "task.yaml"
    source.write_text("resources: [\n")
    for argv in (["-e", "A=1"], ["-s", "w..x=1"]):
        proc = subprocess.run([sys.executable, "-m", "taskpatch", "apply", str(source), *argv],
                              capture_output=True, text=True)
        assert proc.returncode == 2
        assert proc.stdout == "" and proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr

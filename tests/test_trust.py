"""Issue 9: taskpatch never writes text that reads back differently from
what the plan says.

Two halves: verification catches a wrong splice before anything is written
(exit 3, one line, the file untouched), and each class of splice bug an
independent review found is fixed, one table row per case, with the exact
output bytes.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import pytest

import taskpatch
from taskpatch import document as document_module
from taskpatch.cli import main
from taskpatch.verify import VerificationError

TASK = "resources:\n- name: w\n  image: a  # img\n  replicas: 1\n"


def _corrupt(index: Any, plan: Any, trace: Any = None) -> str:
    """A splicer with a bug: it writes the new value, then breaks the indentation."""
    return index.source.replace("replicas: 1", "replicas: 2").replace("  image:", " image:")


# -- verification ----------------------------------------------------------------

def test_a_wrong_splice_is_caught_before_writing(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                                 capfd: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(document_module, "apply_plan", _corrupt)
    path = tmp_path / "task.yaml"
    path.write_text(TASK)
    assert main(["apply", str(path), "-s", "w.replicas=2", "-i"]) == 3
    err = capfd.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert re.fullmatch(rf"{re.escape(str(path))}: internal error: the patched text would (not parse|read back "
                        r"differently) at \d+:\d+ \(.*\); nothing was written; please report this\n", err), err
    assert path.read_text() == TASK and os.listdir(tmp_path) == ["task.yaml"]


def test_no_verify_turns_it_off(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(document_module, "apply_plan", _corrupt)
    path = tmp_path / "task.yaml"
    path.write_text(TASK)
    assert main(["apply", str(path), "-s", "w.replicas=2", "-i", "--no-verify"]) == 0
    assert path.read_text() == _corrupt(taskpatch.loads(TASK).index(), None)
    with pytest.raises(VerificationError):
        taskpatch.patch_text(TASK, overrides=["w.replicas=2"])
    assert taskpatch.patch_text(TASK, overrides=["w.replicas=2"], verify=False) != TASK


def test_the_message_names_the_place_and_both_values(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(document_module, "apply_plan", lambda index, plan, trace=None: index.source.replace(
        "replicas: 1", "replicas: 3"))
    with pytest.raises(VerificationError) as caught:
        taskpatch.patch_text(TASK, overrides=["w.replicas=2"])
    assert (caught.value.line, caught.value.column) == (4, 13)
    assert "at 4:13 (expected 2, read 3)" in str(caught.value)
    assert isinstance(caught.value, taskpatch.TaskpatchError)


# Each row: what a buggy splicer writes instead of `replicas: 2`, and what the
# read-back reports. Verification matches parser events against the expected
# tree as they arrive, so every way the structure can differ has its own path.
@pytest.mark.parametrize(("written", "message", "at"), [
    ("resources:\n- name: w\n  image: a  # img\n  replicas: 2\n  extra: 1\n", "expected 3 entries, read more", (5, 3)),
    ("resources:\n- name: w\n  image: a  # img\n", "expected 'replicas', read the end of the collection", (4, 1)),
    ("resources:\n- name: w\n  image: a  # img\n  replicas: [2]\n", "expected 2, read a sequence", (4, 13)),
    ("resources:\n- name: w\n  image: a  # img\n  replicas: 2\n- name: v\n", "expected 1 items, read more", (5, 3)),
    ("resources:\n- name: w\n  image: a  # img\n  replicas: 2\n---\nx: 1\n", "expected 1 documents, read more",
     (5, 1)),
    ("resources: {}\n", "expected a sequence, read a mapping", (1, 12)),
    ("resources:\n- name: w\n  image: &i a  # img\n  replicas: 2\n", "expected anchor None, read anchor 'i'", (3, 10)),
    ("resources:\n- name: w\n  image: !t a  # img\n  replicas: 2\n", "read ('tag', '!t', 'a')", (3, 10)),
    ("resources:\n- name: w\n  image: a  # img\n  replicas: '2'\n", "expected 2, read '2'", (4, 13)),
    ("resources:\n- name: w\n  image: a  # img\n  replicas: 2\n  - x\n", "would not parse at 5:3", (5, 3)),
])
def test_every_kind_of_difference_is_caught(monkeypatch: pytest.MonkeyPatch, written: str, message: str,
                                            at: tuple[int, int]) -> None:
    monkeypatch.setattr(document_module, "apply_plan", lambda index, plan, trace=None: written)
    with pytest.raises(VerificationError) as caught:
        taskpatch.patch_text(TASK, overrides=["w.replicas=2"])
    assert message in str(caught.value)
    assert (caught.value.line, caught.value.column) == at


def test_lost_template_markup_is_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    text = "resources:\n- name: w\n  image: {{ .image }}\n  replicas: 1\n"
    monkeypatch.setattr(document_module, "apply_plan", lambda index, plan, trace=None: index.source.replace(
        "replicas: 1", "replicas: 2").replace("{{ .image }}", "{{ .other }}"))
    with pytest.raises(VerificationError, match="template markup '{{ .other }}' appeared"):
        taskpatch.patch_text(text, overrides=["w.replicas=2"])


@pytest.mark.parametrize("argv", [
    ["variants", "{file}", "--grid", "w.lr=1,2", "-d", "{out}"],
    ["build", "-f", "{manifest}"],
])
def test_every_command_that_writes_verifies(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, argv: list[str],
                                            capfd: pytest.CaptureFixture[str]) -> None:
    from taskpatch import applier, sweep

    def broken(index: Any, plan: Any, trace: Any = None) -> str:
        return applier.apply_plan(index, plan, trace).replace("- name: w", "- name w")

    monkeypatch.setattr(document_module, "apply_plan", broken)
    monkeypatch.setattr(sweep, "apply_plan", broken)
    (tmp_path / "task.yaml").write_text(TASK)
    (tmp_path / "taskpatch.yaml").write_text("targets:\n- source: task.yaml\n  output: out.yaml\n"
                                             "  set: [w.replicas=5]\n")
    names = {"file": str(tmp_path / "task.yaml"), "out": str(tmp_path / "v"),
             "manifest": str(tmp_path / "taskpatch.yaml")}
    assert main([arg.format(**names) for arg in argv]) == 3
    assert "internal error" in capfd.readouterr().err
    assert sorted(os.listdir(tmp_path)) == ["task.yaml", "taskpatch.yaml"]


# -- the classes of splice bugs --------------------------------------------------

def _patch(text: str, **specs: Any) -> str:
    return taskpatch.patch_text(text, **specs)


CASES = [
    # Empty values: a null written as nothing gets a space, never glued on.
    ("null-key", "resources:\n- name: w\n  command:\n  args:\n", {"overrides": ["w.command=python x.py"]},
     "resources:\n- name: w\n  command: python x.py\n  args:\n"),
    ("null-key-comment", "resources:\n- name: w\n  command:  # c\n", {"overrides": ["w.command=run"]},
     "resources:\n- name: w\n  command: run  # c\n"),
    ("null-item", "resources:\n- name: w\n  args:\n  -\n  - x\n", {"overrides": ["w.args[0]=-x"]},
     "resources:\n- name: w\n  args:\n  - -x\n  - x\n"),
    ("null-item-block", "resources:\n- name: w\n  env:\n  -   # c\n  - x\n", {"overrides": ["w.env[0].name=A"]},
     "resources:\n- name: w\n  env:\n  - name: A   # c\n  - x\n"),
    # Indentless sequences.
    ("indentless-to-scalar", "resources:\n- name: w\n  env:\n  - name: A\n    value: x\n",
     {"overrides": ["~w.env", "w.env=x"]}, "resources:\n- name: w\n  env: x\n"),
    ("indentless-emptied", "resources:\n- name: w\n  env:\n  - name: A\n    value: x\n",
     {"overrides": ["~w.env[0]"]}, "resources:\n- name: w\n  env: []\n"),
    ("indentless-comment-after-colon", "resources:\n- name: w\n  env: # c\n  - name: A\n    value: x\n",
     {"overrides": ["~w.env", "w.env=x"]}, "resources:\n- name: w\n  env: # c\n    x\n"),
    ("append-after-a-cut-to-the-end", "resources:\n- name: ps\n  env:\n  - name: C\n    value: 1\n  - name: B\n"
     "    value: 2\n  res: x", {"env": ["E=m"], "overrides": ["~*.env[name=B]", "~ps.res"]},
     "resources:\n- name: ps\n  env:\n  - name: C\n    value: 1\n  - name: E\n    value: m"),
    ("block-scalar-at-the-end-replaced-and-a-key-added", "resources:\n- name: ps\n  ab: |\n    x",
     {"overrides": ["ps.ab=eval", "ps.x=1"]}, "resources:\n- name: ps\n  ab: |-\n    eval\n  x: 1"),
    ("verbatim-tag-on-a-block-scalar-at-the-end", "resources:\n- name: w\n  command: !<tag:yaml.org,2002:str> |\n"
     "    python x", {"overrides": ["w.y=1"]},
     "resources:\n- name: w\n  command: !<tag:yaml.org,2002:str> |-\n    python x\n  'y': 1"),
    ("indentless-anchored-append", "resources:\n- name: w\n  env: &e\n  - name: A\n    value: x\n",
     {"env": ["B=1"]}, "resources:\n- name: w\n  env: &e\n  - name: A\n    value: x\n  - name: B\n    value: '1'\n"),
    # Block scalars.
    ("block-eof-no-newline", "resources:\n- name: w\n  command: |\n    a\n    b", {"overrides": ["w.replicas=2"]},
     "resources:\n- name: w\n  command: |-\n    a\n    b\n  replicas: 2"),
    ("block-last-after-delete", "resources:\n- name: w\n  command: |\n    a\n  replicas: 1",
     {"overrides": ["~w.replicas"]}, "resources:\n- name: w\n  command: |\n    a\n"),
    ("block-keep-blank-lines", "resources:\n- name: w\n  command: |+\n    a\n\n\n  replicas: 1\n",
     {"overrides": ["w.x=2"]}, "resources:\n- name: w\n  command: |+\n    a\n\n\n  replicas: 1\n  x: 2\n"),
    ("block-keep-at-end", "resources:\n- name: w\n  command: |+\n    a\n\n\n", {"overrides": ["w.x=2"]},
     "resources:\n- name: w\n  command: |+\n    a\n\n\n  x: 2\n"),
    ("block-leading-spaces", "resources:\n- name: w\n  command: |\n    a\n", {"overrides": ["w.command=  lead"]},
     "resources:\n- name: w\n  command: '  lead'\n"),
    ("block-nel", "resources:\n- name: w\n  command: |\n    a\n", {"overrides": ["w.command=a\x85b"]},
     'resources:\n- name: w\n  command: "a\\u0085b"\n'),
    ("block-ls", "resources:\n- name: w\n  command: |\n    a\n", {"overrides": ["w.command=a\u2028b"]},
     'resources:\n- name: w\n  command: "a\\u2028b"\n'),
    ("block-control", "resources:\n- name: w\n  command: |\n    a\n", {"overrides": ["w.command=a\x07b"]},
     'resources:\n- name: w\n  command: "a\\u0007b"\n'),
    ("block-render", "resources:\n- name: w\n  command: |\n    python x.py\n  args: --a 1\n", {"render": True},
     "resources:\n- name: w\n  command: |\n    python x.py --a 1\n"),
    ("block-folded-render", "resources:\n- name: w\n  command: >-\n    python\n    x.py\n",
     {"args": ["w.b=2"], "render": True}, "resources:\n- name: w\n  command: >-\n    python\n    x.py --b 2\n"),
    ("block-args-append", "resources:\n- name: w\n  args: |-\n    --a 1\n", {"args": ["w.b=2"]},
     "resources:\n- name: w\n  args: |-\n    --a 1 --b 2\n"),
    # Deletes.
    ("delete-inline-first-and-later", "resources:\n- args: 1\n  image: x\n  replicas: 2\n  x: 1\n  name: w\n",
     {"overrides": ["~w.args", "~w.x"]}, "resources:\n- image: x\n  replicas: 2\n  name: w\n"),
    ("delete-inline-first-keeps-comments", "resources:\n- args: 1\n  # about the image\n  image: x\n  name: w\n",
     {"overrides": ["~w.args"]}, "resources:\n  # about the image\n- image: x\n  name: w\n"),
    ("delete-explicit-key", "resources:\n- name: w\n  ? image\n  : x\n  replicas: 1\n", {"overrides": ["~w.image"]},
     "resources:\n- name: w\n  replicas: 1\n"),
    ("set-explicit-key", "resources:\n- name: w\n  ? image\n  : x\n", {"overrides": ["w.image=y"]},
     "resources:\n- name: w\n  ? image\n  : 'y'\n"),
    # Input edge cases.
    ("two-boms", "\ufeff\ufeffresources:\n- name: w\n", {"overrides": ["+w.image=y"]},
     "\ufeff\ufeffresources:\n- name: w\n  image: 'y'\n"),
    # Templates: a key written once per branch gets each branch's own edit.
    ("template-branches",
     "resources:\n- name: w\n  {{- if .gpu }}\n  args: \"--gpu\"\n  command: run --gpu\n  env:\n  - name: A\n"
     "    value: g\n  {{- else }}\n  args: \"--cpu\"\n  command: run\n  env:\n  - name: A\n    value: c\n  {{- end }}\n",
     {"args": ["w.b=2"], "env": ["A=z"]},
     "resources:\n- name: w\n  {{- if .gpu }}\n  args: \"--gpu --b 2\"\n  command: run --gpu\n  env:\n  - name: A\n"
     "    value: z\n  {{- else }}\n  args: \"--cpu --b 2\"\n  command: run\n  env:\n  - name: A\n    value: z\n"
     "  {{- end }}\n"),
    ("template-branches-render",
     "resources:\n- name: w\n  {{- if .gpu }}\n  args: \"--gpu\"\n  command: run --gpu\n  {{- else }}\n"
     "  args: \"--cpu\"\n  command: run\n  {{- end }}\n",
     {"render": True},
     "resources:\n- name: w\n  {{- if .gpu }}\n  command: run --gpu --gpu\n  {{- else }}\n  command: run --cpu\n"
     "  {{- end }}\n"),
]


@pytest.mark.parametrize("text,specs,expected", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_fixed_classes(text: str, specs: dict[str, Any], expected: str) -> None:
    assert _patch(text, **specs) == expected
    if not specs.get("render"):  # folding args in twice is not meant to be a no-op
        assert _patch(expected, **specs) == expected


REFUSED = [
    ("cr-only", "resources:\r- name: w\r", {"overrides": ["w.image=y"]}, r"1:11: YAML error: a carriage return"),
    ("duplicate-key", "resources:\n- name: w\n  name: v\n", {"overrides": ["w.image=y"]},
     r"3:3: YAML error: duplicate key 'name' \(first at line 2\)"),
    ("duplicate-resources", "resources:\n- name: w\nresources:\n- name: v\n", {"overrides": ["w.image=y"]},
     r"3:1: YAML error: duplicate key 'resources'"),
    ("undefined-alias", "resources:\n- name: w\n  image: *x\n", {"overrides": ["w.image=y"]},
     r"3:10: YAML error: undefined alias \*x"),
    ("anchor-still-used", "resources:\n- name: w\n  r: {b: &x 1}\n  c: *x\n", {"overrides": ["~w.r"]},
     r"3:6: path error: this value defines &x \(line 3\), which \*x uses at line 4"),
    ("anchor-still-used-replace", "resources:\n- name: w\n  r: [&x 1]\n  c: *x\n", {"overrides": ["~w.r", "w.r=2"]},
     r"3:6: path error: this value defines &x"),
    ("append-after-an-end-at-the-key-indent", "resources:\n- name: w\n  command: python train.py\n    --data x\n"
     "    {{- if .warm }}\n    --warm y\n  {{- end }}\n  args: {steps: 1}\n", {"render": True},
     r"3:12: type error: this value's last line sits inside a template block whose \{\{ end \}\} line \(line 7\)"),
    ("explicit-key-without-value", "resources:\n- name: w\n  ? image\n  replicas: 1\n", {"overrides": ["w.image=y"]},
     r"3:5: type error: this explicit `\? key` has no `:` value"),
]


@pytest.mark.parametrize("text,specs,message", [c[1:] for c in REFUSED], ids=[c[0] for c in REFUSED])
def test_refused_with_a_position(text: str, specs: dict[str, Any], message: str) -> None:
    with pytest.raises(taskpatch.TaskpatchError) as caught:
        _patch(text, **specs)
    assert not isinstance(caught.value, VerificationError)
    assert re.search(message, str(caught.value)), str(caught.value)


def test_a_key_added_inside_one_branch_warns() -> None:
    document = taskpatch.loads("resources:\n- name: w\n  {{- if .gpu }}\n  resources:\n    limits: {gpu: 1}\n"
                               "  {{- end }}\n")
    document.apply_resource_overrides(["w.resources.requests.cpu=1"])
    assert document.warnings == ["w: the key 'requests' added at line 5 is inside the template block opened at "
                                 "line 3, so the change holds only when that branch renders"]
    both = taskpatch.loads("resources:\n- name: w\n  {{- if .gpu }}\n  resources: {limits: {gpu: 1}}\n"
                           "  {{- else }}\n  resources: {}\n  {{- end }}\n")
    both.apply_resource_overrides(["w.resources.requests.cpu=1"])
    assert both.warnings == [] and both.text.count("requests") == 2


def test_without_the_c_parser_taskpatch_refuses_clearly(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                                         capfd: pytest.CaptureFixture[str]) -> None:
    """The pure-Python parser's marks differ from libyaml's; rather than
    splice from them, taskpatch says what to install (exit 2, one line)."""
    from taskpatch import yaml_index

    monkeypatch.setattr(yaml_index, "_CParser", None)
    path = tmp_path / "task.yaml"
    path.write_text(TASK)
    assert main(["apply", str(path), "-s", "w.replicas=2", "-i"]) == 2
    err = capfd.readouterr().err
    assert err.count("\n") == 1 and "setup error: taskpatch needs ruamel.yaml's C parser" in err
    assert "pip install ruamel.yaml.clib" in err and path.read_text() == TASK


def test_info_set_reads_its_json_back(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                      capfd: pytest.CaptureFixture[str]) -> None:
    from taskpatch import taskinfo

    path = tmp_path / "info.json"
    path.write_text('{"model_path": "/m/1"}\n')
    monkeypatch.setattr(taskinfo, "_dumps", lambda value, indent="": '{"model_path": ')  # a writer with a bug
    assert main(["info", "set", str(path), "model_path=/m/2"]) == 3
    assert "internal error: the task info would not read back as written" in capfd.readouterr().err
    assert path.read_text() == '{"model_path": "/m/1"}\n'


def test_the_last_item_cut_and_written_again_at_the_end_of_a_file_without_a_final_newline() -> None:
    """Found by the fuzzer: the line break before a cut that reaches the end
    goes with it only when what is written there brings its own."""
    from taskpatch.spec_parser import parse_env, parse_override

    text = "resources:\n- name: w\n  env:\n  - name: E\n    value: '1'\n  - name: B\n    value: '2'"
    document = taskpatch.loads(text)
    document.apply([parse_override("~w.env[name=B]"), parse_env("B=3")])
    assert document.text == text.replace("value: '2'", "value: '3'")


def test_lines_added_after_an_empty_value_that_follows_a_block_scalar_leave_the_block_alone() -> None:
    """Found by the fuzzer: the block scalar is not last (`env:` is), so its
    chomping stays `|` (it was made `|-`, and verification refused)."""
    text = "resources:\n- name: w\n  command: |\n    python a.py\n  env:"
    out = taskpatch.patch_text(text, overrides=["w.replicas=2"])
    assert out == "resources:\n- name: w\n  command: |\n    python a.py\n  env:\n  replicas: 2"

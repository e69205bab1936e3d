"""Go templates and YAML anchors: what is refused, and why."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import taskpatch
from taskpatch.template import alternatives, analyse, find_actions, mask

SHARED = textwrap.dedent("""\
    defaults: &res
      requests: {cpu: 1}
    resources:
    - name: w
      resources: *res
    - name: ps
      resources: &own
        requests: {cpu: 2}
      port: &p 8080
    - name: ev
      resources: *own
      port: *p
    """)


def test_actions_with_braces_inside_strings() -> None:
    text = 'a: {{"spark://{{.NAME}}:7077"}} b: {{ .x }}'
    assert [text[s:e] for s, e in find_actions(text)] == ['{{"spark://{{.NAME}}:7077"}}', "{{ .x }}"]


def test_mask_keeps_length_and_lines() -> None:
    text = "a: {{ .x }}\n{{- if .y }}\nb: 1\n{{- end }}\n"
    masked = mask(text, analyse(text))
    assert masked == "a: ________\n#~~~~~~~~~~~\nb: 1\n#~~~~~~~~~\n"
    assert len(masked) == len(text)


def test_branches() -> None:
    info = analyse("{{ if .a }}\nx: 1\n{{ else }}\nx: 2\n{{ end }}\ny: 3\n")
    assert alternatives(info.branches[1], info.branches[3])
    assert not alternatives(info.branches[1], info.branches[5])


def test_duplicate_keys_outside_branches_are_still_an_error() -> None:
    text = "resources:\n- name: w\n  image: {{ .a }}\n  image: {{ .b }}\n"
    with pytest.raises(taskpatch.YamlSyntaxError, match="4:3: .*duplicate key 'image' \\(first at line 3\\)"):
        taskpatch.patch_text(text, overrides=["w.image=x"])


def test_duplicate_resources_in_branches_both_get_the_edit() -> None:
    text = ("resources:\n{{- if .gpu }}\n- name: w\n  image: gpu\n{{- else }}\n- name: w\n  image: cpu\n"
            "{{- end }}\n- name: w\n  image: other\n")
    with pytest.raises(taskpatch.SelectorError, match="3 resources"):
        taskpatch.patch_text(text, overrides=["w.replicas=2"])
    two = text.rsplit("- name: w\n  image: other\n", 1)[0]
    out = taskpatch.patch_text(two, overrides=["w.replicas=2"])
    assert out.count("  replicas: 2\n") == 2


def test_template_mode_can_be_forced_off() -> None:
    text = "resources:\n- name: w\n  image: '{{ .x }}'\n"
    assert taskpatch.patch_text(text, overrides=["w.image=y"], template=False) == text.replace("'{{ .x }}'", "'y'")
    with pytest.raises(taskpatch.YamlSyntaxError):
        taskpatch.patch_text("resources:\n- name: w\n  image: {{ .x }}\n  {{- if .a }}\n", env=["A=1"], template=False)


@pytest.mark.parametrize("spec,message", [
    ("w.resources.requests.cpu=3", r"alias \*res \(anchor &res at line 1\)"),
    ("ps.resources.requests.cpu=3", r"inside &own \(line 7\), which \*own also uses \(line 11\)"),
    ("ps.port=9", r"inside &p"),
    ("~ps.port", r"inside &p"),
])
def test_shared_anchors_are_refused(spec: str, message: str) -> None:
    with pytest.raises(taskpatch.PathError, match=message):
        taskpatch.patch_text(SHARED, overrides=[spec])


def test_unshared_edits_next_to_anchors_work() -> None:
    out = taskpatch.patch_text(SHARED, overrides=["w.replicas=2"], env=["A=1"])
    assert "resources: *res" in out and "resources: &own" in out and out.count("value: '1'") == 3


def test_nested_edit_through_a_merge_is_refused() -> None:
    text = "d: &d\n  resources: {requests: {cpu: 1}}\nresources:\n- name: w\n  <<: *d\n"
    with pytest.raises(taskpatch.PathError, match=r"comes from <<: \*d"):
        taskpatch.patch_text(text, overrides=["w.resources.requests.cpu=2"])


def test_alias_bomb_is_bounded(tmp_path: Path) -> None:
    levels = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    levels += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 10)]
    text = "\n".join(levels) + "\nresources:\n- name: w\n  bomb: *a9\n"
    source = tmp_path / "bomb.yaml"
    source.write_text(text)
    proc = subprocess.run([sys.executable, "-m", "taskpatch", "apply", str(source), "-e", "A=1", "-s", "w.x=1",
                           "--resources", "$.resources"], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == text + "  env:\n  - name: A\n    value: '1'\n  x: 1\n"


def test_copy_aliases_gives_the_resource_its_own_copy() -> None:
    out = taskpatch.patch_text(SHARED, overrides=["w.resources.requests.cpu=3"], copy_aliases=True)
    assert out == SHARED.replace("  resources: *res\n", "  resources: {requests: {cpu: 3}}\n")
    assert taskpatch.patch_text(out, overrides=["w.resources.requests.cpu=3"], copy_aliases=True) == out


def test_copy_aliases_refuses_values_holding_aliases() -> None:
    text = "a: &a 1\nb: &b {x: *a}\nresources:\n- name: w\n  r: *b\n"
    with pytest.raises(taskpatch.PathError, match=r"alias \*b"):
        taskpatch.patch_text(text, overrides=["w.r.x=2"], copy_aliases=True)

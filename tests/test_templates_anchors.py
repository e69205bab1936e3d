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


MANIFEST = textwrap.dedent("""\
    kind: Deployment
    spec:
      containers:
      - name: api
        env: &base-env
        - name: LOG_LEVEL
          value: info   # shared
      - name: worker
        env: *base-env
      - name: cron
        env: *base-env
    """)
CONTAINERS = "$.spec.containers[*]"


# Issue 11, part 3: a spec that gives every user of an anchor the same edit
# edits the anchored value once; anything less is refused as before.
@pytest.mark.parametrize("specs,expected", [
    ({"env": ["X=1"]}, MANIFEST.replace("# shared\n", "# shared\n    - name: X\n      value: '1'\n")),
    ({"overrides": ["*.env[name=LOG_LEVEL].value=debug"]}, MANIFEST.replace("info ", "debug ")),
    ({"overrides": ["*.env[0].value=debug", "*.env[0].value=debug"]}, MANIFEST.replace("info ", "debug ")),
    ({"env": ["LOG_LEVEL=info"]}, MANIFEST),  # already so: nothing to share, nothing to write
])
def test_an_edit_every_user_of_an_anchor_gets_is_made_once(specs: dict[str, list[str]], expected: str) -> None:
    document = taskpatch.loads(MANIFEST, resources=CONTAINERS)
    document.apply_env(specs.get("env", []))
    document.apply_resource_overrides(specs.get("overrides", []))
    assert document.text == expected
    shared = [w for w in document.warnings if "share &base-env (line 5)" in w]
    assert shared == ([] if expected == MANIFEST else ["api, worker, cron: share &base-env (line 5), so the edit is "
                                                      "made there once, and every one of them has it"])


@pytest.mark.parametrize("specs,message,at", [
    ({"env": ["worker:X=1"]}, r"through the alias \*base-env .* \(api, worker, cron share it", (9, 10)),
    ({"env": ["api:X=1"]}, r"inside &base-env \(line 5\), which \*base-env also uses \(line 9, 11\)", (6, 5)),
    ({"env": ["worker:X=1", "cron:X=1", "api:X=1"]}, r"through the alias", (9, 10)),  # one spec must select all
    ({"overrides": ["worker.env=[]"]}, r"alias", (9, 10)),  # replacing an alias is not an edit inside it
    # what an earlier spec added to the shared value is shared too
    ({"env": ["X=1", "api:X=2"]}, r"inside &base-env .* \(api, worker, cron share it", (6, 5)),
])
def test_an_edit_some_users_of_an_anchor_get_is_refused(specs: dict[str, list[str]], message: str,
                                                       at: tuple[int, int]) -> None:
    with pytest.raises(taskpatch.TaskpatchError, match=message) as caught:
        taskpatch.patch_text(MANIFEST, resources=CONTAINERS, **specs)
    first = caught.value.errors[0] if isinstance(caught.value, taskpatch.PlanErrors) else caught.value
    assert (first.line, first.column) == at


def test_an_alias_that_renders_only_in_a_branch_is_not_shared() -> None:
    """ps has *e only when .gpu renders: an edit made once in &e would miss
    ps's other renderings, where -e would have given it an env of its own."""
    text = ("resources:\n- name: w\n  env: &e [{name: A, value: '1'}]\n- name: ps\n  {{- if .gpu }}\n"
            "  env: *e\n  {{- end }}\n")
    with pytest.raises(taskpatch.PlanErrors, match="line 6 renders only in a template branch"):
        taskpatch.patch_text(text, env=["X=1"])


def test_copy_aliases_copies_instead_of_sharing() -> None:
    out = taskpatch.patch_text(MANIFEST, resources=CONTAINERS, env=["X=1"], copy_aliases=True)
    assert out.count("env: [{name: LOG_LEVEL, value: info}, {name: X, value: '1'}]") == 2
    assert "*base-env" not in out and "env: &base-env" in out and out.count("- name: X") == 1


def test_a_value_anchored_outside_every_resource_is_not_shared() -> None:
    """`defaults: &res` is data of its own: editing it was not asked."""
    with pytest.raises(taskpatch.PathError, match=r"alias \*res"):
        taskpatch.patch_text(SHARED, overrides=["?[sv].resources.requests.cpu=3", "w.resources.requests.cpu=3"])
    out = taskpatch.patch_text(SHARED, overrides=["?[sv].resources.requests.cpu=3"])
    assert out == SHARED.replace("{cpu: 2}", "{cpu: 3}")


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


# Found by the adversarial review: every place a shared value is used from
# counts, not just every resource.
@pytest.mark.parametrize("text,specs,message", [
    # the same anchor name in two documents: two values, each shared by its own users
    ("resources:\n- name: p\n  env: &e\n  - name: X\n    value: '1'\n- name: q\n  env: *e\n---\nresources:\n"
     "- name: a\n  env: &e\n  - name: X\n    value: '2'\n- name: c\n  env: *e\n", {"env": ["a:X=9"]},
     r"a, c share it at lines 11, 15"),
    # an anchor inside another: the inner one's users count too
    ("resources:\n- name: w-1\n  resources: &res\n    requests: &req\n      cpu: 1\n- name: w-2\n  resources: *res\n"
     "- name: x\n  resources:\n    requests: *req\n", {"overrides": ["w-*.resources.requests.cpu=2"]},
     r"w-1, x share it at lines 4, 10"),
    # one resource using its own anchor at another path
    ("resources:\n- name: a\n  resources:\n    requests: &q\n      cpu: 1\n    limits: *q\n",
     {"overrides": ["a.resources.requests.cpu=2"]}, r"a share it at lines 4, 6"),
    # an env entry that is an alias is found by its name, and is shared
    ("resources:\n- name: a\n  env:\n  - &level\n    name: L\n    value: info\n- name: b\n  env:\n  - *level\n",
     {"env": ["b:L=debug"]}, r"a, b share it"),
])
def test_every_place_a_shared_value_is_used_from_counts(text: str, specs: dict[str, list[str]], message: str) -> None:
    with pytest.raises(taskpatch.TaskpatchError, match=message):
        taskpatch.patch_text(text, **specs)


def test_an_anchor_of_an_earlier_document_is_undefined() -> None:
    with pytest.raises(taskpatch.YamlSyntaxError, match=r"undefined alias \*e"):
        taskpatch.patch_text("a: &e 1\n---\nresources:\n- name: w\n  x: *e\n", env=["X=1"])


def test_reached_by_every_place_the_edit_is_made_once() -> None:
    text = ("resources:\n- name: w-1\n  resources: &res\n    requests: &req\n      cpu: 1\n- name: w-2\n"
            "  resources: *res\n- name: x\n  resources:\n    requests: *req\n")
    assert taskpatch.patch_text(text, overrides=["*.resources.requests.cpu=2"]) == text.replace("cpu: 1", "cpu: 2")
    entries = "resources:\n- name: a\n  env:\n  - &level\n    name: L\n    value: info\n- name: b\n  env:\n  - *level\n"
    assert taskpatch.patch_text(entries, env=["L=debug"]) == entries.replace("info", "debug")

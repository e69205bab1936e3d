"""Issue 11: mistakes that used to pass silently are caught at the spec and
the line where they are."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

import taskpatch
from taskpatch.cli import main
from taskpatch.targets import load_targets

TASK = ("resources:\n- name: worker\n  env:\n  - name: A\n    value: '1'\n  resources:\n"
        "    requests: {cpu: 1, memory: 2Gi}\n  nodeSelector: {}\n")


# -- part 2: structure is explicit ------------------------------------------------------

@pytest.mark.parametrize("overrides,message,at,caret", [
    (["worker.resources=big"], "resources is a mapping (requests); setting it to 'big' would drop all of it: "
     "write -s '~worker.resources' first to replace it on purpose", (7, 5), 18),
    (["worker.env=none"], "env is a list of 1 item; setting it to 'none'", (4, 3), 12),
    (["worker.resources.requests=null"], "requests is a mapping (cpu, memory)", (7, 15), 27),
    (["worker.resources.requests.gpu=1", "worker.resources.requests="], "(cpu, memory, gpu)", (7, 15), 27),
    (["worker.extra.a=1", "worker.extra=x"], "extra is a mapping (a)", (2, 3), 14),
])
def test_a_scalar_over_a_collection_is_refused(overrides: list[str], message: str, at: tuple[int, int],
                                               caret: int) -> None:
    with pytest.raises(taskpatch.ValueTypeError) as caught:
        taskpatch.patch_text(TASK, overrides=overrides)
    assert message in caught.value.message
    assert (caught.value.line, caught.value.column) == at
    assert caught.value.spec_column == caret


@pytest.mark.parametrize("overrides,expected", [
    (["~worker.env", "worker.env=none"], TASK.replace("env:\n  - name: A\n    value: '1'\n", "env: none\n")),
    (["worker.nodeSelector=x"], TASK.replace("nodeSelector: {}", "nodeSelector: x")),  # {} holds nothing
    (["~worker.resources.requests", "worker.resources.requests=big"], TASK.replace(
        "{cpu: 1, memory: 2Gi}", "big")),
])
def test_the_explicit_way_replaces_it(overrides: list[str], expected: str) -> None:
    assert taskpatch.patch_text(TASK, overrides=overrides) == expected


# -- part 1: typo-proof creation ---------------------------------------------------------

DEPLOYMENT = ("kind: Deployment\nspec:\n  template:\n    spec:\n      containers:\n      - name: c\n"
              "        image: busybox\n        workingDir: /w\n")
CONTAINERS = "$.spec.template.spec.containers"


@pytest.mark.parametrize("text,overrides,options,message,at,caret", [
    (TASK, ["worker.replcas=3"], {},
     "worker has no key 'replcas'; did you mean 'replicas'? (write +worker.replcas=3 to add it anyway)", (2, 3), 8),
    (TASK, ["*.resources.requets.cpu=1"], {}, "worker.resources has no key 'requets'; did you mean 'requests'? "
     "(write +*.resources.requets.cpu=1 to add it anyway)", (7, 5), 13),
    (TASK, ["worker.resources.requests.memroy=1Gi"], {},
     "worker.resources.requests has no key 'memroy'; did you mean 'memory'?", (7, 15), 27),
    (TASK, ["worker.env[name=A].vlaue=2"], {}, "worker.env[name=A] has no key 'vlaue'; did you mean 'value'?",
     (4, 5), 20),
    (TASK, ["worker.Replicas=2"], {}, "did you mean 'replicas'?", (2, 3), 8),  # case only
    (TASK, ["worker.maxRestartCuont=2"], {}, "did you mean 'maxRestartCount'?", (2, 3), 8),
    (TASK, ["worker.resource.requests.cpu=1"], {}, "worker has no key 'resource'; did you mean 'resources'?",
     (2, 3), 8),
    (TASK, ["worker.image=x"], {}, "did you mean 'images'?", (2, 3), 8),  # Kuberlab: images.cpu/gpu
    # a sibling key in a free-form mapping, made earlier by this plan (so at its resource)
    (TASK, ["worker.nodeSelector.zone=a", "worker.nodeSelector.zoen=b"], {},
     "worker.nodeSelector has no key 'zoen'; did you mean 'zone'?", (2, 3), 21),
    (DEPLOYMENT, ["c.imgae=x"], {"resources": CONTAINERS}, "c has no key 'imgae'; did you mean 'image'?", (6, 9), 3),
    (DEPLOYMENT, ["c.workingdir=/x"], {"resources": CONTAINERS}, "did you mean 'workingDir'?", (6, 9), 3),
])
def test_a_near_miss_is_not_created(text: str, overrides: list[str], options: dict, message: str,
                                    at: tuple[int, int], caret: int) -> None:
    with pytest.raises(taskpatch.PathError) as caught:
        taskpatch.patch_text(text, overrides=overrides, **options)
    assert message in caught.value.message
    assert (caught.value.line, caught.value.column) == at
    assert caught.value.spec_column == caret
    forced = ["+" + spec if spec == overrides[-1] else spec for spec in overrides]
    assert taskpatch.patch_text(text, overrides=forced, **options) != text  # `+` creates it


@pytest.mark.parametrize("overrides,args,env,made", [
    (["worker.resources.limits.memory=1Gi"], [], [], {"resources": {"requests": {"cpu": 1, "memory": "2Gi"},
                                                                    "limits": {"memory": "1Gi"}}}),
    (["worker.timeout=30"], [], [], {"timeout": 30}),  # far from every known name
    (["worker.workDir=/w", "worker.workdir=/v"], [], [], {"workDir": "/w", "workdir": "/v"}),  # both known
    (["worker.nodeSelector.gpu=1", "worker.nodeSelector.cpu=2"], [], [],
     {"nodeSelector": {"gpu": 1, "cpu": 2}}),  # short names are names, not typos
    (["worker.labels.model_v1=a", "worker.labels.model_v2=b"], [], [],
     {"labels": {"model_v1": "a", "model_v2": "b"}}),  # numbered siblings
    (["worker.args.replcas=1"], ["worker.replcsa=2"], [], {"args": {"replcas": 1, "replcsa": 2}}),  # free-form
    (["+worker.replcas=3"], [], ["REPLCAS=1"], {"replcas": 3}),
])
def test_these_keys_are_created(overrides: list[str], args: list[str], env: list[str], made: dict) -> None:
    resource = yaml.safe_load(taskpatch.patch_text(TASK, overrides=overrides, args=args, env=env))["resources"][0]
    assert {key: resource[key] for key in made} == made
    assert all(e["name"] != "REPLCAS" or e["value"] == "1" for e in resource["env"])


def test_a_merged_key_is_a_sibling() -> None:
    text = "defaults: &d {replicas: 1}\nresources:\n- name: w\n  <<: *d\n"
    assert "replicas: 3" in taskpatch.patch_text(text, overrides=["w.replicas=3"])  # written into w's own mapping
    with pytest.raises(taskpatch.PathError, match="did you mean 'replicas'"):
        taskpatch.patch_text(text, overrides=["w.replicsa=3"])


def test_plus_is_accepted_wherever_a_set_spec_is(tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    assert taskpatch.parse_spec("+worker.replcas=3", "set").force  # type: ignore[union-attr]
    assert not taskpatch.parse_spec("worker.replcas=3", "set").force  # type: ignore[union-attr]
    (spec,) = taskpatch.parse_spec_file("set +worker.replcas=3\n", "f.tp")
    assert spec.force and spec.source.label == "f.tp:1"  # type: ignore[union-attr]
    config = tmp_path / "task.yaml"
    config.write_text(TASK)
    assert main(["apply", str(config), "-s", "+worker.replcas=3"]) == 0
    assert "  replcas: 3\n" in capfd.readouterr().out
    (tmp_path / "prod.tp").write_text("env A=1\nset worker.replcas=3\n")
    assert main(["apply", str(config), "--spec-file", str(tmp_path / "prod.tp")]) == 2
    err = capfd.readouterr().err
    assert err == (f"{config}:2:3: path error: worker has no key 'replcas'; did you mean 'replicas'? (write "
                   f"+worker.replcas=3 to add it anyway) [spec {tmp_path / 'prod.tp'}:2 'worker.replcas=3', "
                   "column 12]\n")
    (tmp_path / "taskpatch.yaml").write_text("targets:\n- source: task.yaml\n  output: out.yaml\n"
                                             "  set: [+worker.replcas=3, 'worker.nodeSelector={gpu: \"true\"}']\n")
    (target,) = load_targets(str(tmp_path / "taskpatch.yaml"))
    assert [s.force for s in target.specs] == [True, False]  # type: ignore[attr-defined]
    document = taskpatch.loads(TASK)
    document.apply_resource_overrides(["+worker.replcas=3"])
    assert document.data["resources"][0]["replcas"] == 3


@pytest.mark.parametrize("text,column,message", [
    ("+~w.x", 2, "expected a quoted string or a resource name or glob, found '~'"),
    ("~+w.x", 2, "found '+'"),
    ("w+.x=1", 2, "found '+'"),
    ("++w.x=1", 2, "found '+'"),
])
def test_plus_in_the_wrong_place(text: str, column: int, message: str) -> None:
    with pytest.raises(taskpatch.SpecSyntaxError) as caught:
        taskpatch.parse_spec(text, "set")
    assert message in caught.value.message and caught.value.spec_column == column


# -- part 2: flow-collection values --------------------------------------------------------

@pytest.mark.parametrize("overrides,path,expected", [
    (['worker.nodeSelector={gpu: "true"}'], ["nodeSelector"], {"gpu": "true"}),
    (["worker.command=[python, ps.py]"], ["command"], ["python", "ps.py"]),
    (["worker.x=[1e3, 0x1F, 007, .inf, ~, '', yes, 2024-01-01, 1_000]"], ["x"],
     [1000.0, 31, 7, float("inf"), None, "", "yes", "2024-01-01", "1_000"]),  # the YAML 1.2 core schema
    (["worker.x={a: {b: [1, {c: d}]}, e}"], ["x"], {"a": {"b": [1, {"c": "d"}]}, "e": None}),
    (["worker.x=[a: 1, b]"], ["x"], [{"a": 1}, "b"]),
    (["worker.x=[]", "worker.y={}"], [], None),
    (["worker.x='[1, 2]'"], ["x"], "[1, 2]"),  # quoted whole: a string
    (["worker.x={{ .image }}"], ["x"], "{{ .image }}"),  # template markup, a string as before
    (["worker.x= [1]"], ["x"], " [1]"),  # not starting with '['
    (["worker.resources.requests={cpu: 2}"], ["resources", "requests"], {"cpu": 2}),  # a mapping for a mapping
    (["worker.env=[{name: B, value: '2'}]"], ["env"], [{"name": "B", "value": "2"}]),  # a list for a list
    (["worker.nodeSelector=[a]"], ["nodeSelector"], ["a"]),  # `{}` holds nothing
    (["worker.ports=[{port: 80}]"], ["ports"], [{"port": 80}]),
])
def test_flow_values(overrides: list[str], path: list[str], expected: Any) -> None:
    data = yaml.safe_load(taskpatch.patch_text(TASK, overrides=overrides))["resources"][0]
    if expected is None:
        assert (data["x"], data["y"]) == ([], {})
        return
    for key in path:
        data = data[key]
    assert data == expected and type(data) is type(expected)


def test_env_and_args_values_stay_strings() -> None:
    data = yaml.safe_load(taskpatch.patch_text(TASK, env=["A=[1, 2]"], args=["worker.lr={a: 1}"]))["resources"][0]
    assert data["env"][0]["value"] == "[1, 2]" and data["args"]["lr"] == "{a: 1}"


@pytest.mark.parametrize("spec,column,message", [
    ("worker.x=[1", 12, "did not find expected ',' or ']' (while parsing a flow sequence) (a value starting with "
     "'[' is a YAML flow collection; quote it whole for a string)"),
    ("worker.x={a: 1", 15, "did not find expected ',' or '}'"),
    ("worker.x=[1] x", 14, "text after the flow collection"),
    ("worker.x=[1] # c", 14, "text after the flow collection"),
    ("worker.x={a: b}: c", 16, "text after the flow collection"),
    ("worker.x=[1,,2]", 13, "did not find expected node content"),
    ("worker.x={a: 1, a: 2}", 17, "duplicate key 'a'; YAML readers disagree"),
    ("worker.x=[&a 1, *a]", 11, "an anchor (&a) in a flow value"),
    ("worker.x=[1, *a]", 14, "undefined alias *a"),
    ("worker.x=[!!str 1]", 11, "a tag (tag:yaml.org,2002:str)"),
    ("worker.x={1: a}", 11, "the key '1' reads as an integer; the keys of a flow value are strings, so quote it"),
    ("worker.x={[1]: a}", 11, "a key that is a collection"),
    ("worker.x={<<: {a: 1}}", 11, "a merge key (<<)"),
    ("worker.x=[a\x85b]", 12, "a line break character (U+0085)"),
    ("worker.x=[\"\\q\"]", 12, "found unknown escape character"),
])
def test_bad_flow_values(spec: str, column: int, message: str, tmp_path: Path,
                         capfd: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(taskpatch.SpecSyntaxError) as caught:
        taskpatch.parse_spec(spec, "set")
    assert message in caught.value.message and caught.value.spec_column == column
    config = tmp_path / "task.yaml"
    config.write_text(TASK)
    assert main(["apply", str(config), f"--set={spec}"]) == 2  # found before the file is read: no line
    err = capfd.readouterr().err
    assert err.startswith(f"{config}: spec syntax error: ") and err.endswith(f", column {column}]\n")
    assert err.count("\n") == 1


@pytest.mark.parametrize("overrides,error,message,caret", [
    (["worker.resources=[1]"], taskpatch.ValueTypeError, "resources is a mapping (requests); setting it to '[1]' "
     "would drop all of it", 18),
    (["worker.env={a: 1}"], taskpatch.ValueTypeError, "env is a list of 1 item", 12),
    (["worker.replicas=[1]"], taskpatch.ValueTypeError, "replicas is a count and must be a non-negative integer, "
     "got a list", 17),
    (["worker.resources={accelerators: {gpu: x}}"], taskpatch.ValueTypeError,
     "accelerators.gpu is a count and must be a non-negative integer, got 'x'", 39),
    (["worker.x=" + "[" * 98 + "]" * 98], taskpatch.ValueTypeError, "nests collections more than 100 levels deep",
     107),
])
def test_flow_values_that_do_not_fit(overrides: list[str], error: type, message: str, caret: int) -> None:
    with pytest.raises(error) as caught:
        taskpatch.patch_text(TASK, overrides=overrides)
    assert message in caught.value.message and caught.value.spec_column == caret


def test_a_flow_value_already_there_changes_nothing() -> None:
    once = taskpatch.patch_text(TASK, overrides=["worker.nodeSelector={gpu: 'true', zone: [a, 1]}"])
    document = taskpatch.loads(once)
    assert document.apply_resource_overrides(["worker.nodeSelector={gpu: 'true', zone: [a, 1]}"]).operations == ()
    assert document.text == once
    # A pending edit of the same plan is not "already there".
    both = taskpatch.patch_text(once, overrides=["worker.nodeSelector.x=1", "worker.nodeSelector={gpu: 'true', "
                                                 "zone: [a, 1]}"])
    assert both == once


def test_an_empty_list_written_earlier_is_an_empty_value_on_the_way() -> None:
    """As `[]` in the file would be on the next run (found by the fuzzer)."""
    once = taskpatch.patch_text(TASK, overrides=["worker.args=[]", "worker.args.lr=1"])
    assert once == taskpatch.patch_text(TASK, overrides=["worker.args.lr=1"])


def test_a_key_a_merge_gives_counts_and_plus_sets_the_resources_own() -> None:
    text = "base: &b\n  opts:\n    y: 1\nresources:\n- name: w\n  <<: *b\n"
    with pytest.raises(taskpatch.ValueTypeError, match=r"opts is a mapping \(y\).*write -s '\+w.opts=1' to set it"):
        taskpatch.patch_text(text, overrides=["w.opts=1"])
    assert taskpatch.patch_text(text, overrides=["+w.opts=1"]) == text + "  opts: 1\n"

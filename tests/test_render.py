"""Render (args folded into command): the seed's examples, and differential
tests against upstream TaskManager/ServingManager._preprocess_config."""

from __future__ import annotations

import copy
import subprocess
import os
from typing import Any

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

import taskpatch
from taskpatch.render import shell_word

SEED = "resources:\n- name: worker\n  command: python my_script.py\n"


def test_seed_mapping_args() -> None:
    doc = taskpatch.loads(SEED)
    doc.set_args("worker", {"var1": "val", "batch-size": 23, "test_arg": 12.2})
    doc.render()
    assert doc.data["resources"][0] == {
        "name": "worker", "command": "python my_script.py --batch-size 23 --test_arg 12.2 --var1 val"}


def test_seed_raw_string_args() -> None:
    doc = taskpatch.loads(SEED)
    doc.set_args("worker", '--my-super-arg 42; echo "Done!"')
    doc.render()
    assert doc.data["resources"][0]["command"] == 'python my_script.py --my-super-arg 42; echo "Done!"'


def test_render_is_idempotent_and_a_noop_without_args() -> None:
    assert taskpatch.patch_text(SEED, render=True) == SEED
    once = taskpatch.patch_text(SEED, args=["worker.lr=0.1"], render=True)
    assert taskpatch.patch_text(once, render=True) == once


@pytest.mark.parametrize("value,word", [("val", "val"), ("a b", "'a b'"), ("$DATA/x", "$DATA/x"),
                                        ("$DATA dir", '"$DATA dir"'), ("", "''"), ("x;y", "'x;y'"),
                                        ('say "hi" $X', '"say \\"hi\\" $X"')])
def test_shell_words(value: str, word: str) -> None:
    assert shell_word(value) == word


def test_serving_style() -> None:
    text = "resources:\n- name: s\n  command: kserving --driver tf\n  args: {port: 9000, model: m}\n"
    doc = taskpatch.loads(text)
    doc.render("serving")
    assert doc.data["resources"][0]["command"] == "kserving --driver tf --model=m --port=9000"


def test_args_that_cannot_be_split_are_a_clear_error() -> None:
    text = "resources:\n- name: w\n  command: [python]\n  args: --x 'open\n"
    with pytest.raises(taskpatch.ValueTypeError, match="cannot be split"):
        taskpatch.patch_text(text, render=True)


# -- differential against python-mlboardclient 1.2.0 ------------------------

try:
    from mlboardclient.api.v2.servings import ServingManager
    from mlboardclient.api.v2.tasks import TaskManager
except ImportError:  # pragma: no cover
    if os.environ.get("CI"):
        raise
    TaskManager = ServingManager = None

needs_upstream = pytest.mark.skipif(TaskManager is None, reason="python-mlboardclient 1.2.0 is not installed")

WORD = st.from_regex(r"[a-z][a-z0-9_-]{0,6}", fullmatch=True).filter(
    lambda w: w not in {"y", "n", "yes", "no", "on", "off", "true", "false", "null"})
VALUE = st.one_of(WORD, st.integers(0, 10**6), st.booleans(), st.floats(0.01, 100).map(lambda f: round(f, 2)))
ARGS = st.one_of(
    st.dictionaries(WORD, VALUE, min_size=1, max_size=4).map(lambda d: dict(sorted(d.items()))),
    st.lists(st.one_of(WORD, st.from_regex(r"--[a-z]{1,5}", fullmatch=True)), min_size=1, max_size=4).map(" ".join),
)


@needs_upstream
@given(st.lists(st.tuples(WORD, ARGS), min_size=1, max_size=3, unique_by=lambda t: t[0]), st.booleans())
def test_task_render_agrees_with_upstream(resources: list[tuple[str, Any]], flow: bool) -> None:
    config = {"resources": [{"name": name, "command": "python run.py", "args": args} for name, args in resources]}
    theirs = copy.deepcopy(config)
    TaskManager._preprocess_config(theirs)
    text = yaml.safe_dump(config, default_flow_style=flow, sort_keys=False)
    assert yaml.safe_load(taskpatch.patch_text(text, render=True))["resources"] == theirs["resources"]


@needs_upstream
@given(ARGS)
def test_serving_render_agrees_with_upstream(args: Any) -> None:
    entry = {"name": "serv", "command": "kserving --driver tensorflow", "args": args}
    theirs = copy.deepcopy(entry)
    ServingManager._preprocess_config(theirs)
    doc = taskpatch.loads(yaml.safe_dump(entry, sort_keys=False), resources="$")
    doc.render("serving")
    assert doc.data == theirs


# -- the documented divergences ----------------------------------------------

@needs_upstream
def test_divergence_missing_command_has_no_leading_space() -> None:
    config = {"resources": [{"name": "w", "args": {"x": 1}}]}
    theirs = copy.deepcopy(config)
    TaskManager._preprocess_config(theirs)
    assert theirs["resources"][0]["command"] == " --x 1"
    assert yaml.safe_load(taskpatch.patch_text(yaml.safe_dump(config), render=True))["resources"][0]["command"] \
        == "--x 1"


@needs_upstream
def test_divergence_values_are_shell_quoted_and_keys_sorted() -> None:
    config = {"resources": [{"name": "w", "command": "run", "args": {"z": "a b", "a": 1}}]}
    theirs = copy.deepcopy(config)
    TaskManager._preprocess_config(theirs)
    assert theirs["resources"][0]["command"] == "run --z a b --a 1"
    ours = yaml.safe_load(taskpatch.patch_text(yaml.safe_dump(config, sort_keys=False), render=True))
    assert ours["resources"][0]["command"] == "run --a 1 --z 'a b'"


@needs_upstream
def test_divergence_sequence_args_are_appended_not_dropped() -> None:
    config = {"resources": [{"name": "w", "command": "run", "args": ["--x", "1"]}]}
    theirs = copy.deepcopy(config)
    TaskManager._preprocess_config(theirs)
    assert theirs["resources"][0] == {"name": "w", "command": "run"}  # upstream drops them
    ours = yaml.safe_load(taskpatch.patch_text(yaml.safe_dump(config), render=True))
    assert ours["resources"][0] == {"name": "w", "command": "run --x 1"}


@needs_upstream
def test_divergence_block_command_keeps_its_last_line() -> None:
    text = "resources:\n- name: w\n  command: |\n    cd /src\n    python run.py\n  args: --x 1\n"
    theirs = yaml.safe_load(text)
    TaskManager._preprocess_config(theirs)
    assert theirs["resources"][0]["command"] == "cd /src\npython run.py\n --x 1"  # a new shell line
    ours = yaml.safe_load(taskpatch.patch_text(text, render=True))
    assert ours["resources"][0]["command"] == "cd /src\npython run.py --x 1\n"


# -- depth: walking nested args is recursive, so the index bounds it ---------

def test_args_nested_to_the_limit_render_and_plan() -> None:
    """The resource is 3 levels down, its args 97 more: 100, the most the index reads."""
    text = "resources:\n- name: w\n  command: run\n  args: " + "{a: " * 97 + "1" + "}" * 97 + "\n"
    doc = taskpatch.loads(text)
    plan = doc.render()
    command = doc.data["resources"][0]["command"]
    assert command.startswith("run --a '{'\"'\"'a'\"'\"': {") and command.count("{") == 96
    assert [op.action for op in plan.operations] == ["render", "delete"]


def test_args_nested_past_the_limit_are_a_positioned_error() -> None:
    text = "resources:\n- name: w\n  command: run\n  args: " + "[" * 500 + "]" * 500 + "\n"
    with pytest.raises(taskpatch.YamlSyntaxError, match="nested more than 100") as caught:
        taskpatch.patch_text(text, render=True)
    assert (caught.value.line, caught.value.column) == (4, 106)


# -- a command ending in a line break: the flags join its last line ----------

@pytest.mark.parametrize("command", ['"python x.py\\n"', "'python x.py\n\n    '", "|\n    python x.py\n"])
def test_flags_join_the_last_line_of_a_command_ending_in_a_line_break(command: str) -> None:
    text = f"resources:\n- name: w\n  command: {command}\n  args: {{x: 1}}\n"
    once = taskpatch.patch_text(text, render=True)
    assert yaml.safe_load(once)["resources"][0] == {"name": "w", "command": "python x.py --x 1\n"}
    assert taskpatch.patch_text(once, render=True) == once


def test_args_added_to_a_string_ending_in_a_line_break_join_its_last_line() -> None:
    for args in ('"--x 1\\n"', "|\n    --x 1\n"):
        text = f"resources:\n- name: w\n  command: run\n  args: {args}\n"
        out = taskpatch.patch_text(text, args=["w.y=2"])
        assert yaml.safe_load(out)["resources"][0]["args"] == "--x 1 --y 2\n"
        assert yaml.safe_load(taskpatch.patch_text(out, render=True))["resources"][0]["command"] == "run --x 1 --y 2\n"


def test_a_templated_quoted_command_ending_in_a_line_break_is_refused_not_masked() -> None:
    text = 'resources:\n- name: w\n  command: "python {{ .x }}.py\\n"\n  args: {x: 1}\n'
    with pytest.raises(taskpatch.ValueTypeError, match="template markup") as caught:
        taskpatch.patch_text(text, render=True)
    assert (caught.value.line, caught.value.column) == (3, 12)


# -- numbers and booleans as args: folded as the seed's '%s' % v writes them --

@pytest.mark.parametrize("args,word", [("5", "5"), ("true", "True"), ("1.5", "1.5"), ("-.inf", "-inf"),
                                       ("0x1f", "31")])
def test_scalar_args_fold_as_one_word(args: str, word: str) -> None:
    for command, folded in (("run", f"run {word}"), ("[run]", ["run", word]), (None, word)):
        text = "resources:\n- name: w\n" + (f"  command: {command}\n" if command else "") + f"  args: {args}\n"
        assert yaml.safe_load(taskpatch.patch_text(text, render=True))["resources"][0] == {
            "name": "w", "command": folded}


@needs_upstream
def test_divergence_scalar_args_are_folded_not_dropped() -> None:
    config = {"resources": [{"name": "w", "command": "run", "args": 5}]}
    theirs = copy.deepcopy(config)
    TaskManager._preprocess_config(theirs)
    assert theirs["resources"][0] == {"name": "w", "command": "run"}  # upstream drops them
    assert yaml.safe_load(taskpatch.patch_text(yaml.safe_dump(config), render=True))["resources"][0] == {
        "name": "w", "command": "run 5"}


def test_falsy_scalar_args_are_left_alone_as_upstream() -> None:
    for args in ("0", "false", "0.0", "''"):
        text = f"resources:\n- name: w\n  command: run\n  args: {args}\n"
        assert taskpatch.patch_text(text, render=True) == text


# -- $VAR stays live the same way, whatever the shape of args ---------------

def _shell_argv(command: str, env: dict[str, str]) -> list[str]:
    """The argv a shell gives ``command`` (its first word replaced by a printer)."""
    proc = subprocess.run(["sh", "-c", "printf '%s|' " + command.split(" ", 1)[1]], env=env, capture_output=True,
                          text=True, check=True)
    return proc.stdout.split("|")[:-1]


@pytest.mark.parametrize("value", ["$A", "$A b", "${A}/x y", "it's $A", 'say "hi" $A', "$(echo $A)", "a;b"])
def test_dollar_stays_live_alike_for_string_mapping_and_list_args(value: str) -> None:
    starts = {"string": "args: --y 1", "mapping": "args: {y: 1}", "list": "args: [--y, '1']"}
    commands = {}
    for shape, args in starts.items():
        text = f"resources:\n- name: w\n  command: run\n  {args}\n"
        commands[shape] = yaml.safe_load(taskpatch.patch_text(text, args=[f"w.x={value}"], render=True))[
            "resources"][0]["command"]
    argv = {shape: sorted(_shell_argv(command, {"A": "1"})) for shape, command in commands.items()}
    expected = sorted(["--y", "1", "--x", value.replace("${A}", "1").replace("$(echo $A)", "1").replace("$A", "1")])
    assert argv == {"string": expected, "mapping": expected, "list": expected}, commands


# -- count fields are resource fields, not args keys -------------------------

def test_an_args_key_named_like_a_count_field_is_an_ordinary_value() -> None:
    text = "resources:\n- name: w\n  command: run\n  port: 1\n  ports: [{port: 2}]\n  args: {a: 1}\n"
    out = taskpatch.patch_text(text, args=["w.port=abc", "w.replicas=x", "w.minAvailable=-1"])
    assert yaml.safe_load(out)["resources"][0]["args"] == {"a": 1, "port": "abc", "replicas": "x",
                                                           "minAvailable": -1}
    for spec in ("w.port=abc", "w.ports[0].port=abc", "w.resources.accelerators.gpu=-1"):
        with pytest.raises(taskpatch.ValueTypeError, match="is a count"):
            taskpatch.patch_text(text, overrides=[spec])
    assert yaml.safe_load(taskpatch.patch_text(text, overrides=["w.volumes.data.replicas=x"]))["resources"][0][
        "volumes"] == {"data": {"replicas": "x"}}

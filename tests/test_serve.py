"""``serve``: the serving config for a task, from the MLApp's spec.serving."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import taskpatch
from taskpatch.cli import main

ROOT = Path(__file__).resolve().parent.parent
MLAPP = (ROOT / "examples" / "mlapp.yaml").read_text()
CORPUS = ROOT.parent / "shared" / "corpus" / "kuberlab"

SERVING_WITH_ARGS = """kind: MLApp
spec:
  tasks:
  - name: model
    resources:
    - name: worker
  serving:
  - name: serv   # the TF serving entry
    taskName: other
    command: >-
      kserving --driver tensorflow
      --model-path ${checkpoint_path}
    args:
      port: 9000
      batch: true
  - {name: flow, command: run $model_path}
"""


def test_binds_variables_as_env_and_sets_task_and_build() -> None:
    doc = taskpatch.serve(MLAPP, serving="serv", task="model", build="3", variables={"model_path": "/m/1"})
    assert doc.text == (
        "name: serv\n"
        "taskName: model\n"
        "command: kserving --driver tensorflow --model-path $model_path\n"
        "build: '3'\n"
        "env:\n"
        "- name: model_path\n"
        "  value: /m/1\n"
    )
    assert doc.warnings == []


def test_expand_substitutes_into_the_command_keeping_its_style() -> None:
    """Only the references change: the folded command keeps its lines."""
    doc = taskpatch.serve(SERVING_WITH_ARGS, serving="serv", task="model", variables={"checkpoint_path": "/c 1"},
                          expand=True)
    assert doc.text == (
        "name: serv   # the TF serving entry\n"
        "taskName: model\n"
        "command: >-\n"
        "  kserving --driver tensorflow\n"
        "  --model-path '/c 1' --batch=True --port=9000\n"
    )
    assert doc.data["command"] == "kserving --driver tensorflow --model-path '/c 1' --batch=True --port=9000"


def test_args_fold_as_key_equals_value() -> None:
    doc = taskpatch.serve(SERVING_WITH_ARGS, serving="serv", task="model", variables={"checkpoint_path": "/c"})
    assert doc.data["command"] == "kserving --driver tensorflow --model-path ${checkpoint_path} --batch=True --port=9000"
    assert doc.data["env"] == [{"name": "checkpoint_path", "value": "/c"}]
    assert "args" not in doc.data


def test_flow_entry() -> None:
    doc = taskpatch.serve(SERVING_WITH_ARGS, serving="flow", task="model", variables={"model_path": "/m"})
    assert doc.data == {"name": "flow", "command": "run $model_path", "taskName": "model",
                        "env": [{"name": "model_path", "value": "/m"}]}


def test_expand_keeps_template_markup_and_escapes_per_style() -> None:
    text = ('kind: MLApp\nspec:\n  tasks: [{name: t}]\n  serving:\n  - name: s\n'
            '    command: "serve --port {{ .port }} --model \'$model_path\'"\n')
    doc = taskpatch.serve(text, serving="s", task="t", variables={"model_path": "/m/it's"}, expand=True)
    # shell-quoted ('/m/it'"'"'s'), then escaped for the double-quoted YAML scalar
    assert "command: \"serve --port {{ .port }} --model ''/m/it'\\\"'\\\"'s''\"\n" in doc.text


@pytest.mark.parametrize("command,variable", [("run $model_path", "model_path"),
                                              ("run ${checkpoint_path}/x", "checkpoint_path")])
def test_missing_variable_is_an_error(command: str, variable: str) -> None:
    text = f"kind: MLApp\nspec:\n  tasks: [{{name: t}}]\n  serving:\n  - name: s\n    command: {command}\n"
    with pytest.raises(taskpatch.MissingVariableError, match=re.escape(f"${variable}")) as caught:
        taskpatch.serve(text, serving="s", task="t")
    assert (caught.value.line, caught.value.column) == (6, 14)


def test_unused_variable_warns_with_the_seed_note() -> None:
    text = "kind: MLApp\nspec:\n  tasks: [{name: t}]\n  serving:\n  - name: s\n    command: run /fixed\n"
    doc = taskpatch.serve(text, serving="s", task="t", variables={"model_path": "/m"})
    assert len(doc.warnings) == 1 and "must use the variable" in doc.warnings[0]


@pytest.mark.parametrize("kwargs,error,message", [
    ({"serving": "srv", "task": "model"}, taskpatch.SelectorError, "did you mean 'serv'"),
    ({"serving": "serv", "task": "modl"}, taskpatch.SelectorError, "did you mean 'model'"),
])
def test_unknown_names(kwargs: dict, error: type, message: str) -> None:
    with pytest.raises(error, match=message):
        taskpatch.serve(MLAPP, **kwargs)


def test_not_an_mlapp() -> None:
    with pytest.raises(taskpatch.NotATaskConfigError, match="MLApp"):
        taskpatch.serve("resources: []\n", serving="s", task="t")


def test_cli(tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    info = tmp_path / "info.json"
    assert main(["info", "set", str(info), "model_path=/m/1", "accuracy=0.9"]) == 0
    out = tmp_path / "serving.yaml"
    config = str(ROOT / "examples" / "mlapp.yaml")
    assert main(["serve", config, "--serving", "serv", "--task", "model", "--info", str(info), "-O", str(out)]) == 0
    assert "accuracy" not in out.read_text() and "value: /m/1" in out.read_text()
    assert main(["serve", config, "--serving", "serv", "--task", "model"]) == 2
    err = capfd.readouterr().err
    assert err.count("\n") == 1 and re.match(r".*mlapp\.yaml:\d+:\d+: serving error: .*\$model_path", err)


SERVING_FILES = sorted(p for p in CORPUS.glob("*.yaml")
                       if re.search(r"\$\{?(model_path|checkpoint_path)", p.read_text()) and "serving:" in p.read_text()
                       ) if CORPUS.is_dir() else []


@pytest.mark.skipif(not SERVING_FILES, reason="../shared/corpus is not present")
@pytest.mark.parametrize("path", SERVING_FILES, ids=lambda p: p.name)
def test_corpus_mlapps_using_the_variables(path: Path) -> None:
    """Each either serves (its first serving entry, for its first task) with the
    variables bound, or is refused with one clean error (Go templates the
    core cannot parse yet)."""
    text = path.read_text()
    try:
        index = taskpatch.loads(text).index()
    except taskpatch.YamlSyntaxError as exc:
        assert exc.line is not None and "\n" not in str(exc)
        return
    root = index.roots[0]
    spec = root.get("spec")
    serving = spec.get("serving").items[0].scalar_value("name")
    tasks = spec.get("tasks")
    variables = {"model_path": "/models/1", "checkpoint_path": "/ckpt/1"}
    if tasks is None or not getattr(tasks, "items", None):
        with pytest.raises(taskpatch.NotATaskConfigError, match="no spec.tasks"):
            taskpatch.serve(text, serving=serving, task="any", variables=variables)
        return
    task = tasks.items[0].scalar_value("name")
    doc = taskpatch.serve(text, serving=serving, task=task, build="1", variables=variables)
    data = doc.data
    assert data["name"] == serving and data["taskName"] == task and data["build"] == "1"
    assert {e["name"]: e["value"] for e in data["env"]}.items() >= variables.items()
    with pytest.raises(taskpatch.MissingVariableError):
        taskpatch.serve(text, serving=serving, task=task)

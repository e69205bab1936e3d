"""``taskpatch validate``: one table row per rule (valid and invalid values,
the position and the did-you-mean), unknown keys, templates, the CLI,
``apply --validate``, ``validate: true`` targets, and start-up cost."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import taskpatch
from taskpatch.cli import main
from taskpatch.spec_parser import ENV_NAME_RE

ROOT = Path(__file__).resolve().parent.parent

# One resource; FIELD is replaced by a line (at 4 spaces under `resources:`
# of the resource, or as the rows say) so that each row checks one value.
TASK = """\
resources:
- name: worker
  command: python train.py
{line}
"""

QUANTITY = "is not a Kubernetes quantity (a number, optionally with a suffix: 100m, 0.5, 2, 64Mi, 1G, 1e3)"

# (the line added to the resource, the message or None when valid). The
# value's column is where the value starts on that line.
ROWS = [
    # Kubernetes quantities: cpu and memory, in requests and limits
    ("  resources: {requests: {cpu: 100m}}", None),
    ("  resources: {requests: {cpu: 0.5}}", None),
    ("  resources: {requests: {cpu: 2}}", None),
    ("  resources: {requests: {memory: 64Mi}}", None),
    ("  resources: {limits: {memory: 1G}}", None),
    ("  resources: {limits: {memory: 1e3}}", None),
    ("  resources: {limits: {memory: '+.5Ki'}}", None),
    ("  resources: {limits: {nvidia.com/gpu: 1}}", None),
    ("  resources: {requests: {memory: 1GB}}", f"'1GB' {QUANTITY}; did you mean '1G' or '1Gi'?"),
    ("  resources: {requests: {memory: 100mi}}", f"'100mi' {QUANTITY}; did you mean '100Mi'?"),
    ("  resources: {requests: {cpu: 100mi}}", f"'100mi' {QUANTITY}; did you mean '100m'?"),
    ("  resources: {requests: {cpu: 100mm}}", f"'100mm' {QUANTITY}; did you mean '100m'?"),
    ("  resources: {limits: {memory: 2gb}}", f"'2gb' {QUANTITY}; did you mean '2G' or '2Gi'?"),
    ("  resources: {limits: {memory: 512MiB}}", f"'512MiB' {QUANTITY}; did you mean '512Mi'?"),
    ("  resources: {limits: {memory: '1 Gi'}}", f"'1 Gi' {QUANTITY}; did you mean '1Gi'?"),
    ("  resources: {limits: {memory: 1K}}", f"'1K' {QUANTITY}; did you mean '1k' or '1Ki'?"),
    ("  resources: {limits: {cpu: -1}}", f"-1 {QUANTITY}"),
    ("  resources: {limits: {cpu: lots}}", f"'lots' {QUANTITY}"),
    ("  resources: {limits: {cpu: true}}", f"true {QUANTITY}"),
    # restartPolicy
    ("  restartPolicy: OnFailure", None),
    ("  restartPolicy: Never", None),
    ("  restartPolicy: never", "'never' is not a restart policy (Always, OnFailure or Never); did you mean 'Never'?"),
    ("  restartPolicy: OnFail",
     "'OnFail' is not a restart policy (Always, OnFailure or Never); did you mean 'OnFailure'?"),
    # counts: non-negative integers
    ("  replicas: 0", None),
    ("  replicas: 3", None),
    ("  replicas: -1", "-1 is not a non-negative integer"),
    ("  replicas: three", "'three' is not a non-negative integer"),
    ("  replicas: '2'", "'2' is not a non-negative integer"),
    ("  maxRestartCount: 1.5", "1.5 is not a non-negative integer"),
    ("  minAvailable: null", "null is not a non-negative integer"),
    ("  resources: {accelerators: {gpu: 1}}", None),
    ("  resources: {accelerators: {gpu: two}}", "'two' is not a non-negative integer"),
    ("  resources: {accelerators: {gpu: -2}}", "-2 is not a non-negative integer"),
    # ports: 1-65535
    ("  port: 2222", None),
    ("  port: 0", "0 is not a port number (an integer from 1 to 65535)"),
    ("  port: 65536", "65536 is not a port number (an integer from 1 to 65535)"),
    ("  ports: [{port: 65535, targetPort: 1, protocol: TCP}]", None),
    ("  ports: [{port: 8888, targetPort: 70000}]", "70000 is not a port number (an integer from 1 to 65535)"),
    ("  ports: [{port: 80, protocol: tcp}]", "'tcp' is not a protocol (TCP, UDP or SCTP); did you mean 'TCP'?"),
    # env entries: a name by the README's rule, and value or valueFrom
    ("  env: [{name: MY_VAR, value: x}]", None),
    ("  env: [{name: my.var-2, value: ''}]", None),
    ("  env: [{name: POD, valueFrom: {fieldRef: {fieldPath: metadata.name}}}]", None),
    ("  env: [{name: 2VAR, value: x}]",
     "'2VAR' is not an env name (letters, digits, _, - and ., not starting with a digit); did you mean '_2VAR'?"),
    ("  env: [{name: MY VAR, value: x}]",
     "'MY VAR' is not an env name (letters, digits, _, - and ., not starting with a digit); did you mean 'MY_VAR'?"),
    ("  env: [{name: X}]", "needs 'value' or 'valueFrom'"),
    ("  env: [{name: X, value: a, valueFrom: {fieldRef: {}}}]", "has both 'value' and 'valueFrom'; give one of them"),
    ("  env: [{value: a}]", "missing key 'name'"),
    ("  env: [{name: X, value: 3}]", "3 is not an env value (a string: quote numbers and booleans)"),
    ("  env: [{name: X, valueFrom: {}}]",
     "a mapping is not an env source (configMapKeyRef, fieldRef, resourceFieldRef or secretKeyRef)"),
    # image strings
    ("  images: {cpu: 'kuberlab/tensorflow:cpu-36-1.9.0-full', gpu: ''}", None),
    ("  images: {cpu: 'registry.example.com:5000/team/img@sha256:"
     "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef'}", None),
    ("  images: {cpu: 'Kuberlab/TensorFlow:1.9'}",
     "'Kuberlab/TensorFlow:1.9' is not an image reference ([registry/]repository[:tag][@digest], the repository in "
     "lowercase, no spaces); did you mean 'kuberlab/tensorflow:1.9'?"),
    ("  images: {cpu: 'kuberlab/tf: 1.9'}",
     "'kuberlab/tf: 1.9' is not an image reference ([registry/]repository[:tag][@digest], the repository in "
     "lowercase, no spaces); did you mean 'kuberlab/tf:1.9'?"),
    ("  images: {cpu: 'img:bad tag!'}",
     "'img:bad tag!' is not an image reference ([registry/]repository[:tag][@digest], the repository in "
     "lowercase, no spaces)"),
    # types of other known fields
    ("  workdir: $SRC_DIR", None),
    ("  allowFail: yes", "expected a boolean, got 'yes'"),
]


def _points_at(message: str) -> str:
    """The text a row's finding must point at: the offending value, or the entry it is about."""
    if message.startswith(("needs", "has both", "missing")):
        return "{"
    if message.startswith("a mapping"):
        return "{}"
    if message.startswith("expected"):
        return message.rsplit("got ", 1)[1].strip("'")
    return message.split(" is not ")[0].strip("'")


@pytest.mark.parametrize(("line", "message"), ROWS, ids=[r[0].strip()[:60] for r in ROWS])
def test_rule_table(line: str, message: str | None) -> None:
    findings = taskpatch.validate(TASK.format(line=line), file="t.yaml")
    if message is None:
        assert findings == []
        return
    assert [f.message for f in findings] == [message]
    (finding,) = findings
    assert (finding.file, finding.line) == ("t.yaml", 4)
    at = line[finding.column - 1:]
    assert at.startswith((_points_at(message), "'" + _points_at(message))), (at, message)


def test_env_name_rule_is_the_spec_grammars() -> None:
    schema = json.loads((ROOT / "taskpatch" / "schemas" / "common.json").read_text())
    pattern = schema["$defs"]["envName"]["pattern"]
    assert pattern.strip("^$") == ENV_NAME_RE.pattern.removesuffix("\\Z")


def test_paths_and_positions_in_an_mlapp() -> None:
    text = ("kind: MLApp\nmetadata:\n  name: x\n  labels: {kuberlab.io/job: '1'}\nspec:\n  tasks:\n  - name: t\n"
            "    resources:\n    - name: w\n      replicas: x\n  uix:\n  - name: j\n    ports:\n    - port: 0\n")
    found = [(f.line, f.column, f.path) for f in taskpatch.validate(text)]
    assert found == [(10, 17, "$.spec.tasks[0].resources[0].replicas"), (14, 13, "$.spec.uix[0].ports[0].port")]


def test_unknown_keys_near_misses_and_strict() -> None:
    text = TASK.format(line="  replcas: 1\n  resources:\n    requets: {cpu: 1}\n  my_flag: 1")
    near = taskpatch.validate(text, file="t.yaml")
    assert [str(f) for f in near] == [
        "t.yaml:4:3: validation error: $.resources[0].replcas: unknown key 'replcas' in a Kuberlab resource; "
        "did you mean 'replicas'?",
        "t.yaml:6:5: validation error: $.resources[0].resources.requets: unknown key 'requets' in compute "
        "resources (requests, limits, accelerators); did you mean 'requests'?",
    ]
    assert not any(f.strict for f in near)
    strict = taskpatch.validate(text, file="t.yaml", strict=True)
    assert strict[:2] == near
    assert [(str(f), f.strict) for f in strict[2:]] == [
        ("t.yaml:7:3: validation error: $.resources[0].my_flag: unknown key 'my_flag' in a Kuberlab resource", True)]


def test_template_markup_is_never_flagged_but_the_rest_is() -> None:
    text = (
        "resources:\n- name: worker\n  replicas: {{ .replicas }}\n  port: {{ .port }}\n"
        "  images:\n    cpu: \"kuberlab/tf:{{ .version }}-full\"\n"
        "  {{ .extra_key }}: 1\n"
        "  resources:\n    requests:\n      memory: {{ .mem }}Gi\n      cpu: 100mm\n"
        "  {{- if .gpu }}\n  restartPolicy: never\n  {{- else }}\n  restartPolicy: sometimes\n  {{- end }}\n"
    )
    found = [(f.line, f.column, f.message.split(";")[0]) for f in taskpatch.validate(text)]
    # Both branches of the {{ if }} are checked, each at its own line.
    assert found == [
        (11, 12, f"'100mm' {QUANTITY}"),
        (13, 18, "'never' is not a restart policy (Always, OnFailure or Never)"),
        (15, 18, "'sometimes' is not a restart policy (Always, OnFailure or Never)"),
    ]


def test_anchored_values_are_reported_where_they_are_written() -> None:
    text = "x: &res {requests: {memory: 1GB}}\nresources:\n- name: a\n  resources: *res\n- name: b\n  resources: *res\n"
    assert [(f.line, f.column) for f in taskpatch.validate(text)] == [(1, 29)]


def test_containers_found_by_resources() -> None:
    text = ("kind: Deployment\nspec:\n  template:\n    spec:\n      containers:\n      - name: app\n"
            "        image: Nginx:1.25\n        imagPullPolicy: Always\n        ports:\n        - containerPort: 0\n"
            "        resources:\n          limits: {memory: 1GB}\n        env:\n        - {name: A}\n")
    found = taskpatch.validate(text, resources="$.spec.template.spec.containers")
    assert [(f.line, f.column, f.path) for f in found] == [
        (7, 16, "$.spec.template.spec.containers[0].image"),
        (8, 9, "$.spec.template.spec.containers[0].imagPullPolicy"),
        (10, 26, "$.spec.template.spec.containers[0].ports[0].containerPort"),
        (12, 28, "$.spec.template.spec.containers[0].resources.limits.memory"),
        (14, 11, "$.spec.template.spec.containers[0].env[0]"),
    ]
    assert "did you mean 'imagePullPolicy'?" in found[1].message
    assert "did you mean 'nginx:1.25'?" in found[0].message


def test_task_picks_the_resources_to_check() -> None:
    text = ("kind: MLApp\nspec:\n  tasks:\n  - name: a\n    resources:\n    - {name: w, replicas: x}\n"
            "  - name: b\n    resources:\n    - {name: w, replicas: y}\n")
    assert [f.path for f in taskpatch.validate(text)] == ["$.spec.tasks[0].resources[0].replicas",
                                                          "$.spec.tasks[1].resources[0].replicas"]
    assert [f.path for f in taskpatch.validate(text, task="b")] == ["$.spec.tasks[1].resources[0].replicas"]


def test_files_with_nothing_to_check_are_the_usual_errors() -> None:
    with pytest.raises(taskpatch.NotATaskConfigError, match="task form"):
        taskpatch.validate("- name: x\n  type: int\n")
    with pytest.raises(taskpatch.YamlSyntaxError) as caught:
        taskpatch.validate("resources:\n- name x\n  replicas: 1\n", file="b.yaml")
    assert str(caught.value).startswith("b.yaml:3:")


def _cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_text_json_and_exit_codes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    good = tmp_path / "good.yaml"
    good.write_text(TASK.format(line="  replicas: 1"))
    bad = tmp_path / "bad.yaml"
    bad.write_text(TASK.format(line="  replicas: -1\n  restartPolicy: Nevr"))
    broken = tmp_path / "broken.yaml"
    broken.write_text("resources:\n- name x\n  replicas: 1\n")
    assert _cli(capsys, "validate", str(good)) == (0, "", "")
    code, out, err = _cli(capsys, "validate", str(bad), str(broken), str(good))
    assert code == 2
    assert out.splitlines() == [
        f"{bad}:4:13: validation error: $.resources[0].replicas: -1 is not a non-negative integer",
        f"{bad}:5:18: validation error: $.resources[0].restartPolicy: 'Nevr' is not a restart policy (Always, "
        "OnFailure or Never); did you mean 'Never'?",
    ]
    assert err.startswith(f"{broken}:3:") and "YAML error" in err and len(err.splitlines()) == 1
    code, out, _ = _cli(capsys, "validate", "--format", "json", str(bad))
    assert code == 2
    assert json.loads(out)[0] == {"file": str(bad), "line": 4, "column": 13, "path": "$.resources[0].replicas",
                                  "message": "-1 is not a non-negative integer", "strict": False}
    strict_file = tmp_path / "strict.yaml"
    strict_file.write_text(TASK.format(line="  my_flag: 1"))
    assert _cli(capsys, "validate", str(strict_file))[0] == 0
    assert _cli(capsys, "validate", "--strict", str(strict_file))[0] == 2


def test_apply_validate_checks_the_patched_text_and_writes_nothing(tmp_path: Path,
                                                                     capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "task.yaml"
    original = TASK.format(line="  replicas: 1")
    config.write_text(original)
    code, out, err = _cli(capsys, "apply", str(config), "-i", "--validate", "-s", "worker.replicas=2",
                          "-s", "worker.resources.limits.memory=1GB", "-s", "+worker.replcas=3")
    assert code == 2 and out == ""
    # At their lines in the patched text (what would have been written): `+` made the
    # near miss on purpose, and validation still finds it.
    assert err.splitlines() == [
        f"{config}:7:15: validation error: $.resources[0].resources.limits.memory: '1GB' {QUANTITY}; "
        "did you mean '1G' or '1Gi'?",
        f"{config}:8:3: validation error: $.resources[0].replcas: unknown key 'replcas' in a Kuberlab resource; "
        "did you mean 'replicas'?",
    ]
    assert config.read_text() == original
    assert _cli(capsys, "apply", str(config), "-i", "--validate", "-s", "worker.replicas=2")[0] == 0
    assert "replicas: 2" in config.read_text()
    # Without --validate, apply is as before.
    assert _cli(capsys, "apply", str(config), "-s", "worker.restartPolicy=never")[0] == 0


def test_build_target_validate(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                               monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "task.yaml").write_text(TASK.format(line="  replicas: 1"))
    (tmp_path / "taskpatch.yaml").write_text(
        "targets:\n  - source: task.yaml\n    output: out.yaml\n    set: ['worker.restartPolicy=never']\n"
        "    validate: true\n")
    monkeypatch.chdir(tmp_path)
    code, _, err = _cli(capsys, "build")
    assert code == 2 and not (tmp_path / "out.yaml").exists()
    assert err.strip() == ("out.yaml:5:18: validation error: $.resources[0].restartPolicy: 'never' is not a restart "
                           "policy (Always, OnFailure or Never); did you mean 'Never'?")
    (tmp_path / "taskpatch.yaml").write_text(
        "targets:\n  - source: task.yaml\n    output: out.yaml\n    set: ['worker.restartPolicy=Never']\n"
        "    validate: yes\n")
    code, _, err = _cli(capsys, "build")
    assert code == 2 and "'validate' must be true or false" in err
    (tmp_path / "taskpatch.yaml").write_text(
        "targets:\n  - source: task.yaml\n    output: out.yaml\n    set: ['worker.restartPolicy=Never']\n"
        "    validate: true\n")
    assert _cli(capsys, "build")[0] == 1  # rewritten
    assert "restartPolicy: Never" in (tmp_path / "out.yaml").read_text()


def _imported(argv: list[str], cwd: Path) -> str:
    proc = subprocess.run([sys.executable, "-X", "importtime", "-m", "taskpatch", *argv], cwd=cwd,
                          capture_output=True, text=True, env={**os.environ, "TASKPATCH_NO_CACHE": "1"})
    return proc.stderr


def test_only_validating_runs_import_jsonschema(tmp_path: Path) -> None:
    config = tmp_path / "task.yaml"
    config.write_text(TASK.format(line="  replicas: 1"))
    assert "jsonschema" not in _imported(["apply", str(config), "-s", "worker.replicas=2"], tmp_path)
    assert "jsonschema" not in _imported(["plan", str(config), "-s", "worker.replicas=2"], tmp_path)
    assert "jsonschema" in _imported(["apply", str(config), "-s", "worker.replicas=2", "--validate"], tmp_path)
    assert "jsonschema" in _imported(["validate", str(config)], tmp_path)


@pytest.mark.parametrize("value", ["9" * 5000, "-" + "9" * 5000, "0x" + "f" * 4000, ".nan", "-.inf", "!!binary aGk=",
                                   "2024-01-01", "[1, {a: *x}]", "*x", "~"])
def test_odd_values_are_findings_or_valid_never_a_crash(value: str) -> None:
    text = f"x: &x 1\nresources:\n- name: w\n  replicas: {value}\n  port: {value}\n  resources: {{limits: {{cpu: {value}}}}}\n"
    for finding in taskpatch.validate(text):
        assert finding.line in (4, 5, 6) and len(finding.message) < 300
    # A huge count is a non-negative integer, but no port; a huge negative one is neither.
    if value.startswith("9"):
        assert [f.line for f in taskpatch.validate(text)] == [5]
    if value.startswith("-9"):
        assert [f.line for f in taskpatch.validate(text)] == [4, 5, 6]

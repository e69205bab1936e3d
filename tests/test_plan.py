"""``taskpatch plan``: the text table and the JSON, compared byte for byte."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from taskpatch.cli import main

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = Path(__file__).parent / "plan_golden"
SPECS = ["-e", "MY_VAR=MY-VAL", "-s", "*.resources.requests.cpu=1000m", "-s", "worker.replicas=3",
         "-a", "worker.batch-size=23", "-s", "~ps.command"]


@pytest.mark.parametrize("fmt,golden", [("text", "task.plan.txt"), ("json", "task.plan.json")])
def test_plan_output(fmt: str, golden: str, monkeypatch: pytest.MonkeyPatch,
                     capfd: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(ROOT)
    assert main(["plan", "examples/task.yaml", *SPECS, "--format", fmt]) == 0
    assert capfd.readouterr().out == (GOLDEN / golden).read_text()


def test_plan_json_is_machine_readable(monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(ROOT)
    main(["plan", "examples/task.yaml", *SPECS, "--format", "json"])
    payload = json.loads(capfd.readouterr().out)
    ops = {(op["resource"], op["path"]): op for op in payload["operations"]}
    assert ops["worker", "replicas"]["old"] == 1 and ops["worker", "replicas"]["new"] == 3
    assert ops["ps", "command"]["action"] == "delete"
    assert ops["ps", "resources.requests.cpu"]["action"] == "add"


def test_plan_writes_nothing(tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    source = tmp_path / "task.yaml"
    source.write_bytes((ROOT / "examples" / "task.yaml").read_bytes())
    main(["plan", str(source), *SPECS])
    assert source.read_bytes() == (ROOT / "examples" / "task.yaml").read_bytes()


def test_empty_plan_says_so(capfd: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    assert main(["plan", "examples/task.yaml", "-s", "worker.replicas=1"]) == 0
    out, err = capfd.readouterr()
    assert out == "" and "nothing to change" in err

"""Task info: ``update_task_info`` and ``taskpatch info set``."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

import taskpatch
from taskpatch.cli import main


def test_update_merges_and_creates(tmp_path: Path) -> None:
    path = tmp_path / "info.json"
    assert taskpatch.update_task_info({"model_path": "/m/1"}, str(path)) == {"model_path": "/m/1"}
    merged = taskpatch.update_task_info({"checkpoint_path": "/c", "model_path": "/m/2"}, str(path))
    assert merged == {"checkpoint_path": "/c", "model_path": "/m/2"}
    assert json.loads(path.read_text()) == merged


def test_failed_write_keeps_the_old_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "info.json"
    path.write_text('{"model_path": "/old"}\n')

    def broken_replace(src: str, dst: str) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(taskpatch.InputOutputError, match="No space left"):
        taskpatch.update_task_info({"model_path": "/new"}, str(path))
    assert path.read_text() == '{"model_path": "/old"}\n'
    assert sorted(os.listdir(tmp_path)) == ["info.json"]  # no temporary file left


@pytest.mark.parametrize("content,error,where", [
    ('{"a": 1,\n  oops}', taskpatch.InputOutputError, (2, 3)),
    ("[1, 2]", taskpatch.ValueTypeError, (1, 1)),
])
def test_bad_info_files(tmp_path: Path, content: str, error: type, where: tuple[int, int]) -> None:
    path = tmp_path / "info.json"
    path.write_text(content)
    with pytest.raises(error) as caught:
        taskpatch.update_task_info({"x": "1"}, str(path))
    assert (caught.value.line, caught.value.column) == where
    assert path.read_text() == content


def test_cli_info_set(tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "info.json"
    assert main(["info", "set", str(path), "model_path=/m/1=x", "checkpoint_path="]) == 0
    assert json.loads(path.read_text()) == {"model_path": "/m/1=x", "checkpoint_path": ""}
    assert main(["info", "set", str(path), "1bad=x"]) == 2
    assert main(["info", "set", str(path), "novalue"]) == 2
    err = capfd.readouterr().err.splitlines()
    assert len(err) == 2 and all("[spec info set" in line for line in err)

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
    ('{"a": "NaN", "b": NaN}', taskpatch.InputOutputError, (1, 19)),  # Python reads it; JSON has no NaN
    ('{"a":\n  -Infinity}', taskpatch.InputOutputError, (2, 3)),
    ('{"a": ' + "[" * 100 + "]" * 100 + "}", taskpatch.InputOutputError, (1, 106)),  # json's scanner recurses
    ('{"a": ' + "[" * 100_000 + "]" * 100_000 + "}", taskpatch.InputOutputError, (1, 106)),
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


def test_numbers_are_written_back_as_the_file_had_them(tmp_path: Path) -> None:
    """1e999 would come back as Infinity (not JSON), 1.50 as 1.5; an int
    over 4,300 digits would not come back at all (Python refuses it)."""
    huge = "9" * 5000
    path = tmp_path / "info.json"
    path.write_text(f'{{"m": {{"loss": 1.50, "big": 1e999, "n": {huge}}}, "l": [2.0E3, "NaN [{{"], "d": ' +
                    "[" * 99 + "]" * 99 + "}")
    merged = taskpatch.update_task_info({"model_path": "/m"}, str(path))
    text = path.read_text()
    assert text.startswith('{\n  "d": [\n    [\n') and text.count("[") == 99 + 2  # d, l and a string
    assert text.endswith(f'  "l": [\n    2.0E3,\n    "NaN [{{"\n  ],\n  "m": {{\n    "big": 1e999,\n    "loss": 1.50,\n'
                         f'    "n": {huge}\n  }},\n  "model_path": "/m"\n}}\n')
    assert merged["m"]["loss"] == 1.5 and merged["m"]["big"] == float("inf") and str(merged["m"]["big"]) == "1e999"
    assert merged["m"]["n"] == taskpatch.BigInt(huge)
    with pytest.raises(taskpatch.ValueTypeError, match="must be JSON"):
        taskpatch.update_task_info({"x": float("nan")}, str(path))
    assert path.read_text() == text

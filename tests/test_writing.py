"""The file-writing contract (issue 9, part 3): symlinks followed and kept,
streams written directly, mode and owner kept, read-only files refused,
concurrent ``-i`` runs never losing an update, stdout failures as one line,
and ``variants -d`` leaving exactly one run's files.

Tests that need what the OS may lack (FIFOs, /dev/full, mknod, flock) skip
cleanly; anything that could block (a FIFO, a lock) runs with a timeout so
that a regression fails instead of hanging CI.
"""

from __future__ import annotations

import json
import os
import select
import stat
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any, Callable

import pytest

import taskpatch
from taskpatch import files
from taskpatch.cli import main
from taskpatch.commands import apply as apply_command
from taskpatch.commands import variants as variants_command

ROOT = Path(__file__).resolve().parent.parent
TEXT = (ROOT / "examples" / "task.yaml").read_text()
EXPECTED = taskpatch.patch_text(TEXT, overrides=["worker.replicas=7"])
# Its output, and its diff for `-s w.command=go`, overflow a pipe's buffer (64 KiB on Linux).
BIG = "resources:\n- name: w\n  command: run  # " + "x" * 100_000 + "\n"
needs_fifo = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this OS")
needs_dev_full = pytest.mark.skipif(not os.path.exists("/dev/full"), reason="no /dev/full on this OS")
needs_flock = pytest.mark.skipif(sys.platform == "win32", reason="no flock on this OS")


def temp_files(folder: Path) -> list[str]:
    return [name for name in os.listdir(folder) if name.startswith(".taskpatch-")]


def cli(*args: str, **options: Any) -> subprocess.CompletedProcess[bytes]:
    """The installed command's path through ``run()`` (its own flush and exit)."""
    options.setdefault("stdout", subprocess.PIPE)
    options.setdefault("stderr", subprocess.PIPE)
    options.setdefault("timeout", 60)
    return subprocess.run([sys.executable, "-m", "taskpatch", *args], **options)


def one_line(err: str) -> str:
    assert err.count("\n") == 1 and "Traceback" not in err, err
    return err

# -- variants -d --------------------------------------------------------------------


def variants(config: Path, outdir: Path, values: str) -> int:
    return main(["variants", str(config), "--grid", f"worker.lr={values}", "-d", str(outdir)])


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = tmp_path / "task.yaml"
    path.write_text(TEXT)
    return path


def test_variants_rerun_with_fewer_leaves_exactly_the_new_set(tmp_path: Path, config: Path) -> None:
    out = tmp_path / "out"
    assert variants(config, out, "1,2,3,4") == 0
    (out / "notes.md").write_text("mine\n")  # not a variant: never touched
    assert variants(config, out, "5,6") == 0
    assert sorted(os.listdir(out)) == ["notes.md", "task-001.yaml", "task-002.yaml", "variants.json"]
    index = json.loads((out / "variants.json").read_text())
    assert index == [{"file": "task-001.yaml", "params": {"worker.lr": 5}},
                     {"file": "task-002.yaml", "params": {"worker.lr": 6}}]
    assert (out / "task-002.yaml").read_text() == taskpatch.patch_text(TEXT, args=["worker.lr=6"])


def test_variants_of_another_config_replace_the_earlier_ones(tmp_path: Path, config: Path) -> None:
    other = tmp_path / "other.yaml"
    other.write_text(TEXT)
    out = tmp_path / "out"
    assert variants(config, out, "1,2") == 0
    assert variants(other, out, "3") == 0
    assert sorted(os.listdir(out)) == ["other-001.yaml", "variants.json"]


def test_variants_refuse_unlisted_files_that_look_like_variants(tmp_path: Path, config: Path,
                                                                capfd: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "task-001.yaml").write_text("a copy made by hand\n")
    assert variants(config, out, "1,2") == 2
    err = one_line(capfd.readouterr().err)
    assert err.startswith(f"{out}: I/O error: holds files that look like variants") and "task-001.yaml" in err
    assert os.listdir(out) == ["task-001.yaml"] and (out / "task-001.yaml").read_text() == "a copy made by hand\n"


def test_a_hand_edited_index_cannot_delete_other_files(tmp_path: Path, config: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "notes.md").write_text("mine\n")
    index = [{"file": name, "params": {}} for name in ("../task.yaml", "notes.md", str(config), "gone-001.yaml")]
    (out / "variants.json").write_text(json.dumps(index))
    assert variants(config, out, "1") == 0
    assert config.read_text() == TEXT and (out / "notes.md").read_text() == "mine\n"
    assert sorted(os.listdir(out)) == ["notes.md", "task-001.yaml", "variants.json"]


@pytest.mark.parametrize("index,where", [("[\n  {\"file\": \n", ":3:1:"), ('{"file": "x"}', ":1:1:")],
                         ids=["not-json", "not-a-list"])
def test_variants_refuse_an_index_they_cannot_read(tmp_path: Path, config: Path, capfd: pytest.CaptureFixture[str],
                                                   index: str, where: str) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "variants.json").write_text(index)
    assert variants(config, out, "1") == 2
    assert f"{out / 'variants.json'}{where}" in one_line(capfd.readouterr().err)
    assert os.listdir(out) == ["variants.json"]


def test_an_interrupted_variants_run_is_cleaned_up_by_the_next(tmp_path: Path, config: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """variants.json lists every variant file the folder may hold at every
    moment, so a run that dies half way leaves nothing the next one refuses."""
    out = tmp_path / "out"
    assert variants(config, out, "1,2") == 0
    real_write = variants_command.write_atomic
    written: list[str] = []

    def dies_after_three_files(path: str, text: str, **kwargs: Any) -> None:
        if len([p for p in written if not p.endswith(".json")]) == 3 and not path.endswith(".json"):
            raise taskpatch.InputOutputError("cannot write: No space left on device", file=path)
        written.append(path)
        real_write(path, text, **kwargs)

    monkeypatch.setattr(variants_command, "write_atomic", dies_after_three_files)
    assert variants(config, out, "3,4,5,6") == 2
    # task-003.yaml is one no earlier index listed: only this run's own first index names it
    assert sorted(os.listdir(out)) == ["task-001.yaml", "task-002.yaml", "task-003.yaml", "variants.json"]
    monkeypatch.undo()
    assert variants(config, out, "7") == 0
    assert sorted(os.listdir(out)) == ["task-001.yaml", "variants.json"]

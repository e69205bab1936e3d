"""``taskpatch build`` and ``taskpatch.yaml``: validation, idempotence,
``--check``, atomic writes."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

import taskpatch
from taskpatch import files
from taskpatch.cli import main

ROOT = Path(__file__).resolve().parent.parent
SOURCE = (ROOT / "examples" / "task.yaml").read_text()
MANIFEST = """\
targets:
  - source: configs/task.yaml
    output: build/prod.yaml
    env: [MY_VAR=MY-VAL]
    set: ["*.resources.requests.cpu=1000m", worker.replicas=3]
    unset: [ps.command]
    args: [worker.batch-size=23]
    render: true
  - source: configs/task.yaml
    output: build/dev.yaml
    spec-file: specs/dev.tp
"""


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "configs").mkdir()
    (tmp_path / "configs" / "task.yaml").write_text(SOURCE)
    (tmp_path / "specs").mkdir()
    (tmp_path / "specs" / "dev.tp").write_text("set worker.replicas=1\nenv MODE=dev\n")
    (tmp_path / "taskpatch.yaml").write_text(MANIFEST)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_build_writes_then_is_idempotent(project: Path, capfd: pytest.CaptureFixture[str]) -> None:
    assert main(["build", "--check"]) == 1
    assert "missing: build/prod.yaml" in capfd.readouterr().err
    assert main(["build"]) == 1  # it had to write: a pre-commit hook fails, as a formatter's does
    assert "rewrote build/prod.yaml" in capfd.readouterr().err
    prod = (project / "build" / "prod.yaml").read_text()
    assert prod == taskpatch.patch_text(
        SOURCE, env=["MY_VAR=MY-VAL"], overrides=["*.resources.requests.cpu=1000m", "worker.replicas=3", "~ps.command"],
        args=["worker.batch-size=23"], render=True)
    stamp = os.stat(project / "build" / "prod.yaml").st_mtime_ns
    assert main(["build"]) == 0 and main(["build", "--check"]) == 0
    assert os.stat(project / "build" / "prod.yaml").st_mtime_ns == stamp  # a second build writes nothing
    assert capfd.readouterr().err == ""


def test_check_reports_stale_with_diff_and_writes_nothing(project: Path, capfd: pytest.CaptureFixture[str]) -> None:
    main(["build"])
    capfd.readouterr()
    (project / "specs" / "dev.tp").write_text("set worker.replicas=2\n")
    before = (project / "build" / "dev.yaml").read_bytes()
    assert main(["build", "--check", "--diff", "--color", "never"]) == 1
    out, err = capfd.readouterr()
    assert "stale: build/dev.yaml" in err and "prod.yaml" not in err
    assert "-  replicas: 1\n+  replicas: 2\n" in out
    assert (project / "build" / "dev.yaml").read_bytes() == before
    assert main(["build", "--exit-zero"]) == 0
    assert main(["build", "--check"]) == 0


def test_named_targets_and_jobs(project: Path, capfd: pytest.CaptureFixture[str]) -> None:
    assert main(["build", "build/dev.yaml"]) == 1
    assert not (project / "build" / "prod.yaml").exists()
    assert main(["build", "--jobs", "2"]) == 1
    assert (project / "build" / "prod.yaml").exists()
    assert main(["build", "nope.yaml"]) == 2
    assert "no target builds or reads nope.yaml" in capfd.readouterr().err


def test_found_from_a_subfolder(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(project / "specs")
    assert main(["build"]) == 1 and (project / "build" / "dev.yaml").exists()


def test_manifest_as_argument(project: Path, tmp_path_factory: pytest.TempPathFactory,
                              monkeypatch: pytest.MonkeyPatch) -> None:
    """DESIGN.md: `taskpatch build [--check] [--diff] [MANIFEST]`."""
    monkeypatch.chdir(tmp_path_factory.mktemp("elsewhere"))
    assert main(["build", "--check", str(project / "taskpatch.yaml")]) == 1
    assert main(["build", str(project / "taskpatch.yaml")]) == 1
    assert main(["build", "--check", str(project / "taskpatch.yaml")]) == 0


def test_failure_mid_write_keeps_the_old_output(project: Path, monkeypatch: pytest.MonkeyPatch,
                                                capfd: pytest.CaptureFixture[str]) -> None:
    main(["build"])
    (project / "specs" / "dev.tp").write_text("set worker.replicas=5\n")
    before = (project / "build" / "dev.yaml").read_bytes()
    real_fdopen = os.fdopen

    class Broken:
        def __init__(self, handle):  # type: ignore[no-untyped-def]
            self.handle = handle

        def __enter__(self):  # type: ignore[no-untyped-def]
            return self

        def __exit__(self, *exc):  # type: ignore[no-untyped-def]
            self.handle.close()

        def write(self, data: bytes) -> int:
            self.handle.write(data[: len(data) // 2])  # half written, then the disk fills up
            raise OSError(28, "No space left on device")

    monkeypatch.setattr(files.os, "fdopen", lambda fd, mode: Broken(real_fdopen(fd, mode)))
    assert main(["build"]) == 2
    assert "No space left on device" in capfd.readouterr().err
    assert (project / "build" / "dev.yaml").read_bytes() == before
    assert sorted(os.listdir(project / "build")) == ["dev.yaml", "prod.yaml"]  # no temporary file left


BAD = [
    ("unknown-key", "targets:\n  - source: configs/task.yaml\n    output: x.yaml\n    rendr: true\n",
     r"4:5: .*'rendr'; did you mean 'render'"),
    ("missing-output", "targets:\n  - source: configs/task.yaml\n", r"2:5: .*no 'output'"),
    ("missing-source-file", "targets:\n  - source: nope.yaml\n    output: x.yaml\n", r"2:13: .*'nope.yaml' does not exist"),
    ("bad-spec", "targets:\n  - source: configs/task.yaml\n    output: x.yaml\n    set: [worker..x=1]\n",
     r"4:18: spec syntax error: .*\[spec bad\.yaml:4 'worker\.\.x=1', column 8\]"),
    ("quoted-bad-spec", "targets:\n  - source: configs/task.yaml\n    output: x.yaml\n    set: ['worker.x']\n",
     r"4:20: spec syntax error: expected '='.*column 9\]"),
    ("same-output", "targets:\n  - {source: configs/task.yaml, output: x.yaml}\n"
                    "  - {source: configs/task.yaml, output: ./x.yaml}\n", r"3:41: .*two targets write x\.yaml"),
    ("not-a-list", "targets: 3\n", r"1:1: .*mapping with a `targets:` list"),
    ("empty-file", "# nothing yet\n", r"1:1: .*mapping with a `targets:` list"),
    ("top-level-key", "targets: []\nextra: 1\n", r"2:1: .*unknown key 'extra'"),
    ("render-not-bool", "targets:\n  - source: configs/task.yaml\n    output: x.yaml\n    render: yes\n",
     r"4:13: .*'render' must be true or false"),
    ("env-not-a-list", "targets:\n  - source: configs/task.yaml\n    output: x.yaml\n    env: MY=1\n",
     r"4:10: .*'env' must be a list"),
    ("target-not-mapping", "targets:\n- [a]\n", r"2:3: .*a target is a mapping"),
    ("missing-spec-file", "targets:\n  - source: configs/task.yaml\n    output: x.yaml\n    spec-file: no.tp\n",
     r"4:16: .*'no\.tp' does not exist"),
    ("broken-yaml", "targets: [\n", r"2:1: YAML error"),
    ("duplicate-key", "targets:\n  - source: configs/task.yaml\n    output: x.yaml\n    output: y.yaml\n",
     r"4:5: YAML error: duplicate key 'output' \(first at line 3\)"),
    ("empty-source", "targets:\n  - source: ''\n    output: x.yaml\n", r"2:13: .*'source' must be a non-empty string"),
]


@pytest.mark.parametrize("text,pattern", [b[1:] for b in BAD], ids=[b[0] for b in BAD])
def test_bad_targets_files(project: Path, capfd: pytest.CaptureFixture[str], text: str, pattern: str) -> None:
    (project / "bad.yaml").write_text(text)
    assert main(["build", "-f", "bad.yaml"]) == 2
    err = capfd.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err, err
    assert re.match(r"bad\.yaml:" + pattern, err), err
    assert not (project / "x.yaml").exists()


def test_all_errors_of_a_file_are_reported(project: Path, capfd: pytest.CaptureFixture[str]) -> None:
    (project / "bad.yaml").write_text("targets:\n  - source: nope.yaml\n    outptu: x\n    set: [w..x=1]\n")
    assert main(["build", "-f", "bad.yaml"]) == 2
    lines = capfd.readouterr().err.splitlines()
    assert len(lines) == 4 and all(re.match(r"bad\.yaml:\d+:\d+: ", line) for line in lines), lines


class _Terminal:
    def isatty(self) -> bool:
        return True


def test_diffs_are_coloured_on_a_terminal_unless_no_color(monkeypatch: pytest.MonkeyPatch) -> None:
    from taskpatch.commands.common import colourise

    diff = "--- a/x\n+++ b/x\n@@ -1 +1 @@\n-old\n+new\n"
    monkeypatch.delenv("NO_COLOR", raising=False)
    coloured = colourise(diff, "auto", _Terminal())
    assert "\033[31m-old\033[0m\n" in coloured and "\033[32m+new\033[0m\n" in coloured
    assert coloured.startswith("--- a/x\n+++ b/x\n")  # file headers stay plain
    monkeypatch.setenv("NO_COLOR", "1")
    assert colourise(diff, "auto", _Terminal()) == diff
    assert colourise(diff, "always", _Terminal()) != diff
    monkeypatch.delenv("NO_COLOR")
    assert colourise(diff, "never", _Terminal()) == diff

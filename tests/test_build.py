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
    for name in ("NO_COLOR", "FORCE_COLOR", "TERM"):  # TERM=dumb turns colour off too (test_conventions.py)
        monkeypatch.delenv(name, raising=False)
    coloured = colourise(diff, "auto", _Terminal())
    assert "\033[31m-old\033[0m\n" in coloured and "\033[32m+new\033[0m\n" in coloured
    assert coloured.startswith("--- a/x\n+++ b/x\n")  # file headers stay plain
    monkeypatch.setenv("NO_COLOR", "1")
    assert colourise(diff, "auto", _Terminal()) == diff
    assert colourise(diff, "always", _Terminal()) != diff
    monkeypatch.delenv("NO_COLOR")
    assert colourise(diff, "never", _Terminal()) == diff


# -- build stays inside its folder (issue 9) -------------------------------------------


def test_paths_leading_outside_the_folder_are_positioned_errors(project: Path, tmp_path_factory: pytest.TempPathFactory,
                                                                capfd: pytest.CaptureFixture[str]) -> None:
    elsewhere = tmp_path_factory.mktemp("elsewhere")
    (elsewhere / "x.tp").write_text("env X=1\n")
    (project / "configs" / "escape.yaml").symlink_to(elsewhere / "victim.yaml")  # dangling: build would create it
    (project / "configs" / "inside.yaml").symlink_to("task.yaml")  # a link that stays inside is fine
    (project / "bad.yaml").write_text(
        "targets:\n"
        "  - source: configs/task.yaml\n"
        "    output: ../x.yaml\n"                                        # 3:13
        f"  - {{source: configs/task.yaml, output: {elsewhere / 'abs.yaml'}}}\n"  # 4:41
        "  - source: configs/task.yaml\n"
        "    output: configs/escape.yaml\n"                              # 6:13
        "  - source: configs/inside.yaml\n"
        "    output: ok.yaml\n"
        f"    spec-file: {elsewhere / 'x.tp'}\n"                         # 9:16
        f"  - source: '{elsewhere / 'x.tp'}'\n"                          # 10:13
        "    output: y.yaml\n"
        "    outptu: z\n"                                                 # 12:5, an unrelated error, reported with them
    )
    before = sorted(os.listdir(project.parent)), sorted(os.listdir(elsewhere))
    assert main(["build", "-f", "bad.yaml"]) == 2
    lines = capfd.readouterr().err.splitlines()
    positions = [re.match(r"bad\.yaml:(\d+:\d+): ", line).group(1) for line in lines]  # type: ignore[union-attr]
    assert sorted(positions, key=lambda p: tuple(map(int, p.split(":")))) == ["3:13", "4:41", "6:13", "9:16",
                                                                              "10:13", "12:5"], lines
    outside = [line for line in lines if "leads outside the folder of this targets file" in line]
    assert len(outside) == 5 and all("add `allow-outside: true`" in line for line in outside)
    assert f"bad.yaml:6:13: I/O error: output 'configs/escape.yaml' leads outside the folder of this targets file " \
           f"(to {elsewhere / 'victim.yaml'}); add `allow-outside: true` at its top to allow it" in lines  # the real place
    assert (sorted(os.listdir(project.parent)), sorted(os.listdir(elsewhere))) == before
    assert not (project / "ok.yaml").exists()


def test_allow_outside_true_permits_it(project: Path, tmp_path_factory: pytest.TempPathFactory) -> None:
    elsewhere = tmp_path_factory.mktemp("elsewhere")
    (project / "configs" / "escape.yaml").symlink_to(elsewhere / "victim.yaml")
    (project / "taskpatch.yaml").write_text(
        "allow-outside: true   # reviewed: writes the shared folder\n"
        "targets:\n"
        f"  - {{source: configs/task.yaml, output: {elsewhere / 'abs.yaml'}}}\n"
        "  - {source: configs/task.yaml, output: configs/escape.yaml}\n")
    assert main(["build"]) == 1
    assert (elsewhere / "abs.yaml").read_text() == SOURCE
    assert (project / "configs" / "escape.yaml").is_symlink()  # followed and kept
    assert (elsewhere / "victim.yaml").read_text() == SOURCE
    assert main(["build"]) == 0


@pytest.mark.parametrize("value", ["yes", "'true'", "[true]", "1"])
def test_allow_outside_must_be_true_or_false(project: Path, capfd: pytest.CaptureFixture[str], value: str) -> None:
    (project / "bad.yaml").write_text(f"allow-outside: {value}\ntargets:\n  - {{source: configs/task.yaml, "
                                      "output: ../x.yaml}\n")
    assert main(["build", "-f", "bad.yaml"]) == 2
    lines = capfd.readouterr().err.splitlines()
    assert lines[0] == "bad.yaml:1:16: type error: 'allow-outside' must be true or false"
    assert len(lines) == 2 and lines[1].startswith("bad.yaml:3:41: I/O error: output '../x.yaml' leads outside")


def test_build_output_symlink_inside_is_followed_and_kept(project: Path) -> None:
    (project / "build").mkdir()
    (project / "build" / "real.yaml").write_text("old\n")
    (project / "build" / "dev.yaml").symlink_to("real.yaml")
    os.chmod(project / "build" / "real.yaml", 0o640)
    assert main(["build", "build/dev.yaml"]) == 1
    assert (project / "build" / "dev.yaml").is_symlink()
    assert (project / "build" / "real.yaml").read_text() == (project / "build" / "dev.yaml").read_text() != "old\n"
    assert os.stat(project / "build" / "real.yaml").st_mode & 0o777 == 0o640
    assert main(["build", "build/dev.yaml"]) == 0

"""The pre-commit hooks, driven by the real pre-commit client in a scratch
git repository. Skipped (with the reason) only without git or without network
access to the package registry, which pre-commit needs to install the hook."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SOURCE = "resources:\n- name: worker\n  replicas: 1\n  command: python train.py\n"
TARGETS = """\
targets:
  - source: configs/task.yaml
    output: build/prod.yaml
    set: [worker.replicas=3]
    env: [MODE=prod]
"""


def _run(argv: list[str], cwd: Path, env: dict[str, str], check: bool = True) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, timeout=600)
    if check:
        assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc


def _registry_reachable(tmp_path: Path) -> bool:
    """Can pip fetch from the configured package index? (pre-commit installs the hook with it.)"""
    proc = subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "-q", "-d", str(tmp_path / "probe"),
                           "hatchling"], capture_output=True, text=True, timeout=120)
    return proc.returncode == 0


def _snapshot(destination: Path, env: dict[str, str]) -> str:
    """This checkout's working tree as a one-commit repository; its sha."""
    listed = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"], cwd=ROOT,
                            capture_output=True, text=True, check=True).stdout.split("\0")
    for name in filter(None, listed):
        source = ROOT / name
        if source.is_file():
            (destination / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, destination / name)
    _run(["git", "init", "-q"], destination, env)
    _run(["git", "add", "-A"], destination, env)
    _run(["git", "commit", "-q", "-m", "snapshot"], destination, env)
    return _run(["git", "rev-parse", "HEAD"], destination, env).stdout.strip()


def test_hooks_fail_on_a_stale_output_and_build_fixes_it(tmp_path: Path) -> None:
    if shutil.which("git") is None:
        pytest.skip("git is not available")
    if not (ROOT / ".git").exists():
        pytest.skip("not a git checkout: cannot snapshot the project for pre-commit")
    if not _registry_reachable(tmp_path):
        pytest.skip("no network access to the package registry (pre-commit must pip-install the hook)")
    env = {**os.environ, "PRE_COMMIT_HOME": str(tmp_path / "pre-commit-home"),
           "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com"}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    project = tmp_path / "taskpatch"
    project.mkdir()
    rev = _snapshot(project, env)

    repo = tmp_path / "user"
    (repo / "configs").mkdir(parents=True)
    (repo / "configs" / "task.yaml").write_text(SOURCE)
    (repo / "taskpatch.yaml").write_text(TARGETS)
    (repo / ".pre-commit-config.yaml").write_text(
        f"repos:\n- repo: {project}\n  rev: {rev}\n  hooks:\n  - id: taskpatch-check\n  - id: taskpatch-build\n"
        "  - id: taskpatch-validate\n    files: ^configs/\n")
    _run(["git", "init", "-q"], repo, env)
    pre_commit = [sys.executable, "-m", "pre_commit"]
    _run([*pre_commit, "install"], repo, env)
    _run([sys.executable, "-m", "taskpatch", "build", "--exit-zero"], repo, env)
    _run(["git", "add", "-A"], repo, env)
    _run(["git", "commit", "-q", "-m", "outputs up to date"], repo, env)  # hooks pass

    # A change to the source makes build/prod.yaml stale: the commit fails and says so.
    (repo / "configs" / "task.yaml").write_text(SOURCE.replace("python train.py", "python train2.py"))
    _run(["git", "add", "configs/task.yaml"], repo, env)
    failed = _run(["git", "commit", "-q", "-m", "change the source"], repo, env, check=False)
    report = failed.stdout + failed.stderr
    assert failed.returncode != 0, report
    assert "stale: build/prod.yaml" in report and "python train2.py" in report  # taskpatch-check's diff
    assert "rewrote build/prod.yaml" in report  # taskpatch-build fixed it

    # taskpatch-build rewrote the output; staged, the next commit passes.
    assert "python train2.py" in (repo / "build" / "prod.yaml").read_text()
    _run(["git", "add", "build/prod.yaml"], repo, env)
    _run(["git", "commit", "-q", "-m", "change the source"], repo, env)
    clean = _run([*pre_commit, "run", "--all-files"], repo, env)
    assert "Passed" in clean.stdout

    # taskpatch-validate checks the staged configs themselves, at the line of the mistake.
    (repo / "configs" / "task.yaml").write_text(SOURCE.replace("  replicas: 1\n", "  replcas: 1\n"))
    _run(["git", "add", "configs/task.yaml"], repo, env)
    failed = _run(["git", "commit", "-q", "-m", "a typo"], repo, env, check=False)
    report = failed.stdout + failed.stderr
    assert failed.returncode != 0, report
    assert ("configs/task.yaml:3:3: validation error: $.resources[0].replcas: unknown key 'replcas' in a "
            "Kuberlab resource; did you mean 'replicas'?") in report

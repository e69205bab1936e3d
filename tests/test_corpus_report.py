"""``taskpatch corpus``: the report over ../shared/corpus (skipped when absent).

Every MLApp or task template is patched or refused for a reason true of that
file, at least 95% are patched, and no file makes the command crash.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from taskpatch.cli import main
from taskpatch.corpus import TASK_KINDS, run_corpus, summary

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"
pytestmark = pytest.mark.skipif(not CORPUS.is_dir(), reason="../shared/corpus is not present")

# What a refusal must say for each kind of file.
REASONS = {
    "legacy (2017)": r"legacy \(2017\) Kuberlab chart config",
    "task form": r"task form",
    "MLApp without tasks": r"no spec\.tasks",
    "MLApp": r"^(could not find expected|did not find expected|mapping values|found character)",  # broken YAML
    "task template": r"^(could not find expected|did not find expected|mapping values)",
}


@pytest.fixture(scope="module")
def results():  # type: ignore[no-untyped-def]
    return run_corpus(str(CORPUS))


def test_pass_rate(results) -> None:  # type: ignore[no-untyped-def]
    tasks = [r for r in results if r.kind in TASK_KINDS]
    assert len(tasks) >= 40
    assert sum(r.patched for r in tasks) / len(tasks) >= 0.95, summary(results)


def test_refusals_are_true_of_the_file(results) -> None:  # type: ignore[no-untyped-def]
    for result in results:
        if not result.patched:
            assert result.kind in REASONS, (result.file, result.kind, result.reason)
            assert re.search(REASONS[result.kind], result.reason), (result.file, result.reason)


def test_every_kubernetes_manifest_is_patched(results) -> None:  # type: ignore[no-untyped-def]
    k8s = [r for r in results if r.kind == "Kubernetes"]
    assert len(k8s) >= 13 and all(r.patched for r in k8s)


def test_cli_report(capfd: pytest.CaptureFixture[str]) -> None:
    assert main(["corpus", str(CORPUS)]) == 0
    out = capfd.readouterr().out.splitlines()
    assert out[0].split()[:3] == ["file", "kind", "result"]
    assert re.match(r"\d+ of \d+ files patched; MLApps and task templates: \d+ of \d+ patched \(\d+\.\d%\)", out[-1])
    assert main(["corpus", str(CORPUS), "--format", "json"]) == 0
    payload = json.loads(capfd.readouterr().out)
    assert out[-2].startswith("Kubernetes manifests by kind: ")  # (tests/test_kinds.py checks its counts)
    assert len(payload["files"]) == len(out) - 4 and payload["summary"] == out[-1]


FILES = sorted(CORPUS.glob("*/*.yaml")) if CORPUS.is_dir() else []


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_no_command_crashes(path: Path, tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    """Exit codes 0, 1 or 2 only (3 is an internal error), and no traceback."""
    name = str(path)
    commands = [
        ["apply", name, "--task", "*", "-e", "A=1", "-s", "*.replicas=2", "-a", "*.x=1", "--render", "--check"],
        ["apply", name, "--resources", "$..containers", "-e", "A=1", "-a", "*.x=1", "--diff"],
        ["plan", name, "--task", "*", "-s", "~*.args", "--format", "json"],
        ["variants", name, "--task", "*", "--grid", "*.lr=1,2", "-d", str(tmp_path / "v")],
        ["serve", name, "--serving", "serving", "--task", "train", "--var", "model_path=/m"],
    ]
    for argv in commands:
        code = main(argv)
        err = capfd.readouterr().err
        assert code in (0, 1, 2), (argv, err)
        assert "Traceback" not in err and "internal error" not in err, (argv, err)

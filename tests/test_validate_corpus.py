"""``validate`` on real files: mistakes planted into copies of
../shared/corpus configs are each caught at their own line and column, and
the whole corpus is checked without a crash (skipped when it is absent).

``python tests/test_validate_corpus.py`` prints the corpus report the
README quotes."""

from __future__ import annotations

import collections
import re
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

import taskpatch
from taskpatch.errors import InternalError, TaskpatchError

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"
pytestmark = pytest.mark.skipif(not CORPUS.is_dir(), reason="../shared/corpus is not present")


@dataclass(frozen=True)
class Plant:
    old: str  # a whole line of the real file
    new: str  # what it becomes
    token: str  # the offending text in ``new``: the finding's column
    says: str  # part of the finding's message
    occurrence: int = 1  # which copy of ``old`` (1: the first)


TF_EXAMPLE = "kuberlab/kuberlab__lib__pkg__example__tf.go__embedded_TF_EXAMPLE.yaml"  # an MLApp, no markup
TF_TEMPLATE = "kuberlab/kuberlab-catalog__tensorflow__ml-templates__config.yaml"  # an MLApp that is a Go template
PYTORCH_JOB = "k8s/kubeflow__training-operator__examples__pytorch__mnist__v1__pytorch_job_mnist_gloo.yaml"

PLANTS = {
    TF_EXAMPLE: [
        Plant("      replicas: 2", "      replicas: two", "two", "is not a non-negative integer"),
        Plant("      restartPolicy: Never", "      restartPolicy: never", "never", "did you mean 'Never'?", 2),
        Plant("          memory: 1Gi", "          memory: 1GB", "1GB", "did you mean '1G' or '1Gi'?", 3),
        Plant("          cpu: 100m", "          cpu: 100mi", "100mi", "did you mean '100m'?", 2),
        Plant("          gpu: 1", "          gpu: -1", "-1", "is not a non-negative integer", 2),
        Plant("      port: 9000", "      port: 90000", "90000", "is not a port number"),
        Plant("      - name: TEST_ENV_V1", "      - name: 1TEST_ENV", "1TEST_ENV", "is not an env name"),
        Plant("        value: v2", "        value: 2", "2", "is not an env value"),
        Plant("        value: /usr/local", "        valueFrom: /usr/local", "/usr/local", "is not an env source"),
        Plant("        gpu: image-gpu", "        gpu: Image-GPU", "Image-GPU", "did you mean 'image-gpu'?", 2),
        Plant("      maxRestartCount: 1", "      maxRestartCont: 1", "maxRestartCont",
              "did you mean 'maxRestartCount'?"),
    ],
    TF_TEMPLATE: [
        Plant("          memory: 64Mi", "          memory: 64mi", "64mi", "did you mean '64Mi'?"),
        Plant("      restartPolicy: Never", "      restartPolicy: Sometimes", "Sometimes", "is not a restart policy",
              2),
        Plant("    - port: 8888", "    - port: 0", "0", "is not a port number"),
        Plant("      replicas: 1", "      replcas: 1", "replcas", "did you mean 'replicas'?", 3),
        Plant("      is_permanent: true", "      is_permanent: true # {{ .note }}", "", ""),  # markup: no finding
    ],
    PYTORCH_JOB: [
        Plant("              image: kubeflow/pytorch-dist-mnist:latest",
              "              image: kubeflow/Pytorch-dist-mnist:latest", "kubeflow/Pytorch",
              "did you mean 'kubeflow/pytorch-dist-mnist:latest'?"),
        Plant("                  nvidia.com/gpu: 1", "                  nvidia.com/gpu: 1GB", "1GB",
              "is not a Kubernetes quantity", 2),
        Plant('              args: ["--backend", "gloo"]', '              arg: ["--backend", "gloo"]', "arg",
              "did you mean 'args'?", 2),
    ],
}
OPTIONS = {PYTORCH_JOB: {"resources": "$..containers"}}


def _plant(text: str, plants: list[Plant]) -> tuple[str, list[tuple[int, int, str]]]:
    """The text with the plants in, and where each must be reported (line, column, message part)."""
    lines = text.split("\n")
    expected = []
    for plant in plants:
        at = [i for i, line in enumerate(lines) if line == plant.old][plant.occurrence - 1]
        lines[at] = plant.new
        if plant.token:
            expected.append((at + 1, plant.new.index(plant.token) + 1, plant.says))
    return "\n".join(lines), sorted(expected)


@pytest.mark.parametrize("name", sorted(PLANTS))
def test_planted_mistakes_are_caught_at_their_line_and_column(name: str) -> None:
    text = (CORPUS / name).read_text(encoding="utf-8")
    options = OPTIONS.get(name, {})
    assert taskpatch.validate(text, file=name, strict=True, **options) == []  # the real file is clean
    planted, expected = _plant(text, PLANTS[name])
    findings = taskpatch.validate(planted, file=name, **options)
    assert [(f.line, f.column) for f in findings] == [(line, column) for line, column, _ in expected]
    for finding, (_, _, says) in zip(findings, expected):
        assert says in finding.message, str(finding)
        assert finding.file == name and not finding.strict


def test_an_unknown_key_far_from_every_known_one_only_with_strict() -> None:
    text = (CORPUS / TF_EXAMPLE).read_text(encoding="utf-8")
    planted, _ = _plant(text, [Plant("      allowFail: true", "      frobnicate: true", "frobnicate", "")])
    assert taskpatch.validate(planted) == []
    (finding,) = taskpatch.validate(planted, strict=True)
    assert (finding.line, finding.column, finding.strict) == (19, 7, True)
    assert finding.message == "unknown key 'frobnicate' in a Kuberlab resource"


# -- the report over the whole corpus ---------------------------------------------

RULES = (("Kubernetes quantity", "quantity"), ("non-negative integer", "count"), ("port number", "port"),
         ("restart policy", "restartPolicy"), ("env", "env entry"), ("image reference", "image"),
         ("unknown key", "unknown key"))


def _rule(message: str) -> str:
    return next((rule for words, rule in RULES if words in message), "type")


def _options(text: str) -> list[dict[str, str]]:
    """As ``taskpatch corpus`` does: a Kubernetes manifest's containers (Argo's `container` if none)."""
    if re.search(r"^kind:\s*MLApp", text, re.M) or not re.search(r"^apiVersion:", text, re.M):
        return [{}]
    return [{"resources": "$..containers"}, {"resources": "$..container"}]


def corpus_report(strict: bool = False) -> dict[str, list]:
    """file -> its findings, or the error that refused it."""
    report: dict[str, list] = {}
    for path in sorted(CORPUS.glob("*/*.y*ml")):
        name = str(path.relative_to(CORPUS))
        text = path.read_text(encoding="utf-8")
        for options in _options(text):
            try:
                report[name] = taskpatch.validate(text, file=name, strict=strict, **options)
                break
            except TaskpatchError as exc:
                assert not isinstance(exc, InternalError), str(exc)
                report[name] = [exc]
    return report


def summary(report: dict[str, list]) -> list[str]:
    findings = [f for found in report.values() for f in found if isinstance(f, taskpatch.Finding)]
    errors = collections.Counter(e.kind if e.kind == "YAML error" else e.message.split(";")[0].split(",")[0]
                                 for found in report.values() for e in found if isinstance(e, TaskpatchError))
    flagged = [name for name, found in report.items() if any(isinstance(f, taskpatch.Finding) for f in found)]
    rules = collections.Counter(_rule(f.message) for f in findings)
    lines = [f"{len(report)} files; {len(report) - sum(errors.values())} checked, {len(flagged)} flagged "
             f"({len(findings)} findings: " + ", ".join(f"{n} {rule}" for rule, n in rules.most_common()) + ")"]
    lines += [f"  flagged: {name}" for name in flagged]
    lines += [f"  refused ({n}): {why}" for why, n in errors.most_common()]
    return lines


def test_the_whole_corpus_is_checked_without_a_crash() -> None:
    report = corpus_report(strict=True)
    assert len(report) == len(list(CORPUS.glob("*/*.y*ml")))
    for name, found in report.items():
        for item in found:
            if isinstance(item, TaskpatchError):  # refused as apply refuses it: broken YAML, a task form...
                assert len(found) == 1 and item.line is not None, str(item)
            else:
                assert item.file == name and item.line >= 1 and item.column >= 1
    # What it finds on real files is real: a cpu of `100mi` (mebi-cpus) where 100m was meant.
    flagged = {name: found for name, found in report.items() if found and isinstance(found[0], taskpatch.Finding)}
    assert {_rule(f.message) for found in flagged.values() for f in found} == {"quantity"}
    assert all("'100mi'" in f.message and "did you mean '100m'?" in f.message
               for found in flagged.values() for f in found)


if __name__ == "__main__":
    print("\n".join(summary(corpus_report(strict="--strict" in sys.argv))))

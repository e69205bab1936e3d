"""Kubernetes-style files from ../shared/corpus/k8s, patched through
``--resources``: golden outputs, compared byte for byte."""

from __future__ import annotations

from pathlib import Path

import pytest

from taskpatch.cli import main

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "k8s"
GOLDEN = Path(__file__).parent / "k8s_golden"
ARGO = "$.spec.templates[*].container"
# file -> (where its containers are, an env entry that has valueFrom there, if any)
FILES = {
    "argoproj__argo-workflows__examples__buildkit-template.yaml": (ARGO, None),
    "argoproj__argo-workflows__examples__pod-resources-template-override.yaml": (ARGO, None),
    "argoproj__argo-workflows__examples__secrets.yaml": (ARGO, "MYSECRETPASSWORD"),
    "argoproj__argo-workflows__examples__sidecar-dind.yaml": (ARGO, None),
    "kubeflow__training-operator__examples__mpi__tensorflow-mnist.yaml":
        ("$.spec.mpiReplicaSpecs.*.template.spec.containers", None),
    "kubeflow__training-operator__examples__pytorch__elastic__imagenet__imagenet.yaml":
        ("$.spec.pytorchReplicaSpecs.*.template.spec.containers", None),
    "kubeflow__training-operator__examples__pytorch__mnist__v1__pytorch_job_mnist_gloo.yaml":
        ("$.spec.pytorchReplicaSpecs.*.template.spec.containers", None),
    "kubeflow__training-operator__examples__tensorflow__mnist_with_summaries__tf_job_mnist.yaml":
        ("$.spec.tfReplicaSpecs.*.template.spec.containers", None),
    "kubernetes__examples__AI__vllm-deployment__vllm-deployment.yaml":
        ("$.spec.template.spec.containers", "HUGGING_FACE_HUB_TOKEN"),
    "kubernetes__examples__databases__cassandra__cassandra-statefulset.yaml":
        ("$.spec.template.spec.containers", "POD_IP"),
    "volcano-sh__volcano__example__integrations__argo__mpi__hello-world.yaml": (ARGO, None),
    "volcano-sh__volcano__example__job.yaml": ("$.spec.tasks[*].template.spec.containers", None),
    "volcano-sh__volcano__example__kubecon-2019-china__tf-sample__tf-example.yaml":
        ("$.spec.tasks[*].template.spec.containers", None),
}


def _argv(name: str) -> list[str]:
    jsonpath, value_from = FILES[name]
    argv = ["apply", str(CORPUS / name), "--resources", jsonpath, "-e", "LOG_LEVEL=debug",
            "-s", "*.resources.limits.cpu=2", "-a", "*.verbose=true"]
    return argv + (["-e", f"{value_from}=plain-value"] if value_from else [])


def test_every_k8s_corpus_file_is_listed() -> None:
    if not CORPUS.is_dir():
        pytest.skip("../shared/corpus is not present")
    assert {p.name for p in CORPUS.glob("*.yaml")} == set(FILES)


@pytest.mark.skipif(not CORPUS.is_dir(), reason="../shared/corpus is not present")
@pytest.mark.parametrize("name", sorted(FILES))
def test_k8s_golden(name: str, tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out.yaml"
    assert main([*_argv(name), "-O", str(out)]) == 0
    assert out.read_bytes() == (GOLDEN / name).read_bytes()
    err = capfd.readouterr().err
    if FILES[name][1]:
        assert f"env {FILES[name][1]} had valueFrom; replaced by value" in err
    again = tmp_path / "again.yaml"
    argv = _argv(name)
    argv[1] = str(out)
    assert main([*argv, "-O", str(again)]) == 0
    assert again.read_bytes() == out.read_bytes()

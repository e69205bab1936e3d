"""The kinds table (taskpatch/kinds_table.json): containers found without --resources.

- ``tests/kinds_golden/``: an example of every entry, as golden cases
  (``NAME.in.yaml``, ``NAME.tp``, ``NAME.out.yaml``, run as
  tests/test_golden.py runs its own). A ``# entries: A, B`` line in the
  spec file says which entries ``plan`` must name, document by document.
- every Kubernetes manifest of ../shared/corpus (skipped when absent): the
  table finds what a JSONPath chosen by hand for that file finds, and for
  ../shared/corpus/k8s the output is the reviewed golden of tests/test_k8s.py.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from test_k8s import FILES as K8S_FILES, GOLDEN as K8S_GOLDEN, _argv as k8s_argv

import taskpatch
from casefiles import apply_case, spec_options
from taskpatch import kinds_table
from taskpatch.cli import main
from taskpatch.corpus import coverage, run_corpus
from taskpatch.locate import _parsed, detect, find_groups
from taskpatch.yaml_index import build_index

GOLDEN = Path(__file__).parent / "kinds_golden"
CASES = sorted(p.stem for p in GOLDEN.glob("*.tp"))
CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"
# Every manifest of the corpus, and where its containers are, chosen by hand.
CORPUS_MANIFESTS = {
    **{f"k8s/{name}": path for name, (path, _) in K8S_FILES.items()},
    "kuberlab/kuberlab__lib__test__model-ps.yaml": "$.spec.template.spec.containers",
    "kuberlab/kuberlab__lib__test__model-worker.yaml": "$.spec.template.spec.containers",
}
# ... and the entry each one is (the file name says the project, the file its kind).
CORPUS_ENTRIES = {
    "argoproj__argo-workflows__examples__buildkit-template.yaml": "Argo WorkflowTemplate",
    "argoproj__argo-workflows__examples__pod-resources-template-override.yaml": "Argo Workflow",
    "argoproj__argo-workflows__examples__secrets.yaml": "Argo Workflow",
    "argoproj__argo-workflows__examples__sidecar-dind.yaml": "Argo Workflow",
    "kubeflow__training-operator__examples__mpi__tensorflow-mnist.yaml": "Kubeflow MPIJob",
    "kubeflow__training-operator__examples__pytorch__elastic__imagenet__imagenet.yaml": "Kubeflow PyTorchJob",
    "kubeflow__training-operator__examples__pytorch__mnist__v1__pytorch_job_mnist_gloo.yaml": "Kubeflow PyTorchJob",
    "kubeflow__training-operator__examples__tensorflow__mnist_with_summaries__tf_job_mnist.yaml": "Kubeflow TFJob",
    "kubernetes__examples__AI__vllm-deployment__vllm-deployment.yaml": "Deployment",
    "kubernetes__examples__databases__cassandra__cassandra-statefulset.yaml": "StatefulSet",
    "volcano-sh__volcano__example__integrations__argo__mpi__hello-world.yaml": "Argo WorkflowTemplate",
    "volcano-sh__volcano__example__job.yaml": "Volcano Job",
    "volcano-sh__volcano__example__kubecon-2019-china__tf-sample__tf-example.yaml": "Volcano Job",
    "kuberlab__lib__test__model-ps.yaml": "StatefulSet",  # apps/v1beta1
    "kuberlab__lib__test__model-worker.yaml": "StatefulSet",
}
no_corpus = pytest.mark.skipif(not CORPUS.is_dir(), reason="../shared/corpus is not present")


def _entries(name: str) -> list[str]:
    """What the case's `# entries:` line says plan must name (none: --resources wins)."""
    found = re.search(r"^# entries: (.*)$", (GOLDEN / f"{name}.tp").read_text(), re.M)
    return found.group(1).split(", ") if found else []


def _plan_json(path: Path, capfd: pytest.CaptureFixture[str], *options: str) -> dict:
    assert main(["plan", str(path), "-e", "X=1", *options, "--format", "json"]) == 0
    return json.loads(capfd.readouterr().out)


# -- the table ---------------------------------------------------------------------------------

def test_the_table_is_one_entry_per_kind_and_group() -> None:
    rows = json.loads(Path(kinds_table.TABLE_FILE).read_text())["kinds"]
    fields = {"project", "kind", "groups", "containers", "initContainers", "embedded", "note"}
    assert all(set(row) <= fields for row in rows)  # no misspelt field left unread
    keys = [(group, e.kind) for e in kinds_table.entries() for group in e.groups]
    assert len(keys) == len(set(keys))
    assert len({e.name for e in kinds_table.entries()}) == len(kinds_table.entries())
    for entry in kinds_table.entries():
        assert bool(entry.containers) != bool(entry.embedded), entry  # one way to its containers
        for path in (*entry.containers, *entry.init_containers, *filter(None, [entry.embedded])):
            assert path.startswith("$.") and _parsed(path) is not None


def test_batch_and_volcano_jobs_are_told_apart_by_the_api_group() -> None:
    assert kinds_table.lookup("batch/v1", "Job").name == "Job"  # type: ignore[union-attr]
    assert kinds_table.lookup("batch.volcano.sh/v1alpha1", "Job").name == "Volcano Job"  # type: ignore[union-attr]
    assert kinds_table.lookup("v1", "Pod").name == "Pod"  # type: ignore[union-attr]
    assert kinds_table.lookup("example.com/v1", "Job") is None
    assert kinds_table.lookup(None, "Deployment") is None


def test_every_entry_has_an_example() -> None:
    named = {entry for name in CASES for entry in _entries(name)}
    assert {e.name for e in kinds_table.entries()} <= named


def test_task_configs_never_load_the_table(tmp_path: Path) -> None:
    """A task config or an MLApp is found before the table is asked: it is
    not imported (nor jsonpath_ng), so their runs cost what they did."""
    script = ("import sys\nfrom taskpatch.cli import main\n"
              f"main(['plan', {str(GOLDEN.parents[1] / 'examples' / 'task.yaml')!r}, '-e', 'A=1'])\n"
              "print('loaded:', *sorted(m for m in sys.modules if m in ('taskpatch.kinds_table', 'jsonpath_ng')))")
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=tmp_path, check=True)
    assert out.stdout.splitlines()[-1] == "loaded:"
    out = subprocess.run([sys.executable, "-c", script.replace("task.yaml", "tfjob.yaml")], capture_output=True,
                         text=True, cwd=tmp_path, check=True)
    assert out.stdout.splitlines()[-1] == "loaded: jsonpath_ng taskpatch.kinds_table"  # a manifest does


# -- golden examples -----------------------------------------------------------------------------

@pytest.mark.parametrize("name", CASES)
def test_kinds_golden(name: str, tmp_path: Path) -> None:
    expected = (GOLDEN / f"{name}.out.yaml").read_bytes()
    once, twice = tmp_path / "once.yaml", tmp_path / "twice.yaml"
    assert apply_case(GOLDEN / f"{name}.in.yaml", GOLDEN / f"{name}.tp", once) == 0
    assert once.read_bytes() == expected
    assert apply_case(once, GOLDEN / f"{name}.tp", twice) == 0
    assert twice.read_bytes() == expected


@pytest.mark.parametrize("name", CASES)
def test_plan_names_the_entries(name: str, capfd: pytest.CaptureFixture[str]) -> None:
    payload = _plan_json(GOLDEN / f"{name}.in.yaml", capfd, *spec_options(GOLDEN / f"{name}.tp"))
    assert [k["entry"] for k in payload.get("kinds", [])] == _entries(name)
    groups = {op["group"] for op in payload["operations"]}
    assert groups
    if _entries(name):  # found by the table: containers, never init containers
        assert all("initContainers" not in group for group in groups)


@pytest.mark.parametrize("name", [n for n in CASES if "- name: init-" in (GOLDEN / f"{n}.in.yaml").read_text()
                                  and _entries(n)])
def test_init_container_paths_find_the_init_containers(name: str) -> None:
    """The initContainers paths plan prints (for --resources) find them, and only them."""
    text = (GOLDEN / f"{name}.in.yaml").read_text()
    index = build_index(text)
    paths = [path for d in detect(index) for path in d.init_containers]
    found = [r.name for path in paths for group in find_groups(index, resources=path) for r in group.resources]
    assert sorted(found) == sorted(re.findall(r"- name: (init-[\w-]+)", text))


def test_plan_text_says_which_entry_matched(capfd: pytest.CaptureFixture[str]) -> None:
    path = GOLDEN / "mixed.in.yaml"
    assert main(["plan", str(path), "-e", "X=1"]) == 0
    lines = capfd.readouterr().out.splitlines()
    # documents 3 to 5 (a ConfigMap and a Service come first), where each one's `apiVersion:` is
    deployment, tfjob, volcano = [i for i, line in enumerate(path.read_text().splitlines(), 1)
                                  if line.startswith("apiVersion:")][2:]
    assert lines[:3] == [
        f"{path}:{deployment}: Deployment (apps/v1): containers at $.spec.template.spec.containers; "
        "initContainers (left alone) at $.spec.template.spec.initContainers",
        f"{path}:{tfjob}: Kubeflow TFJob (kubeflow.org/v1): containers at $.spec.tfReplicaSpecs.*.template.spec.containers"
        "; initContainers (left alone) at $.spec.tfReplicaSpecs.*.template.spec.initContainers",
        f"{path}:{volcano}: Volcano Job (batch.volcano.sh/v1alpha1): containers at "
        "$.spec.tasks[*].template.spec.containers; initContainers (left alone) at "
        "$.spec.tasks[*].template.spec.initContainers",
    ]
    assert len(lines) == 3 + 3 and all(" X " not in line for line in lines[:3])


def test_plan_json_names_the_trial_templates_kind(capfd: pytest.CaptureFixture[str]) -> None:
    (found,) = _plan_json(GOLDEN / "katib-trainjob.in.yaml", capfd)["kinds"]
    assert found == {
        "document": 1, "line": 1, "apiVersion": "kubeflow.org/v1beta1", "entry": "Katib Experiment",
        "embedded": {"apiVersion": "trainer.kubeflow.org/v1alpha1", "kind": "TrainJob", "entry": "Kubeflow TrainJob"},
        "containers": ["$.spec.trialTemplate.trialSpec.spec.trainer"], "initContainers": [],
    }


def test_a_task_configs_plan_json_has_no_kinds(capfd: pytest.CaptureFixture[str]) -> None:
    payload = _plan_json(Path(__file__).parents[1] / "examples" / "task.yaml", capfd)
    assert "kinds" not in payload and payload["operations"]


# -- choices and errors --------------------------------------------------------------------------

def test_resources_always_wins() -> None:
    text = (GOLDEN / "init-containers.in.yaml").read_text()
    out = taskpatch.patch_text(text, env=["A=1"], resources="$.spec.template.spec.initContainers")
    data = taskpatch.loads(out).data["spec"]["template"]["spec"]
    assert data["initContainers"][0]["env"] == [{"name": "A", "value": "1"}]
    assert "env" not in data["containers"][0]


def test_the_api_group_decides() -> None:
    """A Volcano Job's layout under batch/v1 is a batch/v1 Job with no containers where those have them."""
    text = (GOLDEN / "volcano-job.in.yaml").read_text().replace("batch.volcano.sh/v1alpha1", "batch/v1")
    with pytest.raises(taskpatch.NotATaskConfigError, match=r"this Job \(batch/v1\) has no containers at "
                                                              r"\$\.spec\.template\.spec\.containers"):
        taskpatch.patch_text(text, env=["A=1"])


def test_a_file_of_no_known_kind_lists_the_known_kinds(tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    source = tmp_path / "svc.yaml"
    source.write_text("apiVersion: v1\nkind: Service\nmetadata: {name: s}\n---\n"
                      "apiVersion: example.com/v1\nkind: Job\nspec: {}\n")
    assert main(["apply", str(source), "-e", "A=1"]) == 2
    (line,) = capfd.readouterr().err.splitlines()
    assert line.startswith(f"{source}:1:1: not a task config: no task config, MLApp or known kind here "
                           "(found Service (v1), Job (example.com/v1; known in API groups batch, batch.volcano.sh)); "
                           "known kinds: Pod, Deployment, ")
    assert all(entry.name in line for entry in kinds_table.entries())
    assert line.endswith("; or point --resources at the containers")


def test_an_embedded_manifest_of_an_unknown_kind() -> None:
    text = ("apiVersion: kubeflow.org/v1beta1\nkind: Experiment\nspec:\n  trialTemplate:\n    trialSpec:\n"
            "      apiVersion: tekton.dev/v1beta1\n      kind: PipelineRun\n")
    with pytest.raises(taskpatch.NotATaskConfigError, match=r"Katib Experiment \(kubeflow.org/v1beta1\), trial "
                                                              r"template PipelineRun \(tekton.dev/v1beta1\) has no "
                                                              r"containers taskpatch knows where to find; known kinds"):
        taskpatch.patch_text(text, env=["A=1"])


def test_validate_checks_the_containers_the_table_finds() -> None:
    text = (GOLDEN / "job.in.yaml").read_text().replace("perl:5.34.0", "Perl:5.34.0")
    (finding,) = taskpatch.validate(text)
    assert finding.path == "$.spec.template.spec.containers[0].image" and finding.line == 12


def test_variants_of_a_known_kind() -> None:
    text = (GOLDEN / "job.in.yaml").read_text()
    made = list(taskpatch.variants(text, grid=["pi.digits=10,20"]))
    assert [params for params, _ in made] == [{"pi.digits": 10}, {"pi.digits": 20}]
    assert [taskpatch.loads(t).data["spec"]["template"]["spec"]["containers"][0]["args"] for _, t in made] == [
        ["--digits", "10"], ["--digits", "20"]]


# -- the corpus ----------------------------------------------------------------------------------

@no_corpus
def test_every_corpus_manifest_is_listed() -> None:
    texts = {str(p.relative_to(CORPUS)): p.read_text(encoding="utf-8") for p in CORPUS.glob("*/*.yaml")}
    manifests = {name for name, text in texts.items()
                 if re.search(r"^apiVersion:", text, re.M) and not re.search(r"^kind: MLApp", text, re.M)}
    assert manifests == set(CORPUS_MANIFESTS)


@no_corpus
@pytest.mark.parametrize("name", sorted(CORPUS_MANIFESTS))
def test_corpus_manifest(name: str, tmp_path: Path) -> None:
    """The table finds what the hand-chosen JSONPath finds: the same output, byte for byte."""
    auto, chosen = tmp_path / "auto.yaml", tmp_path / "chosen.yaml"
    argv = ["apply", str(CORPUS / name), "-e", "LOG_LEVEL=debug", "-s", "*.resources.limits.cpu=2",
            "-a", "*.verbose=true"]
    assert main([*argv, "-O", str(auto)]) == 0
    assert main([*argv, "--resources", CORPUS_MANIFESTS[name], "-O", str(chosen)]) == 0
    assert auto.read_bytes() == chosen.read_bytes() != (CORPUS / name).read_bytes()


@no_corpus
@pytest.mark.parametrize("name", sorted(K8S_FILES))
def test_corpus_k8s_goldens_without_resources(name: str, tmp_path: Path) -> None:
    argv = k8s_argv(name)
    at = argv.index("--resources")
    del argv[at:at + 2]
    out = tmp_path / "out.yaml"
    assert main([*argv, "-O", str(out)]) == 0
    assert out.read_bytes() == (K8S_GOLDEN / name).read_bytes()


@no_corpus
def test_corpus_report_counts_manifests_per_kind() -> None:
    assert {Path(name).name for name in CORPUS_MANIFESTS} == set(CORPUS_ENTRIES)
    expected: dict[str, int] = {}
    for entry in CORPUS_ENTRIES.values():
        expected[entry] = expected.get(entry, 0) + 1
    results = run_corpus(str(CORPUS))
    assert coverage(results) == {entry: (count, count) for entry, count in sorted(expected.items())}
    assert {Path(r.file).name: r.entry for r in results if r.kind == "Kubernetes"} == CORPUS_ENTRIES

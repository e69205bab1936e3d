"""The seed's examples, as library and CLI calls."""

import subprocess
import sys

import taskpatch

SEED = """resources:
- name: worker
  replicas: 1
  command: python my_script.py
  resources:
    requests:
      cpu: 100m
- name: ps
  command: sleep 300
"""


def test_seed_env_and_overrides():
    doc = taskpatch.loads(SEED)
    doc.apply_env(["MY_VAR=MY-VAL", "SOME_VAR=expression=22"])
    doc.apply_resource_overrides(["*.resources.requests.cpu=1000m", "*.resources.requests.memory=1Gi"])
    doc.apply_resource_overrides(["worker.replicas=3"])
    data = doc.data
    for resource in data["resources"]:
        env = {e["name"]: e["value"] for e in resource["env"]}
        assert env == {"MY_VAR": "MY-VAL", "SOME_VAR": "expression=22"}
        # every resource, including ps which had no resources at all
        assert resource["resources"]["requests"] == {"cpu": "1000m", "memory": "1Gi"}
    assert data["resources"][0]["replicas"] == 3 and type(data["resources"][0]["replicas"]) is int


def test_seed_set_args_and_noop_is_identical():
    doc = taskpatch.loads(SEED)
    doc.set_args("worker", {"var1": "val", "batch-size": 23, "test_arg": 12.2})
    assert doc.data["resources"][0]["args"] == {"var1": "val", "batch-size": 23, "test_arg": 12.2}
    assert taskpatch.patch_text(SEED) == SEED
    once = taskpatch.patch_text(SEED, env=["A=1"], overrides=["*.replicas=2"], args=["worker.lr=0.1"])
    assert taskpatch.patch_text(once, env=["A=1"], overrides=["*.replicas=2"], args=["worker.lr=0.1"]) == once


def test_cli_apply_matches_library(tmp_path):
    path = tmp_path / "task.yaml"
    path.write_text(SEED)
    result = subprocess.run(
        [sys.executable, "-m", "taskpatch", "apply", str(path), "-e", "MY_VAR=MY-VAL", "-s", "worker.replicas=3"],
        capture_output=True, text=True,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == taskpatch.patch_text(SEED, env=["MY_VAR=MY-VAL"], overrides=["worker.replicas=3"])


def test_cli_fast_exit_flushes_everything(tmp_path):
    """`taskpatch` ends with os._exit after flushing: a large output still arrives whole."""
    text = "resources:\n" + "".join(f"- name: w{i}\n  image: x  # {i}\n" for i in range(3000))
    path = tmp_path / "big.yaml"
    path.write_text(text)
    result = subprocess.run([sys.executable, "-m", "taskpatch", "apply", str(path), "-e", "A=1"],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout == taskpatch.patch_text(text, env=["A=1"])

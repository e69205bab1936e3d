"""The built distributions as a user gets them (issue 12): the wheel,
pip-installed with its dependencies into a new virtual environment outside
the checkout, runs; the sdist carries the licence and everything the test
suite reads."""

from __future__ import annotations

import os
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

import taskpatch

ROOT = Path(__file__).resolve().parent.parent
LICENSE_START = "                                 Apache License\n                           Version 2.0, January 2004\n"


def _build(kind: str, dist: Path) -> Path:
    done = subprocess.run([sys.executable, "-m", "hatchling", "build", "-t", kind, "-d", str(dist)], cwd=ROOT,
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    (built,) = dist.glob("taskpatch-*.whl" if kind == "wheel" else "taskpatch-*.tar.gz")
    return built


def _run(argv: list[str], cwd: Path, **kwargs: object) -> str:
    done = subprocess.run(argv, cwd=cwd, capture_output=True, text=True, check=False, **kwargs)  # type: ignore[call-overload]
    assert done.returncode == 0, f"{argv}: {done.stdout}{done.stderr}"
    return str(done.stdout)


@pytest.mark.install
def test_the_wheel_installs_into_a_new_venv_and_runs(tmp_path: Path) -> None:
    wheel = _build("wheel", tmp_path / "dist")
    venv, work = tmp_path / "venv", tmp_path / "work"
    work.mkdir()
    assert ROOT not in tmp_path.parents and tmp_path not in ROOT.parents  # outside the checkout
    # No PYTHONPATH, no editable install and a folder of its own: only the installed copy can be found.
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV"))}
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    _run([sys.executable, "-m", "venv", str(venv)], work, env=env)
    # The real thing: pip resolves the dependencies from the index, as `pip install taskpatch` would.
    _run([str(venv / "bin" / "python"), "-m", "pip", "install", "-q", str(wheel)], work, env=env, timeout=300)
    tool = str(venv / "bin" / "taskpatch")

    assert _run([tool, "--version"], work, env=env) == f"taskpatch {taskpatch.__version__}\n"
    script = work / "taskpatch.bash"
    script.write_text(_run([tool, "completion", "bash"], work, env=env))
    _run(["bash", "-n", str(script)], work, env=env)
    (work / "task.yaml").write_bytes((ROOT / "examples" / "task.yaml").read_bytes())
    out = _run([tool, "apply", "task.yaml", "-e", "MY_VAR=MY-VAL", "-s", "*.resources.requests.cpu=1000m",
                "-s", "worker.replicas=3", "-a", "worker.batch-size=23"], work, env=env)
    assert out == (ROOT / "examples" / "task.expected.yaml").read_text()

    # The library from the install: its own files, every public name, the licence in its metadata.
    check = ("import importlib.metadata as m, taskpatch\n"
             "print(taskpatch.__file__)\n"
             "print(all(n in dir(taskpatch) and getattr(taskpatch, n) for n in taskpatch.__all__))\n"
             "print(m.metadata('taskpatch')['License-Expression'])\n"
             "print(m.distribution('taskpatch').read_text('licenses/LICENSE')[:110])\n")
    lines = _run([str(venv / "bin" / "python"), "-c", check], work, env=env).split("\n", 3)
    assert lines[0].startswith(str(venv)) and lines[1:3] == ["True", "Apache-2.0"]
    assert lines[3].startswith("\n" + LICENSE_START), lines[3]


def _tracked(*folders: str) -> set[str]:
    listed = subprocess.run(["git", "ls-files", "-z", *folders], cwd=ROOT, capture_output=True, check=False)
    if listed.returncode != 0:
        pytest.skip("not a git checkout (an unpacked sdist, say)")
    return {name for name in listed.stdout.decode().split("\0") if name}


def test_the_sdist_carries_the_licence_and_what_the_tests_read(tmp_path: Path) -> None:
    sdist = _build("sdist", tmp_path)
    with tarfile.open(sdist) as archive:
        names = {name.split("/", 1)[1] for name in archive.getnames() if "/" in name}
        licence = archive.extractfile(f"{sdist.name[:-len('.tar.gz')]}/LICENSE")
        assert licence is not None and licence.read().decode() == (ROOT / "LICENSE").read_text()
    needed = _tracked("taskpatch", "grammar", "tests", "examples", "benchmarks", ".ci") | {
        "README.md", "LICENSE", "pyproject.toml", ".pre-commit-hooks.yaml"}
    assert sorted(needed - names) == []


def test_the_wheel_carries_the_licence(tmp_path: Path) -> None:
    wheel = _build("wheel", tmp_path)
    licence = zipfile.ZipFile(wheel).read(f"taskpatch-{taskpatch.__version__}.dist-info/licenses/LICENSE").decode()
    assert licence == (ROOT / "LICENSE").read_text() and licence.startswith("\n" + LICENSE_START)

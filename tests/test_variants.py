"""Sweep variants: transforms, grids, one parse, the CLI's files and index."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import taskpatch
from taskpatch.cli import main

TEXT = """\
resources:
- name: worker   # trainer
  command: python train.py
  args:
    batch_size: 32
- name: ps
  command: python ps.py
"""


def test_transforms_as_parallel_run_takes_them() -> None:
    out = list(taskpatch.variants(TEXT, transforms=[{"worker": {"batch_size": 10}}, {"worker": {"batch_size": 5}}]))
    assert [params for params, _ in out] == [{"worker.batch_size": 10}, {"worker.batch_size": 5}]
    assert out[0][1] == TEXT.replace("batch_size: 32", "batch_size: 10")
    assert out[1][1] == TEXT.replace("batch_size: 32", "batch_size: 5")


def test_grid_is_a_cartesian_product_with_escaped_commas() -> None:
    out = list(taskpatch.variants(TEXT, grid=["worker.lr=0.1,0.01", r"ps.mode=a\,b,'007'"]))
    assert [p for p, _ in out] == [
        {"worker.lr": 0.1, "ps.mode": "a,b"}, {"worker.lr": 0.1, "ps.mode": "007"},
        {"worker.lr": 0.01, "ps.mode": "a,b"}, {"worker.lr": 0.01, "ps.mode": "007"},
    ]
    import yaml

    data = yaml.safe_load(out[1][1])
    assert data["resources"][0]["args"] == {"batch_size": 32, "lr": 0.1}
    assert data["resources"][1]["args"] == {"mode": "007"}


def test_transforms_times_grid_and_render() -> None:
    out = list(taskpatch.variants(TEXT, transforms=[{"worker": {"batch_size": 8}}], grid=["worker.lr=1,2"],
                                  render=True))
    assert [p for p, _ in out] == [{"worker.batch_size": 8, "worker.lr": 1}, {"worker.batch_size": 8, "worker.lr": 2}]
    assert "  command: python train.py --batch_size 8 --lr 2\n" in out[1][1]
    assert "args" not in out[1][1]


def test_the_input_is_parsed_once(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = []
    real = taskpatch.document.build_index
    monkeypatch.setattr(taskpatch.document, "build_index", lambda *a, **k: calls.append(1) or real(*a, **k))
    out = list(taskpatch.variants(TEXT, grid=["worker.lr=" + ",".join(str(i) for i in range(50))]))
    assert len(out) == 50 and len(calls) == 1


@pytest.mark.parametrize("transforms,message", [
    ({"worker": {}}, "must be a list"),
    ([{"worker": 3}], "must map to"),
    ([{"worker": {"x": [1, 2]}}], "must be a scalar"),
])
def test_bad_transforms(transforms: object, message: str) -> None:
    with pytest.raises(taskpatch.ValueTypeError, match=message):
        list(taskpatch.variants(TEXT, transforms=transforms))


@pytest.mark.parametrize("content,where,message", [
    ("{worker: 1}\n", "1:1", "must be a list"),
    ("# none yet\n", "1:1", "must be a list"),
    ("- worker: {a: 1}\n- [x]\n", "1:1", "transform 2 must be a mapping"),
    ("- worker: {a: 1}\n- worker: {a: 1}\n  ps: 3\n", "2:3", "transform 2: 'ps' must map to"),
    ("- worker:\n    a: 1\n    b: {c: 2}\n", "3:8", "worker.b: an argument value must be a scalar"),
    ("- worker: {a: 1}\n---\n- worker: {a: 2}\n", "3:1", "one YAML document"),
])
def test_bad_transforms_files_are_positioned(tmp_path: Path, capfd: pytest.CaptureFixture[str], content: str,
                                             where: str, message: str) -> None:
    (tmp_path / "task.yaml").write_text(TEXT)
    (tmp_path / "t.yaml").write_text(content)
    assert main(["variants", str(tmp_path / "task.yaml"), "--transforms", str(tmp_path / "t.yaml"), "-d",
                 str(tmp_path / "out")]) == 2
    err = capfd.readouterr().err
    assert err.startswith(f"{tmp_path / 't.yaml'}:{where}: type error: ") and message in err, err
    assert not (tmp_path / "out").exists()


def test_transforms_files_may_share_a_value_by_an_alias(tmp_path: Path) -> None:
    (tmp_path / "task.yaml").write_text(TEXT)
    (tmp_path / "t.yaml").write_text("- worker: &base {lr: 0.1}\n- worker: *base\n- &loop {worker: {x: [*loop]}}\n")
    assert main(["variants", str(tmp_path / "task.yaml"), "--transforms", str(tmp_path / "t.yaml"), "-d",
                 str(tmp_path / "out")]) == 2  # the third one's value is a list, which it reaches through itself
    (tmp_path / "t.yaml").write_text("- worker: &base {lr: 0.1}\n- worker: *base\n")
    assert main(["variants", str(tmp_path / "task.yaml"), "--transforms", str(tmp_path / "t.yaml"), "-d",
                 str(tmp_path / "out")]) == 0
    assert [v["params"] for v in json.loads((tmp_path / "out" / "variants.json").read_text())] == [
        {"worker.lr": 0.1}, {"worker.lr": 0.1}]


def test_design_signature() -> None:
    """DESIGN.md: variants(text, transforms=None, grid=None, render=False)."""
    out = list(taskpatch.variants(TEXT, transforms=[{"ps": {"a": 1}}], grid=None, render=False))
    assert out == [({"ps.a": 1}, taskpatch.patch_text(TEXT, args=["ps.a=1"]))]


def test_nothing_to_vary_is_an_error() -> None:
    with pytest.raises(taskpatch.UsageError, match="--transforms or"):
        list(taskpatch.variants(TEXT))


def test_cli_writes_files_and_index(tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    source = tmp_path / "task.yaml"
    source.write_text(TEXT)
    transforms = tmp_path / "t.yaml"
    transforms.write_text("- {worker: {batch_size: 10}}\n- {worker: {batch_size: 5}}\n")
    outdir = tmp_path / "out"
    assert main(["variants", str(source), "--transforms", str(transforms), "--grid", "ps.x=1,2", "-d",
                 str(outdir)]) == 0
    index = json.loads((outdir / "variants.json").read_text())
    assert [entry["file"] for entry in index] == [f"task-00{i}.yaml" for i in range(1, 5)]
    assert index[3]["params"] == {"worker.batch_size": 5, "ps.x": 2}
    assert (outdir / "task-004.yaml").read_text() == taskpatch.patch_text(
        TEXT, args=["worker.batch_size=5", "ps.x=2"])
    assert "4 variants" in capfd.readouterr().err


def test_cli_bad_transforms_file(tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    source = tmp_path / "task.yaml"
    source.write_text(TEXT)
    transforms = tmp_path / "t.yaml"
    transforms.write_text("- {worker: [\n")
    assert main(["variants", str(source), "--transforms", str(transforms), "-d", str(tmp_path / "o")]) == 2
    err = capfd.readouterr().err
    assert err.count("\n") == 1 and "t.yaml:2:1" in err
    assert not (tmp_path / "o").exists()


# -- the template fast path gives the planner's bytes ---------------------------

from hypothesis import given  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from test_properties import NAMES, configs  # noqa: E402

GRID_VALUES = st.one_of(
    st.from_regex(r"[a-z0-9.:# -]{0,6}", fullmatch=True).filter(lambda v: v == v.strip() and "#" not in v[:1]),
    st.integers(-5, 10**4).map(str),
    st.sampled_from(["yes", "on", "1e3", "007", "true", "null", "~", "'007'", '"x y"', "1.5", "2024-01-01", ""]),
)


@given(configs(), st.lists(st.tuples(st.sampled_from(["*", *NAMES]), st.sampled_from(["lr", "steps", "foo"]),
                                     st.lists(GRID_VALUES, min_size=1, max_size=3)),
                           min_size=1, max_size=2, unique_by=lambda t: (t[0], t[1])))
def test_template_matches_the_planner(config, axes) -> None:
    text = config.text
    grid = [f"{sel}.{key}=" + ",".join(values) for sel, key, values in axes]
    try:
        fast = list(taskpatch.variants(text, grid=grid))
    except taskpatch.TaskpatchError as exc:
        fast_error = type(exc)
    else:
        fast_error = None
    slow, slow_error = [], None
    for combo in __import__("itertools").product(*[[(s, k, v) for v in vs] for s, k, vs in axes]):
        try:
            slow.append(taskpatch.patch_text(text, args=[f"{s}.{k}={v}" for s, k, v in combo]))
        except taskpatch.TaskpatchError as exc:
            slow_error = type(exc)
            break
    if slow_error is not None:
        assert fast_error is not None
        return
    assert fast_error is None
    assert [variant for _, variant in fast] == slow

"""Sweep variants: transforms, grids, one parse, the CLI's files and index."""

from __future__ import annotations

import itertools
import json
import os
import re
from pathlib import Path

import pytest

import taskpatch
from taskpatch import sweep
from taskpatch.cli import main
from taskpatch.document import render_spec
from taskpatch.spec_parser import parse_args, parse_env, parse_override

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


# -- grid axes of every kind: set, env, args ---------------------------------------

GOLDEN = Path(__file__).parent / "variants_golden"


@pytest.mark.parametrize("name", sorted(p.stem for p in GOLDEN.glob("*.args")))
def test_golden_sweeps(name: str, tmp_path: Path) -> None:
    """The CLI writes exactly the stored files; each is what apply gives for its point."""
    options = (GOLDEN / f"{name}.args").read_text().splitlines()
    source = GOLDEN / f"{name}.in.yaml"
    assert main(["variants", str(source), *options, "-d", str(tmp_path)]) == 0
    expected = GOLDEN / f"{name}.out"
    assert sorted(os.listdir(tmp_path)) == sorted(os.listdir(expected))
    for file in os.listdir(expected):
        assert (tmp_path / file).read_bytes() == (expected / file).read_bytes(), file
    render = "--render" in options
    grids = [options[i + 1] for i, option in enumerate(options) if option == "--grid"]
    for entry, point in zip(json.loads((expected / "variants.json").read_text()),
                            itertools.product(*[_values(g) for g in grids])):
        assert (expected / entry["file"]).read_text() == _apply_point(source.read_text(), point, render)


def _values(axis: str) -> list[str]:
    """An axis as one spec per value, its word kept (no value in these holds a comma)."""
    head, _, values = axis.partition("=")
    return [f"{head}={value}" for value in re.split(r"(?<!\\),", values)]


def _apply_point(text: str, specs: tuple[str, ...], render: bool = False) -> str:
    """What apply gives for one point: its specs planned in axis order."""
    parsers = {"set": parse_override, "env": parse_env, "args": parse_args}
    document = taskpatch.loads(text)
    parsed = []
    for spec in specs:
        word, _, rest = spec.partition(" ")
        parsed.append(parsers[word](rest.replace("\\,", ",")) if word in parsers else parse_args(spec.replace("\\,", ",")))
    document.apply([*parsed, *([render_spec()] if render else [])])
    return document.text


def test_axis_params_are_named_by_their_target() -> None:
    out = taskpatch.variants(TEXT, grid=["set worker.replicas=2", "env ps:LR=1e-3", "env X=\\,", "args ps.n=3"])
    assert [params for params, _ in out] == [{"worker.replicas": 2, "ps:LR": "1e-3", "X": ",", "ps.n": 3}]


@pytest.mark.parametrize("shape", ["mapping", "string", "none", "set", "env", "render"])
def test_every_shape_is_planned_once(shape: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """A sweep of 30 variants plans once (the template), whatever its shape."""
    text = {"string": TEXT.replace("args:\n    batch_size: 32\n", "args: --data x\n"),
            "none": TEXT.replace("  args:\n    batch_size: 32\n", "")}.get(shape, TEXT)
    grid = {"set": ["set worker.replicas=" + ",".join(map(str, range(10))), "set ps.workdir=a,b,c"],
            "env": ["env worker:LR=" + ",".join(map(str, range(10))), "env B=a,b,c"]
            }.get(shape, ["worker.lr=" + ",".join(map(str, range(10))), "worker.steps=a,b,c"])
    plans = []
    real = sweep.make_plan
    monkeypatch.setattr(sweep, "make_plan", lambda *a, **k: plans.append(1) or real(*a, **k))
    out = list(taskpatch.variants(text, grid=grid, render=shape == "render"))
    assert len(out) == 30 and len(plans) == 1
    monkeypatch.undo()
    for params, variant in out:
        point = tuple(f"{axis.partition('=')[0]}={_shown(params, axis)}" for axis in grid)
        assert variant == _apply_point(text, point, shape == "render")


def _shown(params: dict[str, object], axis: str) -> str:
    name = axis.partition("=")[0].split(" ")[-1]
    return str(params[name])


def test_a_bare_axis_on_a_resource_field_warns(capfd: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    out = taskpatch.variants(TEXT, grid=["worker.replicas=1,2", "args worker.image=x", "set worker.replicas=3"])
    assert out.warnings == ["--grid 'worker.replicas=1,2' sets args (worker.args.replicas); 'replicas' is a resource "
                            "field: to vary it, write --grid 'set worker.replicas=1,2'"]
    assert [v for _, v in out][0] == taskpatch.patch_text(TEXT, overrides=["worker.replicas=3"],
                                                          args=["worker.replicas=1", "worker.image=x"])
    (tmp_path / "task.yaml").write_text(TEXT)
    assert main(["variants", str(tmp_path / "task.yaml"), "--grid", "worker.image=a,b", "-d", str(tmp_path / "o")]) == 0
    assert "taskpatch: warning: --grid 'worker.image=a,b' sets args" in capfd.readouterr().err


@pytest.mark.parametrize("axis,kind,column", [
    ("set worker..x=1,2", "spec syntax error", 12),
    ("env  1X=1,2", "spec syntax error", 6),
    ("set worker.replicas=1,x", "type error", 23),
    ("args wrker.lr=1", "selector error", 6),
    ("set ~worker.x", "type error", 5),
    ("worker.lr", "spec syntax error", 10),
])
def test_axis_errors_have_their_column_in_the_axis(tmp_path: Path, capfd: pytest.CaptureFixture[str], axis: str,
                                                   kind: str, column: int) -> None:
    (tmp_path / "task.yaml").write_text(TEXT)
    assert main(["variants", str(tmp_path / "task.yaml"), "--grid", axis, "-d", str(tmp_path / "o")]) == 2
    err = capfd.readouterr().err
    assert err.count("\n") == 1 and f": {kind}: " in err and err.rstrip().endswith(f", column {column}]"), err
    assert not (tmp_path / "o").exists()


@given(configs(), st.lists(st.tuples(st.sampled_from(["bare", "args", "set", "env"]), st.sampled_from(["*", *NAMES]),
                                     st.sampled_from(["lr", "replicas", "image", "resources.requests.cpu", "A"]),
                                     st.lists(GRID_VALUES.filter(lambda v: "," not in v), min_size=1, max_size=3)),
                           min_size=1, max_size=3), st.booleans())
def test_every_axis_kind_matches_apply(config, axes, render) -> None:
    """variants() == planning each point's specs separately (or both refuse)."""
    text = config.text
    grid = []
    for kind, sel, key, values in axes:
        target = (f"{sel}:{key}" if sel != "*" else key) if kind == "env" else f"{sel}.{key}"
        if kind == "env" and not re.fullmatch(r"[A-Za-z_][-._A-Za-z0-9]*", key):
            target = f"{sel}:A" if sel != "*" else "A"
        grid.append(("" if kind == "bare" else kind + " ") + f"{target}=" + ",".join(values))
    try:
        fast: list[str] | None = [variant for _, variant in taskpatch.variants(text, grid=grid, render=render)]
    except taskpatch.InternalError:
        raise
    except taskpatch.TaskpatchError:
        fast = None
    slow: list[str] | None = []
    for point in itertools.product(*[_values(g) for g in grid]):
        try:
            slow.append(_apply_point(text, point, render))  # type: ignore[union-attr]
        except taskpatch.InternalError:
            raise
        except taskpatch.TaskpatchError:
            slow = None
            break
    assert fast == slow


@pytest.mark.parametrize("text,axis,render", [
    ("resources:\n- name: w\n  lr:\n  x: 1\n", "set w.lr=,1", False),  # a null written as nothing (fuzzer seed 3043290)
    ("resources:\n- name: w\n  lr: |\n    a\n", "set w.lr=a\n,b", False),
    ("resources:\n- name: w\n  lr: &a 1\n  b: *a\n", "set w.lr=1,2", False),
    ("resources:\n- name: w\n  args: --lr 1 --x 2\n", "w.lr=1,2", False),
    ("resources:\n- name: w\n  args: --x '1\n", "w.lr=1,2", False),
    ("resources:\n- name: w\n  command: [python, x.py]\n  args: {a: 1}\n", "w.lr=1,a b", True),
    ("resources:\n- name: w\n  command: \"python x.py\\n\"\n  args: {a: 1}\n", "w.lr=1,a b", True),
    ("resources:\n- name: w\n  command: 'python x.py'\n  args: {a: 1}\n", "w.lr=1,it's", True),
    ("resources:\n- name: w\n  command: python x.py\n", "w.lr=1,a: b,#c,x:", True),
    ("resources:\n- name: w\n  env:\n  - name: A\n    valueFrom: {x: 1}\n", "env A=1,2", False),
    ("resources:\n- name: w\n  env: [{name: A, value: '1'}]\n", "env w:A=1,2,'3'", False),
    ("resources:\n- {name: w, replicas: 1}\n", "set w.replicas=1,2,x", False),
])
def test_edge_cases_match_apply(text: str, axis: str, render: bool) -> None:
    """Each variant is what apply gives for its point, or both refuse alike."""
    try:
        fast: list[str] | None = [variant for _, variant in taskpatch.variants(text, grid=[axis], render=render)]
    except taskpatch.TaskpatchError as exc:
        fast, fast_error = None, str(exc)
    slow: list[str] | None = []
    for point in _values(axis):
        try:
            slow.append(_apply_point(text, (point,), render))  # type: ignore[union-attr]
        except taskpatch.TaskpatchError as exc:
            slow, slow_error = None, str(exc)
            break
    assert fast == slow
    if fast is None:
        assert fast_error.split(" [spec")[0] == slow_error.split(" [spec")[0]


def test_set_axes_take_plus_and_flow_values() -> None:
    """Issue 11 in grid axes: `+` creates a near miss; a flow value is a collection, as apply writes it."""
    out = list(taskpatch.variants(TEXT, grid=["set +ps.image=a,b", "set ps.command=[python\\, x.py]"]))
    assert [params for params, _ in out] == [{"ps.image": "a", "ps.command": "[python, x.py]"},
                                             {"ps.image": "b", "ps.command": "[python, x.py]"}]
    assert [text for _, text in out] == [taskpatch.patch_text(TEXT, overrides=[f"+ps.image={v}",
                                                                               "ps.command=[python, x.py]"])
                                         for v in "ab"]
    with pytest.raises(taskpatch.PathError, match=r"ps has no key 'image'; did you mean 'images'\?"):
        list(taskpatch.variants(TEXT, grid=["set ps.image=a,b"]))

"""Inputs that used to end in an internal error (exit 3) or in invalid
output, and now have a defined behaviour. Bad input among them is in
``test_error_catalogue.py``; these are the ones taskpatch accepts."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import taskpatch
from taskpatch.cli import main
from taskpatch.scalars import BigInt

HUGE = "1" * 5000  # over Python's 4,300-digit limit for int() and str()


def _json(text: str) -> Any:
    """Strict JSON: NaN and Infinity are not JSON, so they fail here."""
    def refuse(constant: str) -> None:
        raise ValueError(f"not JSON: {constant}")

    return json.loads(text, parse_constant=refuse)


def _cli(capfd: pytest.CaptureFixture[str], *argv: str) -> str:
    code = main(list(argv))
    out, err = capfd.readouterr()
    assert code == 0, err
    return out


# -- integers over 4,300 digits ------------------------------------------------

def test_huge_ints_in_the_file_are_kept_as_written(tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    source = tmp_path / "task.yaml"
    source.write_text(f"resources:\n- name: w\n  replicas: {HUGE}\n  x: 0{HUGE}\n  y: 1\n")
    out = _cli(capfd, "apply", str(source), "-s", "w.y=2", "-s", "w.x=3")
    assert out == f"resources:\n- name: w\n  replicas: {HUGE}\n  x: 3\n  y: 2\n"
    plan = _json(_cli(capfd, "plan", str(source), "-s", "w.replicas=2", "--format", "json"))
    assert plan["operations"][0]["old"] == HUGE  # JSON readers in Python refuse such a number: a string


@pytest.mark.parametrize("spec,written", [
    (f"w.replicas=00{HUGE}", HUGE),  # a count: plain decimal
    (f"w.x={HUGE}", HUGE),
    (f"w.x=-{HUGE}", f"-{HUGE}"),
    (f"w.x=0x{HUGE}", f"0x{HUGE}"),  # hex has no digit limit, and both YAML versions read it
    ("w.x=0o" + "7" * 5000, "0x" + "f" * 3750),  # YAML 1.1 reads 0o as a string
])
def test_huge_ints_in_specs_are_written_as_given(spec: str, written: str) -> None:
    text = "resources:\n- name: w\n  x: 1\n"
    doc = taskpatch.loads(text)
    doc.apply_resource_overrides([spec])
    key = spec.split("=")[0].split(".")[1]
    assert f"  {key}: {written}\n" in doc.text
    assert doc.data["resources"][0][key] == BigInt(written) or written.startswith("0x")


def test_a_float_field_given_huge_digits_is_inf_as_float_makes_them() -> None:
    text = "resources:\n- name: w\n  lr: 0.1\n"
    assert taskpatch.patch_text(text, overrides=[f"w.lr=-{HUGE}"]) == "resources:\n- name: w\n  lr: -.inf\n"


def test_huge_ints_in_args_render_as_their_digits() -> None:
    text = f"resources:\n- name: w\n  command: run\n  args: {{n: {HUGE}}}\n"
    assert taskpatch.patch_text(text, args=[f"w.m=-{HUGE}"], render=True) == (
        f"resources:\n- name: w\n  command: run --m -{HUGE} --n {HUGE}\n")


def test_huge_ints_from_the_library() -> None:
    doc = taskpatch.loads("resources:\n- name: w\n")
    doc.set_args("w", {"k": BigInt(HUGE)})
    assert doc.text.endswith(f"  args:\n    k: {HUGE}\n")
    with pytest.raises(taskpatch.ValueTypeError, match="BigInt"):
        doc.set_args("w", {"k": 10 ** 5000})


# -- JSON output: NaN and infinities --------------------------------------------

def test_plan_json_is_valid_for_nan_and_infinities(tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    source = tmp_path / "task.yaml"
    source.write_text("resources:\n- name: w\n  x: .nan\n  y: -.inf\n")
    argv = [str(source), "-s", "w.x=1", "-s", "w.y=.inf", "-s", "w.z=.NaN", "-s", "w.s='.nan'"]
    ops = {op["path"]: op for op in _json(_cli(capfd, "plan", *argv, "--format", "json"))["operations"]}
    assert (ops["x"]["old"], ops["y"]["old"], ops["y"]["new"], ops["z"]["new"]) == (".nan", "-.inf", ".inf", ".nan")
    table = _cli(capfd, "plan", *argv)
    assert ".nan → 1.0" in table and "(absent) → .nan " in table and "(absent) → \".nan\"" in table


def test_variants_json_is_valid_for_nan(tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    source = tmp_path / "task.yaml"
    source.write_text("resources:\n- name: w\n  args: {a: 1}\n")
    transforms = tmp_path / "t.yaml"
    transforms.write_text("- {w: {lr: .nan, m: -.inf}}\n")
    _cli(capfd, "variants", str(source), "--transforms", str(transforms), "--grid", "w.b=.inf", "-d",
         str(tmp_path / "out"))
    assert _json((tmp_path / "out" / "variants.json").read_text())[0]["params"] == {
        "w.lr": ".nan", "w.m": "-.inf", "w.b": ".inf"}
    # a float from the transforms is written as YAML reads it back, not as Python's `nan`
    assert (tmp_path / "out" / "task-001.yaml").read_text().endswith("  args: {a: 1, lr: .nan, m: -.inf, b: .inf}\n")


# -- nesting: bounded where it is made, so recursive walks stay in bounds ----

def test_a_path_may_nest_to_the_limit_and_the_result_reads_back() -> None:
    path = ".".join(f"k{i}" for i in range(98))  # the deepest mapping: 2 (resource) + 97 = 99
    once = taskpatch.patch_text("resources:\n- name: w\n", overrides=[f"w.{path}=1"], render=True)
    assert taskpatch.patch_text(once, overrides=[f"w.{path}=1"]) == once
    with pytest.raises(taskpatch.PathError, match="more than 100 levels"):
        taskpatch.patch_text(once, overrides=[f"w.{path}.more=1"])


def test_set_args_values_too_deep_or_cyclic_are_refused() -> None:
    deep: Any = 1
    for _ in range(200):
        deep = {"a": deep}
    cyclic: list[Any] = []
    cyclic.append(cyclic)
    for value in (deep, cyclic):
        doc = taskpatch.loads("resources:\n- name: w\n")
        with pytest.raises(taskpatch.ValueTypeError, match="more than 100 levels"):
            doc.set_args("w", value)
        assert doc.text == "resources:\n- name: w\n"


# -- bytes that are not UTF-8 on the command line ------------------------------

def test_non_utf8_values_are_refused_by_info_set_and_serve(tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    info = tmp_path / "info.json"
    mlapp = str(Path(__file__).resolve().parent.parent / "examples" / "mlapp.yaml")
    for argv in (["info", "set", str(info), "model_path=/m/caf\udce9"],
                 ["serve", mlapp, "--serving", "serv", "--task", "model", "--var", "model_path=/m",
                  "--build", "3\udce9"]):
        assert main(argv) == 2
        err = capfd.readouterr().err
        assert err.count("\n") == 1 and "not UTF-8 text (byte 0xe9)" in err and ", column " in err
    assert not info.exists()


def test_a_non_utf8_file_name_is_written_as_its_bytes(tmp_path: Path, capfdbinary: pytest.CaptureFixture[bytes]) -> None:
    source = tmp_path / "caf\udce9.yaml"  # the file name's bytes: caf, 0xe9
    source.write_text("resources:\n- name: w\n")
    assert main(["apply", str(source), "-e", "A=1", "--diff"]) == 0
    assert b"+++ b/" + str(source).lstrip("/").encode("utf-8", "surrogateescape") + b"\n" in capfdbinary.readouterr().out

"""One fuzz case: generate, patch, and check four things.

1. The output reads back, with ruamel.yaml and with PyYAML, as the model's
   data (PyYAML only where it reads the input as ruamel.yaml does: a 1.1
   reader sees `1e3` differently, which is the input's business).
2. Input lines outside the edited paths come out byte-identical.
3. Patching the output again changes nothing.
4. Bad input (the model refuses, or a broken spec or file) exits 2 with one
   positioned line per error, and leaves the file untouched.

``run_case(seed)`` returns an ``Outcome``; ``failure`` is None when every
check held, else a report with everything needed to reproduce it.
"""

from __future__ import annotations

import contextlib
import copy
import difflib
import io
import math
import os
import random
import tempfile
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import yaml as pyyaml
from ruamel.yaml import YAML

import taskpatch
from taskpatch.cli import main
from taskpatch.spec_ast import ArgsSpec, EnvSpec, Index, ItemFilter, Key, SetSpec, UnsetSpec
from taskpatch.spec_parser import parse_args, parse_env, parse_override
from taskpatch.verify import VerificationError

from .generate import Config, gen_config, gen_specs, render_choices
from .gotemplate import render as render_template
from .model import Model, Refused, SpecValue, Step

PARSERS = {"env": parse_env, "set": parse_override, "unset": parse_override, "args": parse_args}
FLAGS = {"env": "-e", "set": "-s", "unset": "-s", "args": "-a"}


@dataclass
class Outcome:
    seed: int
    result: str  # "patched", "refused", "both refused", "skipped"
    failure: str | None = None
    checks: list[str] = field(default_factory=list)


def ruamel_load(text: str) -> Any:
    return YAML(typ="safe", pure=False).load(text)


def same_data(a: Any, b: Any) -> bool:
    """Type-strict equality: 1, 1.0 and True differ; NaN equals NaN."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return list(a) == list(b) and all(same_data(a[k], b[k]) for k in a) if set(a) == set(b) else False
    if isinstance(a, list):
        return len(a) == len(b) and all(same_data(x, y) for x, y in zip(a, b))
    if isinstance(a, float) and math.isnan(a):
        return math.isnan(b)
    return bool(a == b)


def same_unordered(a: Any, b: Any) -> bool:
    """As ``same_data``, but mapping order is free (a re-added key moves)."""
    if isinstance(a, dict) and isinstance(b, dict):
        return set(a) == set(b) and all(same_unordered(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same_unordered(x, y) for x, y in zip(a, b))
    return same_data(a, b)


def resource_groups(data: Any, mlapp: bool) -> list[tuple[tuple[Any, ...], list[dict]]]:
    """The resource lists, as taskpatch finds them (none where a rendering lost them)."""
    try:
        if mlapp:
            return [(("spec", "tasks", i, "resources"), t["resources"]) for i, t in enumerate(data["spec"]["tasks"])
                    if isinstance(t.get("resources"), list)]
        return [(("resources",), data["resources"])] if isinstance(data["resources"], list) else []
    except (TypeError, KeyError, AttributeError):
        return []


def to_model_step(step: Any) -> Step:
    if isinstance(step, Key):
        return Step(key=step.name)
    if isinstance(step, Index):
        return Step(index=step.position)
    assert isinstance(step, ItemFilter)
    return Step(filter=(step.key, step.value))


def apply_model(model: Model, specs: list[Any], render: bool) -> None:
    for spec in specs:
        selector = None if spec.selector is None else spec.selector.pattern
        if isinstance(spec, EnvSpec):
            model.env(selector, spec.name, spec.value)
        elif isinstance(spec, SetSpec):
            model.set(selector, [to_model_step(s) for s in spec.path], SpecValue(spec.value.text, spec.value.quoted))
        elif isinstance(spec, UnsetSpec):
            model.unset(selector, [to_model_step(s) for s in spec.path])
        else:
            assert isinstance(spec, ArgsSpec)
            model.args(selector, None if spec.key is None else spec.key.name,
                       SpecValue(spec.value.text, spec.value.quoted))
    if render:
        model.render()


def touched_paths(specs: list[Any], groups: list[tuple[tuple[Any, ...], list[dict]]],
                  render: bool) -> list[tuple[Any, ...]]:
    """Data paths whose lines the specs may change."""
    paths = []
    for base, resources in groups:
        for i, resource in enumerate(resources):
            here = base + (i,)
            for spec in specs:
                if isinstance(spec, EnvSpec):
                    paths.append(here + ("env",))
                elif isinstance(spec, ArgsSpec):
                    paths.append(here + ("args",))
                else:
                    keys: list[Any] = []
                    for step in spec.path:
                        if not isinstance(step, Key):
                            break
                        keys.append(step.name)
                    paths.append(here + tuple(keys))
            if render:
                paths += [here + ("args",), here + ("command",)]
    return paths


def line_may_change(path: tuple[Any, ...], content: bool, touched: list[tuple[Any, ...]]) -> bool:
    for t in touched:
        if path[: len(t)] == t:
            return True  # inside an edited subtree
        if content and path and t[: len(path)] == path:
            return True  # an ancestor's own line: `key: {}` filled in, a flow collection edited
    return False


def check_locality(config: Config, source: str, output: str, touched: list[tuple[Any, ...]]) -> str | None:
    nl = config.style.newline
    old_lines = source[len(config.style.bom):].split(nl)
    new_lines = output[len(config.style.bom):].split(nl)
    tags = [(path, bool(text.strip()) and not text.lstrip().startswith(("#", "{{"))) for text, path in config.lines]
    tags += [((), False)] * (len(old_lines) - len(tags))
    opcodes = difflib.SequenceMatcher(None, old_lines, new_lines, autojunk=False).get_opcodes()
    # A key deleted and added again comes back at the end of its mapping,
    # so an untouched sibling may show as removed and re-added.
    added = Counter(line for op, _, _, j1, j2 in opcodes if op != "equal" for line in new_lines[j1:j2])
    # Deleting an item's first key moves the next key up onto the `- ` line:
    # that line's content is unchanged.
    added.update(_undashed(line) for op, _, _, j1, j2 in opcodes if op != "equal" for line in new_lines[j1:j2]
                 if line.lstrip(" ").startswith("-"))
    for op, i1, i2, _, _ in opcodes:
        for i in range(i1, i2) if op in ("replace", "delete") else ():
            if added[old_lines[i]] > 0:
                added[old_lines[i]] -= 1
                continue
            path, content = tags[i]
            if not line_may_change(path, content, touched):
                return f"line {i + 1} changed but no spec addresses {path}: {old_lines[i]!r}"
    return None


def _undashed(line: str) -> str:
    """`  - image: x` as the line `    image: x` it came from."""
    dash = line.index("-")
    rest = line[dash + 1 :]
    return " " * (dash + 1 + len(rest) - len(rest.lstrip(" "))) + rest.lstrip(" ")


def first_difference(a: Any, b: Any, path: tuple[Any, ...] = ()) -> str:
    """Where two data trees first differ, for reports."""
    if isinstance(a, dict) and isinstance(b, dict):
        for key in list(a) + [k for k in b if k not in a]:
            if key not in a or key not in b:
                return f"at {path + (key,)}: {a.get(key, '(absent)')!r} vs {b.get(key, '(absent)')!r}"
            if not same_unordered(a[key], b[key]):
                return first_difference(a[key], b[key], path + (key,))
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        for i, (x, y) in enumerate(zip(a, b)):
            if not same_unordered(x, y):
                return first_difference(x, y, path + (i,))
    return f"at {path}: {a!r} vs {b!r}"


def run_cli(text: str, specs: list[tuple[str, str]], render: bool) -> tuple[int, str, str]:
    """``apply -i`` on a temporary file: (exit code, stderr, the file afterwards)."""
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "config.yaml")
        with open(path, "wb") as handle:
            handle.write(text.encode("utf-8"))
        argv = ["apply", path, "-i"] + [a for kind, spec in specs for a in (FLAGS[kind], spec)]
        argv += ["--render"] if render else []
        err = io.StringIO()
        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.TextIOWrapper(io.BytesIO())):
            try:
                code = main(argv)
            except SystemExit as exc:
                code = int(exc.code or 0)
        with open(path, "rb") as handle:
            after = handle.read().decode("utf-8")
        leftovers = [n for n in os.listdir(folder) if n != "config.yaml"]
        if leftovers:
            return 99, f"left behind: {leftovers}", after
        return code, err.getvalue(), after


def patch(text: str, specs: list[Any], render: bool, warnings: list[str] | None = None) -> str:
    document = taskpatch.loads(text)
    document.apply(specs + ([taskpatch.document.render_spec()] if render else []))
    if warnings is not None:
        warnings += document.warnings
    return document.text


def run_case(seed: int, cli_every: int = 4) -> Outcome:
    rng = random.Random(seed)
    config = gen_config(rng)
    source = config.text
    renders = render_choices(rng, config.template_vars) if config.template else [{}]
    try:
        # A template's data is its rendering: the first choice (every
        # condition on) gives the names; each choice is checked below.
        data = ruamel_load(render_template(source, renders[0]) if config.template else source)
    except Exception as exc:  # noqa: BLE001 - the generator's own slip: not a taskpatch case
        return Outcome(seed, "skipped", checks=[f"generator wrote invalid YAML: {exc}"])
    groups = resource_groups(data, config.mlapp)
    names = sorted({str(r.get("name")) for _, rs in groups for r in rs if isinstance(r, dict)})
    spec_texts = gen_specs(rng, names)
    render = rng.random() < 0.2
    try:
        specs = [PARSERS[kind](text, FLAGS[kind]) for kind, text in spec_texts]
    except taskpatch.TaskpatchError as exc:
        return Outcome(seed, "skipped", checks=[f"spec did not parse: {exc}"])

    def report(problem: str, output: str | None = None) -> Outcome:
        lines = [f"seed {seed}: {problem}", f"specs: {spec_texts}{' --render' if render else ''}",
                 f"input: {source!r}"]
        if output is not None:
            lines.append(f"output: {output!r}")
        return Outcome(seed, "failed", "\n".join(lines))

    expected_refusal = None
    expected = copy.deepcopy(data)
    try:
        apply_model(Model(expected, [rs for _, rs in resource_groups(expected, config.mlapp)]), specs, render)
    except Refused as exc:
        expected_refusal = str(exc)
    either = config.anchors or config.template  # the model does not predict every refusal there

    warnings: list[str] = []
    try:
        output = patch(source, specs, render, warnings)
    except VerificationError as exc:
        return report(f"verification refused the patched text: {exc}")
    except taskpatch.TaskpatchError as exc:
        if expected_refusal is None and not either:
            return report(f"taskpatch refused, the model did not: {exc}")
        outcome = Outcome(seed, "both refused" if expected_refusal else "refused")
        if seed % cli_every == 0:
            code, err, after = run_cli(source, spec_texts, render)
            if code != 2 or after != source or "Traceback" in err or not err.strip():
                return report(f"CLI on bad input: exit {code}, file changed: {after != source}, stderr {err!r}")
            outcome.checks.append("cli refusal")
        return outcome
    except Exception as exc:  # noqa: BLE001 - a crash is the finding
        import traceback

        return report(f"crash: {type(exc).__name__}: {exc}\n{traceback.format_exc()}")
    if expected_refusal is not None and not config.template:
        return report(f"taskpatch patched, the model refuses ({expected_refusal})", output)

    # 1. meaning
    if config.template:
        problem = check_renders(source, output, renders, specs, render, config.mlapp, warnings)
        if problem:
            return report(problem, output)
        return finish(seed, config, source, output, specs, render, expected, report, cli_every, spec_texts,
                      groups, templated=True)
    try:
        read = ruamel_load(output)
    except Exception as exc:  # noqa: BLE001
        return report(f"output does not parse: {exc}", output)
    if not same_unordered(read, expected):
        return report(f"output differs from the model {first_difference(read, expected)}", output)
    if same_data(_safe_pyyaml(source), data):  # a 1.1 reader agrees on the input: it must on the output
        try:
            read_11 = pyyaml.safe_load(output)
        except pyyaml.YAMLError as exc:
            return report(f"PyYAML cannot read the output: {exc}", output)
        if not same_unordered(read_11, expected):
            return report(f"PyYAML reads the output unlike the model {first_difference(read_11, expected)}", output)
    return finish(seed, config, source, output, specs, render, expected, report, cli_every, spec_texts, groups)


def check_renders(source: str, output: str, renders: list[dict[str, Any]], specs: list[Any], render: bool,
                  mlapp: bool, warnings: list[str]) -> str | None:
    """For each choice of template values: rendering the output gives what the
    model gives on the rendered input."""
    if any("only when that branch renders" in w for w in warnings):
        return None  # a key added inside one branch: taskpatch said so
    for values in renders:
        try:
            data = ruamel_load(render_template(source, values))
        except Exception:  # noqa: BLE001 - this rendering is not YAML (the generator's doing)
            continue
        expected = copy.deepcopy(data)
        groups = [rs for _, rs in resource_groups(expected, mlapp)]
        if not groups:
            continue
        try:
            apply_model(Model(expected, groups), specs, render)
        except Refused:
            continue
        try:
            read = ruamel_load(render_template(output, values))
        except Exception as exc:  # noqa: BLE001
            return f"the output rendered with {values} does not parse: {exc}"
        if not same_unordered(read, expected):
            return f"the output rendered with {values} differs from the model {first_difference(read, expected)}"
    return None


def finish(seed: int, config: Config, source: str, output: str, specs: list[Any], render: bool, expected: Any,
           report: Any, cli_every: int, spec_texts: list[tuple[str, str]],
           groups: list[tuple[tuple[Any, ...], list[dict]]], templated: bool = False) -> Outcome:
    """Checks 2 to 4, once the meaning is right."""
    # 2. locality and kept style
    problem = check_locality(config, source, output, touched_paths(specs, groups, render))
    if problem:
        return report(problem, output)
    if config.style.newline == "\r\n" and output.count("\n") != output.count("\r\n"):
        return report("line endings mixed", output)
    if output.endswith(("\n", "\r")) != source.endswith(("\n", "\r")) or not output.startswith(config.style.bom):
        return report("final newline or BOM not kept", output)
    # 3. idempotence, where the specs are idempotent as data (render is not,
    # nor a spec whose path a later spec replaces by a scalar)
    if not render and _model_idempotent(expected, specs, config.mlapp):
        outcome_checks = ["meaning", "locality", "idempotence"]
    else:
        outcome_checks = ["meaning", "locality"]
    try:
        again = patch(output, specs, render)
    except taskpatch.TaskpatchError as exc:
        if "idempotence" in outcome_checks or isinstance(exc, VerificationError):
            return report(f"patching the output again failed: {exc}", output)
        again = output
    except Exception as exc:  # noqa: BLE001
        return report(f"patching the output again crashed: {exc}", output)
    if again != output and "idempotence" in outcome_checks:
        return report(f"patching twice differs from once: {again!r}", output)
    outcome = Outcome(seed, "patched", checks=outcome_checks)
    # 4. the CLI writes exactly the library's text
    if seed % cli_every == 0:
        code, err, after = run_cli(source, spec_texts, render)
        if code != 0 or after != output:
            return report(f"CLI -i: exit {code}, stderr {err!r}, file {after!r}", output)
        outcome.checks.append("cli")
    return outcome


def _model_idempotent(expected: Any, specs: list[Any], mlapp: bool) -> bool:
    twice = copy.deepcopy(expected)
    try:
        apply_model(Model(twice, [rs for _, rs in resource_groups(twice, mlapp)]), specs, False)
    except Refused:
        return False
    return same_data(twice, expected)


def _safe_pyyaml(text: str) -> Any:
    try:
        return pyyaml.safe_load(text)
    except pyyaml.YAMLError:
        return object()

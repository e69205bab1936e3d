"""One fuzz case: generate, patch, and check four things.

1. The output reads back, with ruamel.yaml and with PyYAML, as the model's
   data (PyYAML only where it reads the input as ruamel.yaml does: a 1.1
   reader sees `1e3` differently, which is the input's business). A Go
   template is rendered first, both ways, for several choices of values.
2. Input lines outside the edited paths come out byte-identical.
3. Patching the output again changes nothing (where the specs are
   idempotent as data).
4. Bad input (the model refuses, or the file was corrupted) exits 2 with one
   positioned line per error, and leaves the file untouched.

``run_case(seed)`` returns an ``Outcome``; ``failure`` is None when every
check held, else a report with everything needed to reproduce it.
"""

from __future__ import annotations

import contextlib
import copy
import io
import math
import os
import random
import re
import tempfile
import traceback
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import yaml as pyyaml
from ruamel.yaml import YAML

import taskpatch
from taskpatch.cli import main
from taskpatch.document import render_spec
from taskpatch.spec_ast import ArgsSpec, EnvSpec, Index, ItemFilter, Key, SetSpec, UnsetSpec
from taskpatch.spec_parser import parse_args, parse_env, parse_override
from taskpatch.verify import VerificationError

from .generate import K8S_CONTAINERS, Config, gen_config, gen_specs, render_choices
from .gotemplate import render as render_template
from .model import Model, Refused, SpecValue, Step, Unmodelled, flow, is_flow

PARSERS = {"env": parse_env, "set": parse_override, "unset": parse_override, "args": parse_args}
FLAGS = {"env": "-e", "set": "-s", "unset": "-s", "args": "-a"}
LONG_FLAGS = {"env": "--env", "set": "--set", "unset": "--set", "args": "--args"}
Groups = list[tuple[tuple[Any, ...], list[dict]]]
_CHOMPED = re.compile(r"([:-] (?:&\S+ )?[|>])(-)(\s*(?:#.*)?)$")


@dataclass
class Outcome:
    seed: int
    result: str  # "patched", "refused", "both refused", "bad input", "skipped", "failed"
    failure: str | None = None
    checks: list[str] = field(default_factory=list)
    traits: list[str] = field(default_factory=list)  # what the input had: template, anchors, crlf...


class Failed(Exception):
    """A check did not hold: the message says which and how."""


# -- data -----------------------------------------------------------------------

def ruamel_load(text: str) -> list[Any]:
    return list(YAML(typ="safe", pure=False).load_all(text))


def pyyaml_load(text: str) -> Any:
    try:
        return list(pyyaml.safe_load_all(text))
    except pyyaml.YAMLError:
        return object()  # equal to nothing


def same_data(a: Any, b: Any) -> bool:
    """Type-strict equality: 1, 1.0 and True differ; NaN equals NaN."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return set(a) == set(b) and all(same_data(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(same_data(x, y) for x, y in zip(a, b))
    if isinstance(a, float) and math.isnan(a):
        return math.isnan(b)
    return bool(a == b)


def first_difference(a: Any, b: Any, path: tuple[Any, ...] = ()) -> str:
    """Where two data trees first differ, for reports."""
    if isinstance(a, dict) and isinstance(b, dict):
        for key in list(a) + [k for k in b if k not in a]:
            if key not in a or key not in b:
                return f"at {path + (key,)}: {a.get(key, '(absent)')!r} vs {b.get(key, '(absent)')!r}"
            if not same_data(a[key], b[key]):
                return first_difference(a[key], b[key], path + (key,))
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        for i, (x, y) in enumerate(zip(a, b)):
            if not same_data(x, y):
                return first_difference(x, y, path + (i,))
    return f"at {path}: {a!r} vs {b!r}"


def resource_groups(documents: list[Any], layout: str) -> Groups:
    """The resource lists taskpatch patches, with their data paths."""
    groups: Groups = []
    for number, document in enumerate(documents):
        try:
            if layout == "k8s":
                found = [((number, "spec", "template", "spec", "containers"),
                          document["spec"]["template"]["spec"]["containers"])]
            elif layout == "mlapp":
                found = [((number, "spec", "tasks", i, "resources"), task["resources"])
                         for i, task in enumerate(document["spec"]["tasks"])]
            else:
                found = [((number, "resources"), document["resources"])]
        except (TypeError, KeyError, AttributeError):
            continue  # a rendering without them
        groups += [(path, items) for path, items in found if isinstance(items, list)]
    return groups


def apply_model(documents: list[Any], layout: str, specs: list[Any], render: bool) -> None:
    """The model's idea of the specs, applied to ``documents`` in place."""
    model = Model(documents, [items for _, items in resource_groups(documents, layout)], containers=layout == "k8s")
    for spec in specs:
        selector = None if spec.selector is None else spec.selector.pattern
        if isinstance(spec, EnvSpec):
            model.env(selector, spec.name, spec.value)
        elif isinstance(spec, SetSpec):
            model.set(selector, [_step(s) for s in spec.path], SpecValue(spec.value.text, spec.value.quoted),
                      spec.force)
        elif isinstance(spec, UnsetSpec):
            model.unset(selector, [_step(s) for s in spec.path])
        else:
            assert isinstance(spec, ArgsSpec)
            model.args(selector, None if spec.key is None else spec.key.name,
                       SpecValue(spec.value.text, spec.value.quoted))
    if render:
        model.render()


def _step(step: Any) -> Step:
    if isinstance(step, Key):
        return Step(key=step.name)
    if isinstance(step, Index):
        return Step(index=step.position)
    assert isinstance(step, ItemFilter)
    return Step(filter=(step.key, step.value))


def modelled(documents: list[Any], layout: str, specs: list[Any], render: bool) -> list[Any]:
    """A copy of ``documents`` with the model applied; raises Refused."""
    result = copy.deepcopy(documents)
    apply_model(result, layout, specs, render)
    return result


# -- lines --------------------------------------------------------------------------

def touched_paths(specs: list[Any], groups: Groups, render: bool) -> list[tuple[Any, ...]]:
    """Data paths whose lines the specs may change."""
    paths = []
    for base, resources in groups:
        for i in range(len(resources)):
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
                    if isinstance(spec, UnsetSpec) and len(keys) > 1:
                        paths.append(here + tuple(keys[:-1]))  # emptied, it becomes `{}`, comments and all
            if render:
                paths += [here + ("args",), here + ("command",)]
    return paths


def line_may_change(path: tuple[Any, ...], content: bool, touched: list[tuple[Any, ...]]) -> bool:
    for t in touched:
        if path[: len(t)] == t:
            return True  # inside an edited subtree
        if content and len(path) > 1 and t[: len(path)] == path:
            return True  # an ancestor's own line: `key: {}` filled in, a flow collection edited
    return False


def _undashed(line: str) -> str:
    """`  - image: x` as the line `    image: x` it came from."""
    dash = line.index("-")
    rest = line[dash + 1 :]
    return " " * (dash + 1 + len(rest) - len(rest.lstrip(" "))) + rest.lstrip(" ")


def check_locality(config: Config, source: str, output: str, touched: list[tuple[Any, ...]]) -> None:
    """Every input line the output lost belongs to a path the specs address.

    Counted per line text, so that how a diff pairs up identical lines
    (blank lines, repeated comments) does not matter: for each text, the
    copies lost must be at most the copies the specs may change. A line
    that moved keeps its text, and one whose key moved up onto a `- ` is
    counted in its old form."""
    nl = config.style.newline
    old_lines = source[len(config.style.bom):].removesuffix(nl).split(nl)
    new_lines = output[len(config.style.bom):].removesuffix(nl).split(nl)
    tags = [(path, bool(text.strip()) and not text.lstrip().startswith(("#", "{{", "---")))
            for text, path in config.lines]
    tags += [((), False)] * (len(old_lines) - len(tags))
    kept = Counter(new_lines)
    kept.update(_undashed(line) for line in new_lines if line.lstrip(" ").startswith("- "))
    # A block scalar that ended the file may switch to `-` chomping (so lines
    # added after it leave its value alone): its header line is unchanged.
    kept.update(_CHOMPED.sub(r"\1\3", line) for line in new_lines if _CHOMPED.search(line))
    kept.update(_CHOMPED.sub(r"\1+\3", line) for line in new_lines if _CHOMPED.search(line))
    may_change = Counter(line for line, (path, content) in zip(old_lines, tags)
                         if line_may_change(path, content, touched))
    survivor = next((line for line in reversed(new_lines) if line in old_lines), None)
    if not source.endswith(("\n", "\r")) and survivor is not None:
        # The file ends without a line break: blank lines between the last
        # line it keeps (lines may be added after it) and deleted lines after
        # it go with them.
        last = len(old_lines) - 1 - old_lines[::-1].index(survivor)
        may_change[""] += next((n for n, line in enumerate(old_lines[last + 1 :]) if line.strip()), 0)
    for text, count in Counter(old_lines).items():
        lost = count - kept[text]
        if lost > may_change[text]:
            i = next(n for n, line in enumerate(old_lines) if line == text and not line_may_change(*tags[n], touched))
            raise Failed(f"line {i + 1} changed but no spec addresses {tags[i][0]}: {text!r}")


# -- running taskpatch ----------------------------------------------------------------

def run_cli(text: str, argv: list[str]) -> tuple[int, str, str]:
    """``apply FILE -i ARGV`` on a temporary file: (exit code, stderr, the file afterwards)."""
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "config.yaml")
        with open(path, "wb") as handle:
            handle.write(text.encode("utf-8"))
        err = io.StringIO()
        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.TextIOWrapper(io.BytesIO())):
            try:
                code = main(["apply", path, "-i", *argv])
            except SystemExit as exc:
                code = int(exc.code or 0)
        with open(path, "rb") as handle:
            after = handle.read().decode("utf-8")
        leftovers = [n for n in os.listdir(folder) if n != "config.yaml"]
        return (99 if leftovers else code), err.getvalue() + (f"left behind: {leftovers}" if leftovers else ""), after


def check_refusal(text: str, argv: list[str]) -> None:
    """Bad input through the CLI: exit 2, one line per error, file untouched."""
    code, err, after = run_cli(text, argv)
    lines = err.splitlines()
    if code != 2 or after != text or "Traceback" in err or not lines or not all(
            ": " in line and ("error" in line or "not a task config" in line) for line in lines):
        raise Failed(f"bad input through the CLI: exit {code}, file changed: {after != text}, stderr {err!r}")


class Case:
    def __init__(self, seed: int, cli_every: int) -> None:
        self.seed, self.cli_every = seed, cli_every
        rng = self.rng = random.Random(seed)
        self.config = gen_config(rng)
        self.source = self.config.text
        self.corrupted = rng.random() < 0.06
        if self.corrupted:
            self.source = corrupt(rng, self.source)
        self.renders = render_choices(rng, self.config.template_vars) if self.config.template else [{}]
        self.layout = self.config.layout
        self.options = {"resources": K8S_CONTAINERS} if self.layout == "k8s" else {}
        self.spec_texts: list[tuple[str, str]] = []
        self.render = False
        self.output: str | None = None

    def traits(self) -> list[str]:
        config, style = self.config, self.config.style
        found = [self.layout] + [name for name, present in [
            ("template", config.template), ("aliases", config.anchors), ("anchors", "&" in self.source),
            ("corrupted", self.corrupted),
            ("crlf", style.newline == "\r\n"), ("bom", bool(style.bom)), ("no final newline", not style.final_newline),
            ("indentless", style.indentless), ("4-space", style.step == 4), ("render", self.render),
            ("documents", "\n---" in self.source), ("block scalar", any(t in self.source for t in (": |", ": >"))),
            ("flow", "{" in self.source or "[" in self.source), ("comments", "#" in self.source),
            ("explicit key", "? " in self.source)] if present]
        return found

    def report(self, problem: str) -> Outcome:
        lines = [f"seed {self.seed}: {problem}", f"specs: {self.spec_texts}{' --render' if self.render else ''}"
                 f"{' --resources ' + K8S_CONTAINERS if self.options else ''}", f"input: {self.source!r}"]
        if self.output is not None:
            lines.append(f"output: {self.output!r}")
        return Outcome(self.seed, "failed", "\n".join(lines))

    def argv(self) -> list[str]:
        # `--set=SPEC`: a spec may start with `-`, which argparse would take for an option
        argv = [f"{LONG_FLAGS[kind]}={spec}" for kind, spec in self.spec_texts]
        argv += ["--render"] if self.render else []
        return argv + (["--resources", K8S_CONTAINERS] if self.options else [])

    def patch(self, text: str, specs: list[Any], warnings: list[str] | None = None) -> str:
        document = taskpatch.loads(text, **self.options)
        document.apply(specs + ([render_spec()] if self.render else []))
        if warnings is not None:
            warnings += document.warnings
        return document.text

    def run(self) -> Outcome:
        config, source = self.config, self.source
        try:
            # A template's data is its rendering (every condition on, for the names).
            documents = ruamel_load(render_template(source, self.renders[0]) if config.template else source)
        except Exception:  # noqa: BLE001 - not YAML
            if not self.corrupted or config.template or "{{" in source or _parses(source):
                # The generator's slip, a broken template (it may still mask
                # to YAML), or YAML that plain data cannot hold (`? {a: 1}`).
                return Outcome(self.seed, "skipped", checks=["no plain data to compare with"])
            self.spec_texts = [("env", "A=1")]
            check_refusal(source, self.argv())
            return Outcome(self.seed, "bad input", checks=["cli refusal"])
        groups = resource_groups(documents, self.layout)
        names: list[str] = sorted({str(r.get("name")) for _, rs in groups for r in rs if isinstance(r, dict)})
        self.spec_texts = gen_specs(self.rng, names or ["w"])
        self.render = self.rng.random() < 0.2
        try:
            specs = [PARSERS[kind](text, FLAGS[kind]) for kind, text in self.spec_texts]
        except taskpatch.SpecSyntaxError as exc:
            if any(kind == "set" and bad_flow_value(text) for kind, text in self.spec_texts):
                check_refusal(source, self.argv())  # refused before the file is read
                return Outcome(self.seed, "both refused", checks=["cli refusal"])
            if "flow collection" in exc.message:
                raise Failed(f"taskpatch refused a flow value, the model did not: {exc}") from None
            return Outcome(self.seed, "skipped", checks=["no spec fits this file's names"])  # a mangled file's names
        try:
            expected: list[Any] | None = modelled(documents, self.layout, specs, self.render)
            refusal = None
        except Refused as exc:
            expected, refusal = None, str(exc)
        except Unmodelled:
            return Outcome(self.seed, "skipped", checks=["beyond the model"])
        # Where the model does not predict every refusal: shared anchors,
        # templates, files mangled on purpose.
        either = config.anchors or config.template or self.corrupted

        warnings: list[str] = []
        try:
            self.output = self.patch(source, specs, warnings)
        except VerificationError as exc:
            raise Failed(f"verification refused the patched text: {exc}") from None
        except taskpatch.TaskpatchError as exc:
            if refusal is None and not either:
                raise Failed(f"taskpatch refused, the model did not: {exc}") from None
            outcome = Outcome(self.seed, "both refused" if refusal else "refused")
            if self.seed % self.cli_every == 0:
                check_refusal(source, self.argv())
                outcome.checks.append("cli refusal")
            return outcome
        if refusal is not None and not (config.template or self.corrupted):
            raise Failed(f"taskpatch patched, the model refuses ({refusal})")
        output = self.output
        checks = ["meaning"]
        if config.template:
            self.check_renders(specs, warnings)
        elif expected is not None:
            self.check_meaning(documents, expected)
        if not self.corrupted:
            if config.template:  # a resource list per branch: its items' paths are every rendering's
                groups = [g for values in self.renders for g in _rendered_groups(source, values, self.layout)]
            check_locality(config, source, output, touched_paths(specs, groups, self.render))
            checks.append("locality")
        if source.count("\n") == source.count("\r\n") > 0 and output.count("\n") != output.count("\r\n"):
            raise Failed("line endings mixed")
        if output.endswith(("\n", "\r")) != source.endswith(("\n", "\r")) and not _ends_in_kept_block(output):
            raise Failed("the final newline was not kept")
        if source.startswith(config.style.bom) and not output.startswith(config.style.bom):
            raise Failed("the BOM was not kept")
        if self.idempotent(expected, specs):
            again = self.patch(output, specs)
            if again != output:
                raise Failed(f"patching twice differs from once: {again!r}")
            checks.append("idempotence")
        if self.seed % self.cli_every == 0:
            code, err, after = run_cli(source, self.argv())
            if code != 0 or after != output:
                raise Failed(f"CLI -i: exit {code}, stderr {err!r}, file {after!r}")
            checks.append("cli")
        if self.seed % 3 == 0:
            self.check_variants(names)
            checks.append("variants")
        return Outcome(self.seed, "patched", checks=checks)

    def check_variants(self, names: list[str]) -> None:
        """The variants fast path gives what apply gives for each point of a
        grid axis of any kind (args, set, env; with --render or not), or
        refuses where apply refuses."""
        selector = self.rng.choice(names + ["*"])
        values = [self.rng.choice(["1", "0.5", "yes", "'007'", "a b", "x:y", "?", "", "1e3", "#c", "3"])
                  for _ in range(3)]
        kind = self.rng.choice(["", "args ", "set ", "env "])
        if kind == "env ":
            target = "LR" if selector == "*" else f"{selector}:LR"
        else:
            key = self.rng.choice(["lr", "batch"] if kind != "set " else ["lr", "replicas", "image", "args.lr",
                                                                           "resources.requests.cpu"])
            target = f"{selector}.{key}"
        render = self.rng.random() < 0.25
        grid = [f"{kind}{target}=" + ",".join(values)]  # (no value holds a comma)
        try:
            fast: list[str] | None = [text for _, text in taskpatch.variants(self.source, grid=grid, render=render,
                                                                                **self.options)]
        except VerificationError as exc:
            raise Failed(f"variants {grid}: verification refused: {exc}") from None
        except taskpatch.TaskpatchError:
            fast = None
        parse = {"": parse_args, "args ": parse_args, "set ": parse_override, "env ": parse_env}[kind]
        slow: list[str] | None = []
        for value in values:
            try:
                slow.append(self.patch_one(parse(f"{target}={value}"), render))  # type: ignore[union-attr]
            except taskpatch.TaskpatchError:
                slow = None
                break
        if fast != slow:
            raise Failed(f"variants {grid}{' --render' if render else ''} differ from apply: {fast!r} vs {slow!r}")

    def patch_one(self, spec: Any, render: bool) -> str:
        document = taskpatch.loads(self.source, **self.options)
        document.apply([spec, *([render_spec()] if render else [])])
        return document.text

    def check_meaning(self, documents: list[Any], expected: list[Any]) -> None:
        assert self.output is not None
        read = ruamel_load(self.output)
        if not same_data(read, expected):
            raise Failed(f"the output differs from the model {first_difference(read, expected)}")
        if same_data(pyyaml_load(self.source), documents):  # a 1.1 reader agrees on the input...
            read_11 = pyyaml_load(self.output)  # ...so it must on the output
            if not same_data(read_11, expected):
                raise Failed(f"PyYAML reads the output unlike the model {first_difference(read_11, expected)}")

    def check_renders(self, specs: list[Any], warnings: list[str]) -> None:
        """For each choice of template values, rendering the output gives what
        the model gives on the rendered input."""
        assert self.output is not None
        if any("only when that branch renders" in w for w in warnings) or self.corrupted:
            return  # an edit inside one branch (taskpatch said so), or a template broken on purpose
        for values in self.renders:
            try:
                documents = ruamel_load(render_template(self.source, values))
                expected = modelled(documents, self.layout, specs, self.render)
            except (Refused, Unmodelled):
                continue
            except Exception:  # noqa: BLE001 - this rendering is not YAML (the generator's doing)
                continue
            try:
                read = ruamel_load(render_template(self.output, values))
            except Exception as exc:  # noqa: BLE001
                raise Failed(f"the output rendered with {values} does not parse: {exc}") from None
            if not same_data(read, expected):
                raise Failed(f"the output rendered with {values} differs from the model "
                             f"{first_difference(read, expected)}")

    def idempotent(self, expected: list[Any] | None, specs: list[Any]) -> bool:
        """Are the specs idempotent as data? Render is not, nor a spec whose
        path a later spec replaces by a scalar."""
        if self.render or expected is None:
            return False
        views = [expected]
        if self.config.template:  # each rendering's own (`~w.command[0]` on a list in one branch is not)
            try:
                views = [modelled(ruamel_load(render_template(self.source, values)), self.layout, specs, False)
                         for values in self.renders]
            except Exception:  # noqa: BLE001 - a rendering the model cannot take
                return False
        try:
            return all(same_data(modelled(view, self.layout, specs, False), view) for view in views)
        except (Refused, Unmodelled):
            return False


_SET_VALUE = re.compile(r'(?:[^=\["]|\[[^\]]*\]|"[^"]*")*=(.*)\Z')


def bad_flow_value(text: str) -> bool:
    """Does the model refuse the flow value of a set spec the generator wrote
    (``SEL.PATH=VALUE``: the first `=` outside brackets and quotes)? A
    selector made from a mangled file's names (`c[hief`) may hide it: no."""
    match = _SET_VALUE.match(text)
    try:
        if match is not None and is_flow(SpecValue.of(match.group(1))):
            flow(SpecValue.of(match.group(1)), ("",))  # under a key no count field has: only what parsing refuses
    except Refused:
        return True
    return False


def _rendered_groups(source: str, values: dict[str, Any], layout: str) -> Groups:
    try:
        return resource_groups(ruamel_load(render_template(source, values)), layout)
    except Exception:  # noqa: BLE001 - this rendering is not YAML
        return []


def _parses(text: str) -> bool:
    """Is ``text`` YAML to the C parser (events), whatever its data?"""
    try:
        for _ in YAML(typ="safe", pure=False).parse(text.lstrip("\ufeff")):  # as taskpatch, BOMs aside
            pass
    except Exception:  # noqa: BLE001
        return False
    return True


def _ends_in_kept_block(text: str) -> bool:
    """A file whose last block scalar needs its final line break keeps it."""
    tail = text.rstrip("\r\n").rsplit("\n", 1)[-1]
    return tail.startswith(" ") and not tail.strip().startswith(("-", "#"))


def corrupt(rng: random.Random, text: str) -> str:
    """A few random edits: what a careless hand or a bad merge does to a file."""
    pieces = [":", "- ", "\t", '"', "'", "{", "[", "&a ", "*a", "? ", "  ", "\n", "#", "|", "\ufeff", "\r"]
    for _ in range(rng.randint(1, 3)):
        at = rng.randint(0, len(text))
        if rng.random() < 0.5:
            text = text[:at] + rng.choice(pieces) + text[at:]
        else:
            text = text[:at] + text[at + rng.randint(1, 4):]
    return text


def run_case(seed: int, cli_every: int = 4) -> Outcome:
    case = Case(seed, cli_every)
    try:
        outcome = case.run()
    except Failed as exc:
        outcome = case.report(str(exc))
    except Exception as exc:  # noqa: BLE001 - a crash is the finding
        outcome = case.report(f"crash: {type(exc).__name__}: {exc}\n{traceback.format_exc()}")
    outcome.traits = case.traits()
    return outcome

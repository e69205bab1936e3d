"""Property tests of the fidelity contract, over random configs and specs.

The generator writes each config line by line in a random house style
(2 or 4 spaces, sequences flush or indented, CRLF or LF, comments, blank
lines, quoted values, with or without a final newline) and tags every line
with the path it belongs to. For random specs we check:

- locality: an input line disappears from the output only if its path is
  one the specs address (the edited key, an ancestor that was an empty
  placeholder, or the subtree of a deleted key);
- meaning: the output read as data equals a small reference model of the
  specs applied to the input data;
- idempotence: applying the specs to the output changes nothing.
"""

from __future__ import annotations

import copy
from collections import Counter
import difflib
from dataclasses import dataclass, field
from typing import Any

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

import taskpatch
from taskpatch.spec_parser import parse_args, parse_env, parse_override

NAMES = ["worker", "ps", "eval"]
WORDS = st.from_regex(r"[a-z][a-z0-9]{0,4}", fullmatch=True).filter(
    lambda w: w not in {"y", "n", "yes", "no", "on", "off", "true", "false", "null"}
)
NUMBERS = st.integers(1, 9999).map(str)
VALUES = st.one_of(WORDS, NUMBERS)


@dataclass
class Config:
    lines: list[tuple[str, tuple[str, ...]]] = field(default_factory=list)  # (text, path tag)
    newline: str = "\n"
    final_newline: bool = True

    @property
    def text(self) -> str:
        body = self.newline.join(text for text, _ in self.lines)
        return body + (self.newline if self.final_newline else "")


def _scalar(draw: Any, value: str) -> str:
    style = draw(st.sampled_from(["plain", "single", "double"]))
    return {"plain": value, "single": f"'{value}'", "double": f'"{value}"'}[style]


def _comment(draw: Any, text: str) -> str:
    return f"  # {text}" if draw(st.booleans()) else ""


@st.composite
def configs(draw: Any) -> Config:
    step = draw(st.sampled_from([2, 4]))
    seq_pad = draw(st.sampled_from([0, step]))
    config = Config(newline=draw(st.sampled_from(["\n", "\r\n"])), final_newline=draw(st.booleans()))
    add = config.lines.append
    if draw(st.booleans()):
        add(("# generated config", ()))
    add(("kind: task", ("kind",)))
    add(("resources:", ()))
    dash = " " * seq_pad + "- "
    body = " " * (seq_pad + 2)
    for name in draw(st.lists(st.sampled_from(NAMES), min_size=1, max_size=3, unique=True)):
        res = (name,)
        add((f"{dash}name: {name}{_comment(draw, 'res ' + name)}", res + ("name",)))
        if draw(st.booleans()):
            add((f"{body}image: {_scalar(draw, draw(WORDS))}{_comment(draw, 'img ' + name)}", res + ("image",)))
        if draw(st.booleans()):
            add((f"{body}replicas: {draw(st.integers(0, 5))}", res + ("replicas",)))
        if draw(st.booleans()):
            add((f"{body}# about {name}", res))
        requests = draw(st.sampled_from(["absent", "empty", "value"]))
        if requests == "empty":
            add((f"{body}resources: {{}}", res + ("resources",)))
        elif requests == "value":
            add((f"{body}resources:", res + ("resources",)))
            add((f"{body}{' ' * step}requests:", res + ("resources", "requests")))
            add((f"{body}{' ' * 2 * step}cpu: {draw(VALUES)}", res + ("resources", "requests", "cpu")))
        env = draw(st.lists(st.sampled_from(["A", "B", "C"]), unique=True, max_size=2))
        if env:
            add((f"{body}env:", res + ("env",)))
            for var in env:
                add((f"{body}{' ' * seq_pad}- name: {var}", res + ("env", var)))
                add((f"{body}{' ' * seq_pad}  value: {_scalar(draw, draw(VALUES))}{_comment(draw, var)}",
                     res + ("env", var, "value")))
        args = draw(st.sampled_from(["absent", "string", "mapping"]))
        if args == "string":
            add((f"{body}args: --foo {draw(NUMBERS)}", res + ("args",)))
        elif args == "mapping":
            add((f"{body}args:", res + ("args",)))
            add((f"{body}{' ' * step}lr: {draw(VALUES)}", res + ("args", "lr")))
        if draw(st.booleans()):
            add(("", res))
    return config


SET_PATHS = ["image", "replicas", "resources.requests.cpu", "resources.limits.memory", "timeout"]


@st.composite
def spec_lists(draw: Any) -> list[tuple[str, str]]:
    specs = []
    for _ in range(draw(st.integers(1, 5))):
        kind = draw(st.sampled_from(["env", "set", "unset", "args"]))
        selector = draw(st.sampled_from(["*", *NAMES]))
        if kind == "env":
            specs.append(("env", f"{draw(st.sampled_from(['A', 'B', 'D']))}={draw(VALUES)}"))
        elif kind == "set":
            path = draw(st.sampled_from(SET_PATHS))
            value = draw(NUMBERS) if path == "replicas" else draw(VALUES)
            specs.append(("set", f"{selector}.{path}={value}"))
        elif kind == "unset":
            specs.append(("unset", f"{selector}.{draw(st.sampled_from(SET_PATHS + ['env', 'args']))}"))
        else:
            specs.append(("args", f"{selector}.{draw(st.sampled_from(['lr', 'steps']))}={draw(VALUES)}"))
    return specs


def _present(config: Config, specs: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """Drop specs whose selector names a resource the config lacks (those are errors)."""
    names = {tag[0] for _, tag in config.lines if len(tag) == 2 and tag[1] == "name"}
    keep = []
    for kind, spec in specs:
        selector = spec.split(".")[0] if kind != "env" else "*"
        if selector == "*" or selector in names:
            keep.append((kind, spec))
    return keep


def _apply(text: str, specs: list[tuple[str, str]]) -> str:
    """All specs in one plan, as the CLI applies them."""
    # Sets with `+`: creating `image` on a Kuberlab resource would be a near
    # miss of `images`; these properties are about fidelity, not typos.
    parsers = {"env": parse_env, "set": lambda spec: parse_override("+" + spec), "args": parse_args}
    parsed = [parse_override("~" + spec) if kind == "unset" else parsers[kind](spec) for kind, spec in specs]
    doc = taskpatch.loads(text)
    doc.apply(parsed)
    return doc.text


# -- the reference model ----------------------------------------------------

class Conflict(Exception):
    """The model's view of a spec that must be refused."""


def _typed(text: str, old: Any, count: bool = False) -> Any:
    if count:
        return int(text)
    if isinstance(old, str):
        return text
    return int(text) if text.isdigit() else text


def model(data: dict, specs: list[tuple[str, str]]) -> dict:
    data = copy.deepcopy(data)
    for kind, spec in specs:
        if kind == "env":
            name, value = spec.split("=", 1)
            for resource in data["resources"]:
                env = resource.get("env") or []
                resource["env"] = env
                entry = next((e for e in env if e["name"] == name), None)
                if entry is None:
                    env.append({"name": name, "value": value})
                else:
                    entry["value"] = value
            continue
        target, _, value = spec.partition("=")
        selector, *path = target.split(".")
        for resource in data["resources"]:
            if selector not in ("*", resource["name"]):
                continue
            if kind == "unset":
                parent = resource
                for key in path[:-1]:
                    parent = parent.get(key) if isinstance(parent, dict) else None
                if isinstance(parent, dict):
                    parent.pop(path[-1], None)
            elif kind == "set":
                parent = resource
                for key in path[:-1]:
                    if not isinstance(parent.get(key), dict):
                        parent[key] = {}
                    parent = parent[key]
                parent[path[-1]] = _typed(value, parent.get(path[-1]), path[-1] == "replicas")
            else:
                args = resource.get("args")
                if isinstance(args, str) and args:
                    flag, words = f"--{path[0]}", args.split()
                    if flag not in words:
                        resource["args"] = f"{args} {flag} {value}"
                    elif words[words.index(flag) + 1 :][:1] != [value]:
                        raise Conflict(spec)  # DESIGN: a clear error, never a second --KEY
                else:
                    args = args if isinstance(args, dict) else {}
                    args[path[0]] = _typed(value, args.get(path[0]))
                    resource["args"] = args
    return data


def _changeable(tag: tuple[str, ...], specs: list[tuple[str, str]], resources: dict[str, dict]) -> bool:
    """May the input line tagged ``tag`` change under these specs?"""
    if len(tag) < 2:
        return False
    name, rest = tag[0], tag[1:]
    for kind, spec in specs:
        if kind == "env":
            if rest[0] == "env" and (len(rest) == 1 or rest[1] == spec.split("=")[0]):
                return True  # an empty env, or the entry being set
            continue
        target = spec.partition("=")[0]
        selector, *path = target.split(".")
        if selector not in ("*", name):
            continue
        if kind == "args":
            path = ["args", *path]
        if kind == "unset" and tuple(path) == rest[: len(path)]:
            return True  # inside the deleted subtree
        if kind == "unset" and tuple(path[:-1]) == rest:
            return True  # the parent's own line: `requests:` whose last key goes becomes `requests: {}`
        if tuple(path[: len(rest)]) == rest and (len(rest) == len(path) or rest[-1] in ("resources", "args")):
            # the edited key itself, or an ancestor being filled in: only a
            # placeholder ancestor (`{}`, a string args) rewrites its own line
            return True
    return False


@given(configs(), spec_lists())
def test_fidelity(config: Config, specs: list[tuple[str, str]]) -> None:
    specs = _present(config, specs)
    source = config.text
    before = yaml.safe_load(source)
    try:
        expected = model(before, specs)
    except Conflict:
        with pytest.raises((taskpatch.ValueTypeError, taskpatch.PlanErrors), match="already has --"):
            _apply(source, specs)
        return
    once = _apply(source, specs)

    # idempotence
    assert _apply(once, specs) == once

    # meaning
    assert yaml.safe_load(once) == expected

    # locality: every input line the diff removes is one the specs address
    resources = {r["name"]: r for r in before["resources"]}
    old_lines = source.split(config.newline)
    new_lines = once.split(config.newline)
    matcher = difflib.SequenceMatcher(None, old_lines, new_lines, autojunk=False)
    tags = [tag for _, tag in config.lines] + [()]
    opcodes = matcher.get_opcodes()
    # A key deleted and then added again comes back at the end of its
    # mapping, so the diff may show an untouched sibling as removed and
    # re-added; a removed line that comes back verbatim is not an edit.
    added = Counter(line for op, _, _, j1, j2 in opcodes if op != "equal" for line in new_lines[j1:j2])
    for op, i1, i2, _, _ in opcodes:
        for i in range(i1, i2) if op in ("replace", "delete") else ():
            if added[old_lines[i]] > 0:
                added[old_lines[i]] -= 1
                continue
            assert _changeable(tags[i], specs, resources), (old_lines[i], specs)
    # the style of what was kept: line endings never mix, and the final newline stays as it was
    if config.newline == "\r\n":
        assert once.count("\n") == once.count("\r\n")
    assert once.endswith(config.newline) == source.endswith(config.newline)

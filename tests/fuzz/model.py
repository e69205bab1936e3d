"""The reference model: what specs mean, over plain data.

Written from DESIGN.md and the README, independently of the planner: it
walks dicts and lists, resolves values with its own YAML 1.2 core-schema
regexes, and raises ``Refused`` where the tool must refuse. The fuzzer
compares taskpatch's output, read back by ruamel.yaml and PyYAML, with
this model applied to the input as ruamel.yaml reads it.
"""

from __future__ import annotations

import copy
import fnmatch
import math
import re
import shlex
from dataclasses import dataclass
from typing import Any

import yaml as pyyaml

from taskpatch import render  # the seed's word rules are tested on their own (test_render.py)

# YAML 1.2 core schema, from the spec's section 10.3.2 (not taskpatch's copy).
_NULL = re.compile(r"null|Null|NULL|~|")
_BOOL = re.compile(r"true|True|TRUE|false|False|FALSE")
_INT10 = re.compile(r"[-+]?[0-9]+")
_INT8 = re.compile(r"0o[0-7]+")
_INT16 = re.compile(r"0x[0-9a-fA-F]+")
_FLOAT = re.compile(r"[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?")
_INF = re.compile(r"[-+]?\.(inf|Inf|INF)")
_NAN = re.compile(r"\.(nan|NaN|NAN)")
_QUOTED = re.compile(r"\"(?:[^\"\\]|\\.)*\"|'(?:[^']|'')*'")
_TEMPLATED = re.compile(r"tpl[0-9]+")  # what the generator's `{{ .vN }}` renders as
COUNTS = {"replicas", "maxRestartCount", "minAvailable", "port"}


class Refused(Exception):
    """The model says taskpatch must refuse these specs (exit 2)."""


class Unmodelled(Exception):
    """Beyond what plain data can say: taskpatch keeps the text as written
    (`args: TRUE` gains flags as `TRUE --x 1`), which the data no longer has."""


def core(text: str) -> Any:
    if _NULL.fullmatch(text):
        return None
    if _BOOL.fullmatch(text):
        return text.lower() == "true"
    if _INT10.fullmatch(text):
        return int(text)
    if _INT8.fullmatch(text):
        return int(text[2:], 8)
    if _INT16.fullmatch(text):
        return int(text[2:], 16)
    if _FLOAT.fullmatch(text):
        return float(text)
    if _INF.fullmatch(text):
        return -math.inf if text.startswith("-") else math.inf
    if _NAN.fullmatch(text):
        return math.nan
    return text


@dataclass(frozen=True)
class SpecValue:
    text: str
    quoted: bool

    @classmethod
    def of(cls, raw: str) -> SpecValue:
        if _QUOTED.fullmatch(raw) and len(raw) >= 2:
            if raw[0] == "'":
                return cls(raw[1:-1].replace("''", "'"), True)
            escapes = {"n": "\n", "t": "\t", "r": "\r", "0": "\0"}
            return cls(re.sub(r"\\(.)", lambda m: escapes.get(m.group(1), m.group(1)), raw[1:-1]), True)
        return cls(raw, False)


def typed(value: SpecValue, old: Any, keys: tuple[str, ...], in_args: bool = False) -> Any:
    """DESIGN.md's typing of override and args values."""
    # A resource's own count fields (the README's list); inside args, or
    # deeper, a key of that name is an ordinary value.
    if not in_args and _is_count(keys):
        if value.quoted or not re.fullmatch(r"[0-9]+", value.text):
            raise Refused(f"{keys[-1]} is a count")
        return int(value.text)
    if value.quoted:
        return value.text
    if isinstance(old, str) and _TEMPLATED.fullmatch(old):
        old = _ABSENT  # a rendered `{{ .v }}`: the template gave it no type
    if old is not None and old is not _ABSENT:
        if isinstance(old, str):
            return value.text
        new = core(value.text)
        if isinstance(old, bool):
            if isinstance(new, bool):
                return new
        elif isinstance(old, int):
            if isinstance(new, int) and not isinstance(new, bool):
                return new
        elif isinstance(old, float) and any(r.fullmatch(value.text) for r in (_FLOAT, _INF, _NAN)):
            return float(new)  # `2` reads as a float too; `0x1F` does not
    return core(value.text)


def _is_count(keys: tuple[str, ...]) -> bool:
    return (len(keys) == 1 and keys[0] in COUNTS) or keys in (("ports", "[]", "port"), ("resources", "accelerators", "gpu"))


_ABSENT = object()


# -- issue 11: flow values and near misses -------------------------------------------
# Written from the README's rules (NOTES-typos.md), not from taskpatch/flow.py
# or taskpatch/typos.py: PyYAML's pure parser reads the flow text, and the
# near-miss rule is spelled out as the edits it allows.

def is_flow(value: SpecValue) -> bool:
    return not value.quoted and value.text[:1] in ("[", "{") and not value.text.startswith("{{")


def flow(value: SpecValue, keys: tuple[str, ...]) -> Any:
    """What a flow value writes: its scalars typed as new values (the count
    fields' rule included); Refused where taskpatch must refuse it."""
    if re.search("[\x85\u2028\u2029]", value.text):
        raise Refused("a YAML 1.1 line break in a flow value")
    try:
        events = list(pyyaml.parse(value.text))[2:-2]  # without the stream's and the document's own
    except pyyaml.YAMLError:
        raise Refused("a flow value that is not YAML") from None
    if getattr(events[0], "flow_style", None) is not True or value.text[events[-1].end_mark.index:].strip():
        raise Refused("not one flow collection")
    data, rest = _flow_node(events, keys)
    assert not rest
    return data


def _flow_node(events: list[Any], keys: tuple[str, ...]) -> tuple[Any, list[Any]]:
    """The first node of ``events`` as data, and the events after it."""
    event, rest = events[0], events[1:]
    if isinstance(event, pyyaml.AliasEvent) or getattr(event, "anchor", None) or getattr(event, "tag", None):
        raise Refused("an alias, anchor or tag in a flow value")
    if isinstance(event, pyyaml.ScalarEvent):
        return typed(SpecValue(event.value, event.style is not None), _ABSENT, keys), rest
    if _is_count(keys):
        raise Refused("a collection for a count")
    if isinstance(event, pyyaml.SequenceStartEvent):
        items = []
        while not isinstance(rest[0], pyyaml.SequenceEndEvent):
            item, rest = _flow_node(rest, keys + ("[]",))
            items.append(item)
        return items, rest[1:]
    mapping: dict[str, Any] = {}
    while not isinstance(rest[0], pyyaml.MappingEndEvent):
        key = rest[0]
        if not isinstance(key, pyyaml.ScalarEvent) or (key.style is None and not isinstance(core(key.value), str)):
            raise Refused("a flow value's key that is not a string")
        if (key.style is None and key.value == "<<") or key.value in mapping or key.anchor or key.tag:
            raise Refused("a merge key or a repeated key in a flow value")
        mapping[key.value], rest = _flow_node(rest[1:], keys + (key.value,))
    return mapping, rest[1:]


# Fields the JSON Schemas know where the generator's paths create keys
# (kuberlab.json's resource, kubernetes.json's container).
_QUANTITIES = {"cpu", "memory", "ephemeral-storage", "storage"}
_ENV_ENTRY = {"name", "value", "valueFrom"}
KNOWN = {
    False: {(): {"name", "replicas", "minAvailable", "maxRestartCount", "waitCount", "restartPolicy", "allowFail",
                 "is_permanent", "doneCondition", "nodes", "port", "ports", "images", "command", "args", "workdir",
                 "workDir", "env", "resources", "volumes", "default_volume_mapping", "labels", "nodeSelector"},
            ("resources",): {"requests", "limits", "accelerators"},
            ("resources", "requests"): _QUANTITIES, ("resources", "limits"): _QUANTITIES,
            ("env", "[]"): _ENV_ENTRY},
    True: {(): {"name", "image", "imagePullPolicy", "command", "args", "workingDir", "env", "envFrom", "ports",
                "resources", "resizePolicy", "restartPolicy", "restartPolicyRules", "volumeMounts", "volumeDevices",
                "livenessProbe", "readinessProbe", "startupProbe", "lifecycle", "securityContext",
                "terminationMessagePath", "terminationMessagePolicy", "stdin", "stdinOnce", "tty"},
           ("resources",): {"requests", "limits", "claims"},
           ("resources", "requests"): _QUANTITIES, ("resources", "limits"): _QUANTITIES,
           ("env", "[]"): _ENV_ENTRY},
}


def misses(new: str, name: str) -> int | None:
    """The README's near-miss rule: how many edits ``new`` is from ``name``
    (0 for case only), when that makes it a near miss; else None."""
    if new == name or min(len(new), len(name)) < 4 or re.sub("[0-9]", "", new) == re.sub("[0-9]", "", name):
        return None
    a, b, shortest = new.lower(), name.lower(), min(len(new), len(name))
    if a == b:
        return 0
    if _one_edit(a, b) and (shortest >= 5 or _one_swap(a, b)):
        return 1
    if shortest >= 9 and any(_one_edit(c, b) for c in _neighbours(a, set(a + b))):
        return 2
    return None


def _one_swap(a: str, b: str) -> bool:
    return len(a) == len(b) and any(a[:i] + a[i + 1] + a[i] + a[i + 2:] == b for i in range(len(a) - 1))


def _one_edit(a: str, b: str) -> bool:
    """One character inserted, deleted or replaced, or two adjacent ones swapped."""
    if len(a) == len(b):
        return sum(x != y for x, y in zip(a, b)) == 1 or _one_swap(a, b)
    short, long = sorted((a, b), key=len)
    return len(long) == len(short) + 1 and any(long[:i] + long[i + 1:] == short for i in range(len(long)))


def _neighbours(a: str, letters: set[str]) -> set[str]:
    """Every string one edit from ``a`` (inserted or replacing characters drawn from ``letters``)."""
    out = {a[:i] + a[i + 1:] for i in range(len(a))} | {a[:i] + a[i + 1] + a[i] + a[i + 2:] for i in range(len(a) - 1)}
    out |= {a[:i] + c + a[i + k:] for i in range(len(a) + 1) for c in letters for k in (0, 1)}
    return out


@dataclass(frozen=True)
class Step:
    """One step of a path: a key, an index, or an [k=v] filter."""

    key: str | None = None
    index: int | None = None
    filter: tuple[str, str] | None = None


def _field_text(item: Any, key: str, raw: dict[int, dict[str, str]]) -> str | None:
    """What taskpatch compares in a filter: the scalar as written."""
    if not isinstance(item, dict) or key not in item:
        return None
    written = raw.get(id(item), {}).get(key)
    if written is not None:
        return written
    value = item[key]
    return value if isinstance(value, str) else None if isinstance(value, (dict, list)) else str(value)


def _is_empty(value: Any) -> bool:
    return value is None or value == {} or value == []


class Model:
    """Applies specs to a deep copy of ``data`` (the input as ruamel reads it).

    ``groups`` are the resource lists the specs reach (a task config's
    ``resources``, an MLApp task's). ``raw`` maps id(dict) to its scalars as
    written, for filters. ``containers`` marks Kubernetes-style resources."""

    def __init__(self, data: Any, groups: list[list[dict]], containers: bool = False,
                 raw: dict[int, dict[str, str]] | None = None) -> None:
        self.data, self.groups, self.containers, self.raw = data, groups, containers, raw or {}

    @classmethod
    def of(cls, data: Any, locate: Any, containers: bool = False) -> Model:
        data = copy.deepcopy(data)
        return cls(data, locate(data), containers)

    def select(self, selector: str | None) -> list[dict]:
        everyone = [r for group in self.groups for r in group if isinstance(r, dict)]  # as taskpatch: mappings only
        if selector is None:
            return everyone
        glob = any(c in selector for c in "*?[")
        chosen = [r for r in everyone if (fnmatch.fnmatchcase(str(r.get("name", "")), selector) if glob
                                          else str(r.get("name", "")) == selector)]
        if not chosen:
            raise Refused(f"no resource matches {selector}")
        if not glob:
            for group in self.groups:
                if sum(1 for r in group if isinstance(r, dict) and str(r.get("name", "")) == selector) > 1:
                    raise Refused(f"two resources are named {selector}")
        return chosen

    # -- specs ----------------------------------------------------------------------
    def env(self, selector: str | None, name: str, value: str) -> None:
        for resource in self.select(selector):
            env = resource.get("env", _ABSENT)
            if env is _ABSENT or _is_empty(env):
                resource["env"] = [{"name": name, "value": value}]
                continue
            if not isinstance(env, list):
                raise Refused("env is not a list")
            for item in env:
                if _field_text(item, "name", self.raw) == name:
                    item.pop("valueFrom", None)
                    item["value"] = value
                    break
            else:
                env.append({"name": name, "value": value})

    def set(self, selector: str, path: list[Step], value: SpecValue, force: bool = False) -> None:
        keys = tuple(s.key if s.key is not None else "[]" for s in path)
        # `+` creates any key; args keys are free-form.
        guarded = not force and keys[0] != "args"
        for resource in self.select(selector):
            parent, last = self._walk(resource, path, create=True, guarded=guarded)
            old = self._get(parent, last)
            new = flow(value, keys) if is_flow(value) else None
            if isinstance(old, (dict, list)) and old and type(new) is not type(old):
                raise Refused("a scalar over a non-empty collection")  # issue 11: `~` first says so
            if new is None:
                new = typed(value, _ABSENT if old is _ABSENT else old, keys)
            self._put(parent, last, new)

    def _guard(self, container: Any, keys: tuple[str, ...]) -> None:
        """Refuse to create ``keys[-1]`` in ``container`` when it is a near miss
        of a key there or of a field known at that place."""
        new = keys[-1]
        known = KNOWN[self.containers].get(keys[:-1], set())
        siblings = [k for k in container if isinstance(k, str)]
        if new not in known and any(
                misses(new, name) is not None for name in siblings + sorted(known)):
            raise Refused(f"{new} is a near miss")

    def unset(self, selector: str, path: list[Step]) -> None:
        for resource in self.select(selector):
            try:
                parent, last = self._walk(resource, path, create=False)
            except _Absent:
                continue
            if self._get(parent, last) is _ABSENT:
                continue
            if isinstance(parent, dict):
                del parent[last.key]
            else:
                del parent[self._index(parent, last)]

    def args(self, selector: str, key: str | None, value: SpecValue) -> None:
        for resource in self.select(selector):
            if key is None:
                resource["args"] = value.text if not value.quoted else value.text
                continue
            args = resource.get("args", _ABSENT)
            empty = args is _ABSENT or _is_empty(args) or args == ""
            if empty:
                command = resource.get("command")
                if self.containers or isinstance(command, list):
                    resource["args"] = [f"--{key}", value.text]
                else:
                    resource["args"] = {key: typed(value, _ABSENT, ("args", key), in_args=True)}
            elif isinstance(args, dict):
                args[key] = typed(value, args.get(key, _ABSENT), ("args", key), in_args=True)
            elif isinstance(args, list):
                texts = [a if isinstance(a, str) else str(a) for a in args]
                flag = f"--{key}"
                if flag in texts:
                    at = texts.index(flag)
                    if at + 1 < len(texts) and texts[at + 1] == value.text:
                        continue
                    raise Refused("args already has the flag")
                args += [flag, value.text]
            elif isinstance(args, str):
                self._args_string(resource, args, key, value.text)
            else:
                raise Unmodelled(f"args {args!r} as written")

    @staticmethod
    def _args_string(resource: dict, text: str, key: str, value: str) -> None:
        try:
            tokens = shlex.split(text)
        except ValueError:
            tokens = text.split()
        flag = f"--{key}"
        for i, token in enumerate(tokens):
            if token == flag or token.startswith(flag + "="):
                given = token[len(flag) + 1 :] if "=" in token else (tokens[i + 1] if i + 1 < len(tokens) else None)
                if given == value:
                    return
                raise Refused("args string already has the flag")
        body = text.rstrip("\n")  # the flags join the last line, before any final line breaks
        resource["args"] = f"{body} {flag} {render.shell_word(value)}{text[len(body):]}"

    def render(self, style: str = "task") -> None:
        for resource in self.select(None):
            args = _verbatim(resource.get("args"))
            if not args:
                continue
            command = resource.get("command")
            try:
                if command is None:
                    if isinstance(args, list):
                        resource["command"] = _plain(render.argv_items(args, style))
                    else:
                        resource["command"] = _plain(render.command_text(args, style))
                elif isinstance(command, list):
                    command += _plain(render.argv_items(args, style))
                elif isinstance(command, dict):
                    raise Refused("command is a mapping")
                elif not isinstance(command, str):
                    raise Unmodelled(f"command {command!r} as written")
                else:
                    text = command
                    suffix = " " + render.command_text(args, style)
                    body = text.rstrip("\n")
                    resource["command"] = _plain(body + suffix + text[len(body):])
            except ValueError as exc:  # args that cannot be split into words
                raise Refused(str(exc)) from None
            del resource["args"]

    # -- paths ------------------------------------------------------------------------
    def _walk(self, resource: dict, path: list[Step], create: bool, guarded: bool = False) -> tuple[Any, Step]:
        current: Any = resource
        keys = tuple(s.key if s.key is not None else "[]" for s in path)
        for i, step in enumerate(path):
            if guarded and step.key is not None and self._get(current, step) is _ABSENT:
                self._guard(current, keys[: i + 1])
            if i == len(path) - 1:
                break
            child = self._get(current, step)
            if child is _ABSENT or _is_empty(child):
                if not create:
                    raise _Absent
                if path[i + 1].key is None:
                    raise Refused("an index into an empty value")
                child = {}
                self._put(current, step, child)
            elif not isinstance(child, (dict, list)):
                raise Refused("a path through a scalar")
            current = child
        return current, path[-1]

    def _get(self, container: Any, step: Step) -> Any:
        if step.key is not None:
            if not isinstance(container, dict):
                raise Refused("a key on a sequence")
            return container.get(step.key, _ABSENT)
        if not isinstance(container, list):
            raise Refused("an index on a mapping")
        try:
            return container[self._index(container, step)]
        except _Absent:
            return _ABSENT

    def _put(self, container: Any, step: Step, value: Any) -> None:
        if step.key is not None:
            container[step.key] = value
            return
        try:
            container[self._index(container, step)] = value
        except _Absent:
            raise Refused("nothing at that index or filter") from None

    def _index(self, container: list, step: Step) -> int:
        if step.index is not None:
            if step.index >= len(container):
                raise _Absent
            return step.index
        assert step.filter is not None
        key, wanted = step.filter
        for i, item in enumerate(container):
            if _field_text(item, key, self.raw) == wanted:
                return i
        raise _Absent


def _plain(value: Any) -> Any:
    """Verbatim strings back to plain ones: they are only a note to render."""
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return str(value) if isinstance(value, str) else value


def _verbatim(value: Any) -> Any:
    """Strings that came from template markup (the generator renders
    `{{ .vN }}` as tplN) fold into a command as they stand, unquoted."""
    if isinstance(value, dict):
        return {k: _verbatim(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_verbatim(v) for v in value]
    return render.Verbatim(value) if isinstance(value, str) and _TEMPLATED.search(value) else value


class _Absent(Exception):
    """Something on the path is not there (an unset then does nothing)."""

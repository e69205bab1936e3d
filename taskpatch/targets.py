"""The declarative targets file, ``taskpatch.yaml``: what ``build`` makes.

    targets:
      - source: configs/task.yaml
        output: build/task-prod.yaml
        task: model                 # optional; also `resources: JSONPATH`
        env: [MY_VAR=MY-VAL]
        set: ["*.resources.requests.cpu=1000m", worker.replicas=3]
        unset: [worker.args]
        args: [worker.batch-size=23]
        spec-file: specs/prod.tp    # optional, added after the lists
        render: true
        validate: true              # optional: check the output against the JSON Schemas

Paths are relative to the file, and must lead (symlinks followed) into its
folder unless the file says ``allow-outside: true`` at the top. It is read
with the same positional index as task configs, so every error points at
its own line and column; all the errors of a file are reported together.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from .errors import (
    InputOutputError,
    PlanErrors,
    SpecRef,
    SpecSyntaxError,
    TaskpatchError,
    ValueTypeError,
    did_you_mean,
)
from .files import TARGETS_FILE_NAME, read_text
from .spec_ast import Spec
from .spec_parser import parse_args, parse_env, parse_override, parse_spec_file
from .yaml_index import Mapping, Node, Scalar, Sequence, build_index

FILE_NAME = TARGETS_FILE_NAME
SPEC_LISTS = {"env": parse_env, "set": parse_override, "unset": parse_override, "args": parse_args}
TOP_KEYS = ("targets", "allow-outside")
TARGET_KEYS = ("source", "output", "task", "resources", *SPEC_LISTS, "spec-file", "render", "template", "validate")


@dataclass(frozen=True)
class Target:
    source: str  # absolute paths
    output: str
    specs: tuple[Spec, ...]
    task: str | None = None
    resources: str | None = None
    template: bool | None = None
    line: int = 0  # of the target in the targets file
    validate: bool = False  # check the output against the JSON Schemas before writing it

    @property
    def name(self) -> str:
        return self.output


def find_targets_file(start: str | None = None) -> str:
    """``taskpatch.yaml`` in ``start`` (default: the current folder) or a
    folder above it, up to the repository root (the folder holding
    ``.git``, a folder or, in a worktree, a file) and never above it: a
    targets file outside the repository is no part of it, and ``build``
    would write wherever that file says."""
    folder = os.path.abspath(start or os.getcwd())
    while True:
        candidate = os.path.join(folder, FILE_NAME)
        if os.path.isfile(candidate):
            return candidate
        parent = os.path.dirname(folder)
        if os.path.lexists(os.path.join(folder, ".git")) or parent == folder:
            above = "up to the repository root" if parent != folder else "or in any folder above"
            raise InputOutputError(f"no {FILE_NAME} here {above} ({folder}); give one with -f",
                                   file=os.path.abspath(start or os.getcwd()))
        folder = parent


class _Reader:
    """Validates one targets file, collecting every error."""

    def __init__(self, path: str, display: str) -> None:
        self.path, self.display = path, display
        self.base = os.path.dirname(os.path.abspath(path))
        self.errors: list[TaskpatchError] = []
        self.outputs: dict[str, int] = {}  # output path -> the line of the first target writing it
        self.allow_outside = False  # the manifest's `allow-outside: true`

    def error(self, message: str, node: Node | None, cls: type[TaskpatchError] = ValueTypeError) -> None:
        # No node: the file is empty (its only error), so it is at its start.
        line = 1 if node is None else node.line + 1
        column = 1 if node is None else node.column + 1
        self.errors.append(cls(message, file=self.display, line=line, column=column))

    def read(self) -> list[Target]:
        index = build_index(read_text(self.path), self.display, template=False)
        root = index.roots[0] if index.roots else None
        if not isinstance(root, Mapping) or not isinstance(root.get("targets"), Sequence):
            self.error("a targets file is a mapping with a `targets:` list", root)
            raise self._raise()
        for key in root.keys:
            if isinstance(key, Scalar) and key.value not in TOP_KEYS:
                self.error(f"unknown key {key.value!r} (the file has `targets:` and `allow-outside:`)"
                           f"{did_you_mean(str(key.value), TOP_KEYS)}", key)
        self.allow_outside = bool(self.flag(root.get("allow-outside"), "allow-outside"))
        listed = root.get("targets")
        assert isinstance(listed, Sequence)  # checked above
        targets = [t for t in (self.target(item) for item in listed.items) if t is not None]
        if self.errors:
            raise self._raise()
        return targets

    def _raise(self) -> TaskpatchError:
        return self.errors[0] if len(self.errors) == 1 else PlanErrors(self.errors)

    def target(self, node: Node) -> Target | None:
        if not isinstance(node, Mapping):
            self.error("a target is a mapping (source:, output:, ...)", node)
            return None
        before = len(self.errors)
        fields: dict[str, Node] = {}
        for key, value in zip(node.keys, node.values):
            name = key.value if isinstance(key, Scalar) else None
            if name not in TARGET_KEYS:
                self.error(f"unknown key {name!r}{did_you_mean(str(name), TARGET_KEYS)}", key)
            else:  # a key given twice is already a YAML error of the index
                fields[name] = value
        source = self.path_field(fields, "source", node, must_exist=True)
        output = self.path_field(fields, "output", node, must_exist=False)
        if output is not None:
            # Checked here, not once all targets are read, so that a target
            # with other errors gets this one too, among them.
            if output in self.outputs:
                self.error(f"two targets write {os.path.relpath(output, self.base)} (the other at line "
                           f"{self.outputs[output]})", fields["output"])
            self.outputs.setdefault(output, node.line + 1)
        specs: list[Spec] = []
        for list_name, parse in SPEC_LISTS.items():
            if list_name in fields:
                specs += self.spec_list(fields[list_name], list_name, parse)
        spec_file = self.path_field(fields, "spec-file", node, must_exist=True, required=False)
        if spec_file is not None:
            try:
                specs += parse_spec_file(read_text(spec_file, SpecSyntaxError), os.path.relpath(spec_file))
            except TaskpatchError as exc:
                self.errors.append(exc)
        render = self.flag(fields.get("render"), "render")
        template = self.flag(fields.get("template"), "template", optional=True)
        validate = bool(self.flag(fields.get("validate"), "validate"))
        if render:
            from .document import render_spec

            specs.append(render_spec())
        task = self.text_field(fields.get("task"), "task")
        resources = self.text_field(fields.get("resources"), "resources")
        if len(self.errors) > before or source is None or output is None:
            return None
        return Target(source, output, tuple(specs), task, resources, template, node.line + 1, validate)

    def path_field(self, fields: dict[str, Node], key: str, target: Node, *, must_exist: bool,
                   required: bool = True) -> str | None:
        node = fields.get(key)
        if node is None:
            if required:
                self.error(f"this target has no {key!r}", target)
            return None
        text = self.text_field(node, key)
        if text is None:
            return None
        path = os.path.normpath(os.path.join(self.base, text))
        if not self.allow_outside and not self.inside(path):
            # A repository's taskpatch.yaml must not make `build` read or
            # write any file the user can reach; symlinks count, so the
            # check is on where the path really leads.
            self.error(f"{key} {text!r} leads outside the folder of this targets file (to "
                       f"{os.path.realpath(path)}); add `allow-outside: true` at its top to allow it", node,
                       cls=InputOutputError)
            return None
        if must_exist and not os.path.isfile(path):
            self.error(f"{key} {text!r} does not exist (paths are relative to {FILE_NAME})", node,
                       cls=InputOutputError)
            return None
        return path

    def inside(self, path: str) -> bool:
        folder = os.path.realpath(self.base)
        return os.path.commonpath([folder, os.path.realpath(path)]) == folder

    def text_field(self, node: Node | None, key: str) -> str | None:
        if node is None:
            return None
        if not isinstance(node, Scalar) or not node.value:
            self.error(f"{key!r} must be a non-empty string", node)
            return None
        return node.value

    def flag(self, node: Node | None, key: str, optional: bool = False) -> bool | None:
        if node is None:
            return None if optional else False
        if isinstance(node, Scalar) and node.style is None and node.value in ("true", "false"):
            return node.value == "true"
        self.error(f"{key!r} must be true or false", node)
        return None

    def spec_list(self, node: Node, key: str, parse) -> list[Spec]:  # type: ignore[no-untyped-def]
        items = node.items if isinstance(node, Sequence) else None
        if items is None:
            self.error(f"{key!r} must be a list of specs, e.g. {key}: [...]", node)
            return []
        specs = []
        for item in items:
            if not isinstance(item, Scalar) or not item.value:
                self.error(f"each {key} entry must be a spec string", item)
                continue
            text = ("~" + item.value) if key == "unset" else item.value
            label = f"{self.display}:{item.line + 1}"
            try:
                specs.append(parse(text, label))
            except TaskpatchError as exc:
                # Point at the spec's own column in this file.
                shift = (1 if item.style in ("'", '"') else 0) - (1 if key == "unset" else 0)
                exc.spec = SpecRef(text, label)
                exc.file, exc.line = self.display, item.line + 1
                exc.column = item.column + shift + (exc.spec_column or 1)
                self.errors.append(exc)
        return specs


def load_targets(path: str, display: str | None = None) -> list[Target]:
    """The targets of a ``taskpatch.yaml``; raises ``TaskpatchError`` (all problems at once)."""
    return _Reader(path, display or os.path.relpath(path)).read()

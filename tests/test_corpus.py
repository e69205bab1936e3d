"""Run over ../shared/corpus (skipped when it is absent).

Every file that is valid YAML and holds resources gets an env, an override
and an args spec, all with ``*``. The result must be a fixed point, its data
must equal a plain-Python model of the specs applied to the input's data,
and the diff must be minimal: the only input lines that change are those of
the ``env`` and ``args`` values the specs extend. Any other file must get one
clean ``TaskpatchError``, never a crash.
"""

from __future__ import annotations

import copy
import difflib
from pathlib import Path
from typing import Any

import pytest
import yaml
from jsonpath_ng.ext import parse as jsonpath

import taskpatch
from taskpatch.locate import find_groups
from taskpatch.template import find_actions
from taskpatch.yaml_index import Mapping, build_index

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"
FILES = sorted(CORPUS.glob("*/*.yaml")) if CORPUS.is_dir() else []
SPECS = {"env": ["TP_VAR=1"], "overrides": ["*.tp_marker=on"], "args": ["*.tp_arg=5"]}


def _options(path: Path, text: str) -> dict[str, str]:
    if path.parent.name == "k8s" or text.lstrip().startswith("apiVersion:"):  # (kuberlab/ has two StatefulSets)
        # Argo templates hold one `container`; the rest hold `containers` lists.
        # (The kinds table's own paths are tested by test_kinds.py.)
        return {"resources": "$..containers" if "containers:" in text else "$..container"}
    return {"task": "*"}


def _resource_dicts(data: Any, options: dict[str, str]) -> list[dict]:
    """The model's view of where the resources are, on plain data."""
    if "resources" in options:
        found = []
        for match in jsonpath(options["resources"]).find(data):
            value = match.value
            found += [v for v in value if isinstance(v, dict)] if isinstance(value, list) else [value]
        return found
    if data.get("kind") == "MLApp":
        return [r for task in data["spec"]["tasks"] for r in task.get("resources") or [] if isinstance(r, dict)]
    return [r for r in data["resources"] if isinstance(r, dict)]


def model(data: Any, options: dict[str, str]) -> Any:
    data = copy.deepcopy(data)
    for resource in _resource_dicts(data, options):
        env = resource.get("env") or []
        entry = next((e for e in env if e.get("name") == "TP_VAR"), None)
        if entry is None:
            env.append({"name": "TP_VAR", "value": "1"})
        else:
            entry.pop("valueFrom", None)
            entry["value"] = "1"
        resource["env"] = env
        resource["tp_marker"] = "on"
        args = resource.get("args")
        if isinstance(args, list):
            resource["args"] = args + ["--tp_arg", "5"]
        elif isinstance(args, str) and args:
            resource["args"] = f"{args} --tp_arg 5"
        elif isinstance(args, dict) and args:
            args["tp_arg"] = 5
        elif isinstance(resource.get("command"), list) or "resources" in options:  # a container: args is a list
            resource["args"] = ["--tp_arg", "5"]
        else:
            resource["args"] = {"tp_arg": 5}
    return data


def _editable_lines(text: str, options: dict[str, str]) -> set[int]:
    """0-based input lines the specs may rewrite: the env and args values."""
    index = build_index(text)
    lines: set[int] = set()
    for group in find_groups(index, **options):
        for resource in group.resources:
            for key in ("env", "args"):
                node = resource.node.get(key) if isinstance(resource.node, Mapping) else None
                if node is not None:
                    end_line = text.count("\n", 0, node.end)
                    lines.update(range(node.line, end_line + 1))
    return lines


def _data(text: str) -> list[Any]:
    """The documents as data, with Go template markup masked out as the index
    masks it (actions as underscores, directive lines as comments), both sides."""
    return list(yaml.safe_load_all(build_index(text.lstrip("\ufeff")).text))


@pytest.mark.skipif(not FILES, reason="../shared/corpus is not present")
@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_corpus_file(path: Path) -> None:
    text = path.read_bytes().decode("utf-8")
    options = _options(path, text)
    try:
        out = taskpatch.patch_text(text, **SPECS, **options)
    except taskpatch.TaskpatchError as exc:
        message = str(exc)
        assert message and ("\n" not in message or isinstance(exc, taskpatch.PlanErrors))
        return
    assert out != text
    assert taskpatch.patch_text(out, **SPECS, **options) == out  # idempotent

    before = _data(text)
    after = _data(out)
    assert after == [model(doc, options) if doc is not None else doc for doc in before]

    # Go template markup is never edited: the same actions, in the same order.
    assert [out[a:b] for a, b in find_actions(out)] == [text[a:b] for a, b in find_actions(text)]

    editable = _editable_lines(text.lstrip("\ufeff"), options)
    old_lines, new_lines = text.splitlines(), out.splitlines()
    matcher = difflib.SequenceMatcher(None, old_lines, new_lines, autojunk=False)
    for op, i1, i2, _, _ in matcher.get_opcodes():
        if op in ("replace", "delete"):
            assert set(range(i1, i2)) <= editable, (path.name, old_lines[i1:i2])

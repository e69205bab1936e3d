"""``serve``: a serving config built from an MLApp's ``spec.serving[]`` entry.

This is what the seed's "Serve" button did with a finished task: take the
project's serving entry, point it at the task (``taskName``, ``build``), hand
it the paths the task recorded (``model_path``, ``checkpoint_path``, see
``taskinfo``) and fold its ``args`` in as ``--k=v``. The entry's own text is
cut out of the project file, comments and all, and patched like any task.
"""

from __future__ import annotations

import re
from typing import Any, Collection, Mapping as MappingType

from .document import Document, render_spec
from .plan import Plan, replacements
from .scalars import InPlaceScalar
from .verify import verify_text
from .errors import NotATaskConfigError, SelectorError, SpecRef, ValueTypeError, did_you_mean
from .render import shell_word
from .spec_ast import EnvSpec, Key, Selector, SetSpec, Span, Spec, Value
from .spec_parser import check_utf8
from .yaml_index import Mapping, Node, Scalar, Sequence, YamlIndex, build_index, split_bom

# The variables a serving job is handed (the seed's list).
SERVING_VARIABLES = ("checkpoint_path", "model_path")
_REFERENCE = re.compile(r"\$(?:\{(\w+)\}|(\w+))")


class MissingVariableError(ValueTypeError):
    """The serving command uses a variable nobody provided."""

    kind = "serving error"


def serve(text: str, *, serving: str, task: str, build: str | None = None,
          variables: MappingType[str, str] | None = None, expand: bool = False, path: str | None = None,
          template: bool | None = None, verify: bool = True, may_go_unused: Collection[str] = ()) -> Document:
    """The serving config for ``task`` from the ``serving`` entry of an MLApp.

    ``variables`` (for example ``model_path``) become env entries, or, with
    ``expand``, are substituted into the command. Raises ``TaskpatchError``s;
    each variable given that the command never uses is a warning on the
    result, except those named in ``may_go_unused`` (the CLI's ``--info``
    values: a task-info file records both paths, and a command uses one)."""
    variables = dict(variables or {})
    index = build_index(split_bom(text)[1], path, template)
    root = _mlapp(index, path)
    entry = _pick(root, "serving", serving, path)
    _pick(root, "tasks", task, path)
    command = entry.get("command")
    command_text = _command_text(command)
    used = {a or b for a, b in _REFERENCE.findall(command_text)}
    missing = sorted(v for v in SERVING_VARIABLES if v in used and v not in variables)
    if missing:
        names = " and ".join(f"${name}" for name in missing)
        raise MissingVariableError(
            f"the serving command uses {names}, which was not given (record it with `taskpatch info set` "
            f"and pass --info, or pass --var {missing[0]}=...)",
            file=path, line=command.line + 1, column=command.column + 1,  # type: ignore[union-attr]
        )
    if expand and variables and command is not None:
        # Substitute in the text itself: the command keeps its style, its
        # line breaks and any template markup; only the references change.
        source = _expand_in_text(index.source, command, variables)
        if verify:  # ...and it must read as the command with the values substituted
            scalars = [n for n in (command.items if isinstance(command, Sequence) else [command])
                       if isinstance(n, Scalar)]
            expanded = {id(n): InPlaceScalar(_REFERENCE.sub(lambda m: _substitute(m, variables), n.value), None, n)
                        for n in scalars}
            verify_text(index, Plan((), replacements(index, scalars, expanded)), source, path)
        index = build_index(source, path, template)
        entry = _pick(_mlapp(index, path), "serving", serving, path)
    entry_text = _entry_text(index, entry)
    if verify:  # the cut-out entry reads as the entry did in the project file
        verify_text(index, Plan((), ()), entry_text, path, roots=[entry])
    document = Document(entry_text, path=path, resources="$", template=template, verify=verify)
    specs: list[Spec] = [_set("taskName", task)]
    if build is not None:
        specs.append(_set("build", build))
    if not expand:
        specs += [_env(name, value) for name, value in variables.items()]
    specs.append(render_spec("serving"))
    document.apply(specs)
    for name in variables:
        if name not in used and name not in may_go_unused:
            document.warnings.append(
                f"the serving command never uses ${name}; as the seed notes, the command must use the "
                f"variable (${name} or ${{{name}}}) for the serving job to pick it up"
            )
    return document


def _mlapp(index: YamlIndex, path: str | None) -> Mapping:
    for root in index.roots:
        if isinstance(root, Mapping) and root.scalar_value("kind") == "MLApp":
            return root
    raise NotATaskConfigError("serve needs an MLApp project file (kind: MLApp)", file=path, line=1, column=1)


def _pick(root: Mapping, section: str, name: str, path: str | None) -> Mapping:
    """The ``spec.<section>[]`` entry called ``name``, or a positioned error."""
    spec = root.get("spec")
    entries = spec.get(section) if isinstance(spec, Mapping) else None
    if not isinstance(entries, Sequence) or not entries.items:
        where = entries or spec or root
        raise NotATaskConfigError(f"this MLApp has no spec.{section} entries", file=path, line=where.line + 1,
                                  column=where.column + 1)
    named = [(e.scalar_value("name"), e) for e in entries.items if isinstance(e, Mapping)]
    for entry_name, entry in named:
        if entry_name == name:
            return entry
    names = [n for n, _ in named if n is not None]
    raise SelectorError(f"no spec.{section} entry is named {name!r} ({section}: {', '.join(names)})"
                        f"{did_you_mean(name, names)}",
                        file=path, line=entries.line + 1, column=entries.column + 1)


def _command_text(command: Node | None) -> str:
    if isinstance(command, Scalar):
        return command.value
    if isinstance(command, Sequence):
        return " ".join(item.value for item in command.items if isinstance(item, Scalar))
    return ""


def _entry_text(index: YamlIndex, entry: Mapping) -> str:
    """The entry's own lines, dedented to a document of their own; the
    ``- `` before its first key becomes spaces, so columns line up."""
    text = index.source  # with its markup, for a template
    lines = text[index.line_start(entry.start) : index.line_end(entry.end)].splitlines(keepends=True)
    width = entry.column
    lines[0] = " " * width + lines[0][width:]
    return "".join(line[width:] if not line[:width].strip() else line.lstrip(" ") for line in lines)


def _expand_in_text(text: str, command: Node, variables: MappingType[str, str]) -> str:
    """``text`` with ``$var``/``${var}`` in the command's scalars replaced by
    the values, shell-quoted, and escaped as each scalar's style needs."""
    scalars = command.items if isinstance(command, Sequence) else [command]
    for scalar in sorted((n for n in scalars if isinstance(n, Scalar)), key=lambda n: n.start, reverse=True):
        escape = {"'": lambda v: v.replace("'", "''"),
                  '"': lambda v: v.replace("\\", "\\\\").replace('"', '\\"')}.get(scalar.style or "", lambda v: v)

        def substitute(match: re.Match[str]) -> str:
            return escape(_substitute(match, variables))

        text = text[: scalar.start] + _REFERENCE.sub(substitute, text[scalar.start : scalar.end]) + text[scalar.end :]
    return text


def _substitute(match: re.Match[str], variables: MappingType[str, str]) -> str:
    """A `$var`/`${var}` reference's value as one shell word, if given."""
    name = match.group(1) or match.group(2)
    return shell_word(variables[name]) if name in variables else match.group(0)


def _everything() -> Selector:
    return Selector("*", False, Span(0, 1))


def _set(key: str, value: Any) -> SetSpec:
    text = str(value)
    source = SpecRef(f"{key}={text}", "serve")
    check_utf8(source.text, source)
    return SetSpec(source, _everything(), (Key(key, Span(0, len(key))),),
                   Value(text, True, Span(len(key) + 1, len(key) + 1 + len(text))), force=True)  # its own fields


def _env(name: str, value: str) -> EnvSpec:
    source = SpecRef(f"{name}={value}", "serve")
    check_utf8(source.text, source)
    return EnvSpec(source, None, name, Span(0, len(name)), value, Span(len(name) + 1, len(name) + 1 + len(value)))

"""Sweep variants: ``parallel_run``-style transforms and/or a grid of args.

The input is indexed once; every variant is planned against that one index
and spliced from the original text, so a variant costs a plan and a splice,
never a parse.
"""

from __future__ import annotations

import dataclasses
import itertools
import re
from typing import Any, Iterable, Iterator, Sequence as SequenceType

from .applier import apply_plan
from .document import Document, render_spec
from .errors import SpecRef, ValueTypeError
from .planner import make_plan
from .scalars import core_resolve
from .spec_ast import ArgsSpec, Key, Selector, Span, Spec
from .spec_parser import parse_args, value_of

# Grid values are split at commas; `\,` is a comma inside a value.
_UNESCAPED_COMMA = re.compile(r"(?<!\\),")

Params = dict[str, Any]
Choice = list[tuple[str, ArgsSpec, Any]]  # (param name, spec, value for the index)


def grid_choices(grid: str, label: str = "--grid") -> list[Choice]:
    """``SEL.KEY=V1,V2`` as one choice per value."""
    template = parse_args(grid, label)
    if template.key is None:
        raise ValueTypeError("a grid needs SELECTOR.KEY=V1,V2,...", spec=template.source, spec_column=1)
    name = f"{template.selector.pattern}.{template.key.name}"
    start = template.value.span.start
    choices = []
    for part in _UNESCAPED_COMMA.split(grid[start:]):
        text = part.replace("\\,", ",")
        value = value_of(text, Span(start, start + len(part)))
        shown = value.text if value.quoted else core_resolve(value.text)  # as the index records it
        choices.append([(name, dataclasses.replace(template, value=value), shown)])
        start += len(part) + 1
    return choices


def transform_choices(transforms: Any, label: str = "transforms") -> list[Choice]:
    """A ``parallel_run`` list, ``[{worker: {batch_size: 10}}, ...]``: one choice per item."""
    if not isinstance(transforms, list) or not all(isinstance(t, dict) for t in transforms):
        raise ValueTypeError("transforms must be a list of {resource: {arg: value}} mappings", file=label)
    choices = []
    for number, transform in enumerate(transforms, 1):
        choice: Choice = []
        for resource, args in transform.items():
            if not isinstance(args, dict):
                raise ValueTypeError(f"transform {number}: {resource!r} must map to {{arg: value}}", file=label)
            for key, value in args.items():
                choice.append((f"{resource}.{key}", _args_spec(str(resource), str(key), value, label), value))
        choices.append(choice)
    return choices


def _args_spec(resource: str, key: str, value: Any, label: str) -> ArgsSpec:
    if isinstance(value, (dict, list)):
        raise ValueTypeError(f"{resource}.{key}: an argument value must be a scalar, not {type(value).__name__}",
                             file=label)
    if isinstance(value, bool):
        text, quoted = ("true" if value else "false"), False
    elif value is None or isinstance(value, (int, float)):
        text, quoted = ("null" if value is None else repr(value)), False
    else:
        text, quoted = str(value), True  # a string in the transforms file stays a string
    source = SpecRef(f"{resource}.{key}={text}", label)
    glob = any(c in resource for c in "*?[")
    return ArgsSpec(source, Selector(resource, not glob, Span(0, len(resource))),
                    Key(key, Span(len(resource) + 1, len(resource) + 1 + len(key))),
                    value_of(text, Span(0, 0)) if not quoted else dataclasses.replace(
                        value_of(text, Span(0, 0)), quoted=True))


def combinations(transforms: Any = None, grid: Iterable[str] = ()) -> list[Choice]:
    """Every variant: each transform (if any) with each point of the grid."""
    axes: list[list[Choice]] = []
    if transforms is not None:
        axes.append(transform_choices(transforms))
    axes += [grid_choices(g) for g in grid]
    if not axes:
        raise ValueTypeError("variants need --transforms or at least one --grid")
    return [[part for choice in combo for part in choice] for combo in itertools.product(*axes)]


def variants(text: str, transforms: Any = None, grid: SequenceType[str] = (), render: bool = False, *,
             task: str | None = None, resources: str | None = None, path: str | None = None
             ) -> Iterator[tuple[Params, str]]:
    """Yield ``(params, text)`` for every variant of ``text``."""
    document = Document(text, path=path, task=task, resources=resources)
    index = document.index()  # the one parse
    bom = "\ufeff" if text.startswith("\ufeff") else ""
    for choice in combinations(transforms, grid):
        specs: list[Spec] = [spec for _, spec, _ in choice]
        if render:
            specs.append(render_spec())
        plan = make_plan(index, specs, task=task, resources=resources, file=path)
        yield {name: value for name, _, value in choice}, bom + apply_plan(index, plan)

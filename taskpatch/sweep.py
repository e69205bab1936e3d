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

from .applier import Writer, apply_plan
from .document import Document, render_spec
from .errors import SpecRef, TaskpatchError, UsageError, ValueTypeError
from .locate import Resource, find_groups
from .overlay import MISSING
from .planner import make_plan
from .values import same_scalar, typed_value
from .walker import matching
from .scalars import NewScalar, core_resolve, from_python
from .spec_ast import ArgsSpec, Key, Selector, Span, Spec, Value
from .spec_parser import parse_args, value_of
from .verify import verify_scalar, verify_text
from .yaml_index import Mapping, Node, Scalar, Sequence, YamlIndex, split_bom

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


def transform_choices(transforms: Any, label: str = "transforms", where: dict[int, Node] | None = None
                      ) -> list[Choice]:
    """A ``parallel_run`` list, ``[{worker: {batch_size: 10}}, ...]``: one choice per item.
    ``where`` maps the id() of its lists and dicts to their nodes when it was
    read from a file (``locate.to_data``), so that errors have a position."""
    def error(message: str, *near: Any) -> ValueTypeError:
        """An error at the first of ``near`` (innermost first) that has a place
        in the file; at its start when none has (an empty file, a scalar)."""
        if where is None:
            return ValueTypeError(message, file=label)
        node = next((where[id(n)] for n in near if id(n) in where), None)
        return ValueTypeError(message, file=label, line=1 if node is None else node.line + 1,
                              column=1 if node is None else node.column + 1)

    if not isinstance(transforms, list):
        raise error("transforms must be a list of {resource: {arg: value}} mappings", transforms)
    choices = []
    for number, transform in enumerate(transforms, 1):
        if not isinstance(transform, dict):
            raise error(f"transform {number} must be a mapping {{resource: {{arg: value}}}}", transforms)
        choice: Choice = []
        for resource, args in transform.items():
            if not isinstance(args, dict):
                raise error(f"transform {number}: {resource!r} must map to {{arg: value}}", args, transform)
            for key, value in args.items():
                if isinstance(value, (dict, list)):
                    raise error(f"{resource}.{key}: an argument value must be a scalar, not {type(value).__name__}",
                                value)
                choice.append((f"{resource}.{key}", _args_spec(str(resource), str(key), value, label), value))
        choices.append(choice)
    return choices


def _args_spec(resource: str, key: str, value: Any, label: str) -> ArgsSpec:
    # A number, bool or null is written as YAML reads it back (`.nan`, not
    # Python's `nan`, a string to YAML); a string in the transforms stays a string.
    literal = from_python(value).literal
    text, quoted = (str(value), True) if literal is None else (literal, False)
    source = SpecRef(f"{resource}.{key}={text}", label)
    glob = any(c in resource for c in "*?[")
    return ArgsSpec(source, Selector(resource, not glob, Span(0, len(resource))),
                    Key(key, Span(len(resource) + 1, len(resource) + 1 + len(key))),
                    value_of(text, Span(0, 0)) if not quoted else dataclasses.replace(
                        value_of(text, Span(0, 0)), quoted=True))


def combinations(transforms: Any = None, grid: Iterable[str] | None = None) -> list[Choice]:
    """Every variant: each transform (if any) with each point of the grid."""
    axes: list[list[Choice]] = []
    if transforms is not None:
        axes.append(transform_choices(transforms))
    axes += [grid_choices(g) for g in grid or ()]
    if not axes:
        raise UsageError("variants need --transforms or at least one --grid")
    return [[part for choice in combo for part in choice] for combo in itertools.product(*axes)]


class _Hole:
    """One place a variant's value goes: what the planner would type it
    against, and how the writer wrote the placeholder there."""

    __slots__ = ("spec", "old", "raw", "style", "flow", "original", "source", "keys", "written")

    def __init__(self, spec: ArgsSpec, old: Scalar | None, raw: bool, original: str) -> None:
        self.spec, self.old, self.raw, self.original = spec, old, raw, original
        self.source = 0  # which of the variant's specs gives this hole its value
        self.keys = ("args", spec.key.name)  # type: ignore[union-attr]
        self.written: dict[tuple[str, bool], str] = {}  # a grid repeats each value many times
        self.style: str | None = None
        self.flow = False


class _Template:
    """The output for one shape of variant (the same args keys on the same
    resources), with a hole per value.

    The planner and applier run once, with placeholder strings as values and
    the writer tracing how it wrote each; a variant is then the template's
    segments joined with each value written the same way (typed against the
    old value, kept as it was when equal). This mirrors the planner for args
    mappings and lists only: anything else (an args string, render, a block
    scalar, a name two resources share) makes ``build`` return None and the
    variants go through the planner one by one. tests/test_variants.py checks
    the two paths give the same bytes.
    """

    def __init__(self, segments: list[str], holes: list[_Hole], writer: Writer, file: str | None,
                 verify: bool) -> None:
        self.segments, self.holes, self.writer, self.file, self.verify = segments, holes, writer, file, verify

    @classmethod
    def build(cls, index: YamlIndex, specs: list[ArgsSpec], task: str | None, resources: str | None,
              file: str | None, verify: bool = True) -> _Template | None:
        try:
            groups = find_groups(index, task=task, resources=resources, file=file)
        except TaskpatchError:
            return None
        everyone = [r for g in groups for r in g.resources]
        names = [r.name for r in everyone]
        per_resource: list[tuple[ArgsSpec, Resource, int]] = []
        for source, spec in enumerate(specs):
            if spec.key is None:
                return None
            chosen = matching(spec.selector, everyone)
            if not chosen or any(names.count(r.name) > 1 for r in chosen):
                return None
            for resource in chosen:
                exact = Selector(resource.name, True, spec.selector.span)
                per_resource.append((dataclasses.replace(spec, selector=exact), resource, source))
        if len({(r.name, s.key.name) for s, r, _ in per_resource}) != len(per_resource):  # type: ignore[union-attr]
            return None
        holes, marked = [], []
        for number, (spec, resource, source) in enumerate(per_resource):
            hole = _hole(spec, resource, index)
            if hole is None:
                return None
            hole.source = source
            marker = f"tpHole{number}x{id(index) % 9973}"
            holes.append(hole)
            marked.append(dataclasses.replace(spec, value=Value(marker, True, spec.value.span)))
        trace: dict[str, tuple[str | None, bool, str]] = {f"tpHole{n}x{id(index) % 9973}": (None, False, "")
                                                         for n in range(len(holes))}
        try:
            plan = make_plan(index, list(marked), task=task, resources=resources, file=file)
            text = apply_plan(index, plan, trace)
        except TaskpatchError:
            return None
        if verify:  # read back like any patched text; each value put in a hole is checked in render
            verify_text(index, plan, text, file)
        found = []
        for hole, (style, flow, written) in zip(holes, trace.values()):
            if not written or text.count(written) != 1:
                return None  # not written through the writer, or not findable: no template
            hole.style, hole.flow = style, flow
            found.append((text.index(written), len(written), hole))
        found.sort(key=lambda item: item[0])  # holes in text order
        segments, last = [], 0
        for start, length, _ in found:
            segments.append(text[last:start])
            last = start + length
        segments.append(text[last:])
        return cls(segments, [hole for _, _, hole in found], Writer(index), file, verify)

    def render(self, specs: list[ArgsSpec]) -> str:
        """The variant's text; raises what the planner would on a bad value."""
        parts = [self.segments[0]]
        scalar = self.writer.scalar
        for hole, segment in zip(self.holes, self.segments[1:]):
            value = specs[hole.source].value
            text = hole.written.get((value.text, value.quoted))
            if text is None:
                if hole.raw:
                    new = NewScalar(value.text)
                else:
                    new = typed_value(value, MISSING if hole.old is None else hole.old, hole.keys, hole.spec.source)
                if hole.old is not None and same_scalar(hole.old, new):
                    text = hole.original
                else:
                    text = scalar(new, hole.style, hole.flow)
                    if self.verify:
                        verify_scalar(text, new, hole.flow, self.file)
                hole.written[value.text, value.quoted] = text
            parts.append(text)
            parts.append(segment)
        return "".join(parts)


def _hole(spec: ArgsSpec, resource: Resource, index: YamlIndex) -> _Hole | None:
    """How the planner will treat this args key on this resource, if simply."""
    node = resource.node
    args = node.get("args")
    key = spec.key.name  # type: ignore[union-attr]
    if node.is_duplicate("args") or node.is_duplicate("command") or (
            isinstance(args, Mapping) and args.is_duplicate(key)):
        return None  # written once per template branch: the planner edits each
    if isinstance(args, Mapping) and args.keys:
        old = args.get(key)
        template = index.template
        if template is not None and old is not None and template.touches_markup(old.start, old.end):
            return None  # the planner types it by its markup
        if old is None or (isinstance(old, Scalar) and old.style not in ("|", ">") and not old.anchor):
            original = index.source[old.start : old.end] if old is not None else ""
            return _Hole(spec, old, False, original)
        return None
    if isinstance(args, Sequence) and args.items:
        return _Hole(spec, None, True, "")
    if args is None or (isinstance(args, Scalar) and args.value == "") or (
            isinstance(args, (Mapping, Sequence)) and args.flow):
        return _Hole(spec, None, resource.container or isinstance(node.get("command"), Sequence), "")
    return None


def variants(text: str, transforms: Any = None, grid: SequenceType[str] | None = None, render: bool = False, *,
             task: str | None = None, resources: str | None = None, path: str | None = None,
             template: bool | None = None, verify: bool = True) -> Iterator[tuple[Params, str]]:
    """Yield ``(params, text)`` for every variant of ``text``: each of the
    ``parallel_run``-style ``transforms`` with each point of the ``grid``
    (``["worker.lr=0.1,0.01", ...]``), as args specs; ``render`` folds them in.
    Every variant is read back and checked against its plan (``verify``)."""
    document = Document(text, path=path, task=task, resources=resources, template=template)
    index = document.index()  # the one parse
    bom = split_bom(text)[0]
    templates: dict[tuple, _Template | None] = {}
    for choice in combinations(transforms, grid):
        specs: list[Spec] = [spec for _, spec, _ in choice]
        params = {name: value for name, _, value in choice}
        shape = tuple((s.selector.pattern, s.key.name if s.key else None) for s in specs)  # type: ignore[union-attr]
        if not render and shape not in templates:
            templates[shape] = _Template.build(index, specs, task, resources, path,  # type: ignore[arg-type]
                                               verify)
        fast = templates.get(shape)
        if fast is not None:
            try:
                yield params, bom + fast.render(specs)  # type: ignore[arg-type]
                continue
            except TaskpatchError:
                pass  # let the planner raise it, with its positions
        if render:
            specs.append(render_spec())
        plan = make_plan(index, specs, task=task, resources=resources, file=path)
        body = apply_plan(index, plan)
        if verify:
            verify_text(index, plan, body, path)
        yield params, bom + body

"""Sweep variants: ``parallel_run``-style transforms and/or a grid of args,
override and env axes.

The input is indexed once. Each shape of variant (the same specs on the
same resources) is planned once, with placeholders for its values, and
every variant is that template with its values written in; what the
template cannot stand for is planned variant by variant, against that one
index and spliced from the original text: never a parse per variant.
"""

from __future__ import annotations

import dataclasses
import itertools
import re
import shlex
from typing import Any, Callable, Iterable, Iterator, Sequence as SequenceType, Union

from . import render
from .applier import Writer, apply_plan
from .document import Document, render_spec
from .errors import SpecRef, TaskpatchError, UsageError, ValueTypeError
from .flow import is_flow
from .locate import Resource, find_groups
from .overlay import MISSING
from .plan import MappingChange, Plan
from .planner import make_plan
from .scalars import AppendedScalar, NewScalar, core_resolve, from_python
from .spec_ast import ArgsSpec, EnvSpec, Key, Selector, SetSpec, Span, Spec, Value, path_text
from .spec_parser import parse_args, parse_env, parse_override, value_of
from .values import COUNT_FIELDS, is_count_field, same_scalar, typed_value
from .walker import matching
from .verify import verify_scalar, verify_text
from .yaml_index import Mapping, Node, Scalar, Sequence, YamlIndex, split_bom

# Grid values are split at commas; `\,` is a comma inside a value.
_UNESCAPED_COMMA = re.compile(r"(?<!\\),")
# A grid axis may start with a spec word, as a spec file's line does.
_AXIS_WORD = re.compile(r"(env|set|args)[ \t]+")
_PARSERS: dict[str, Callable[[str, str], Spec]] = {"env": parse_env, "set": parse_override, "args": parse_args}
# A bare axis sets args; one of these keys there most likely meant the
# resource's own field (`--grid worker.replicas=1,2`), so it warns.
RESOURCE_FIELDS = COUNT_FIELDS | {"name", "image", "images", "command", "args", "env", "workdir", "workDir",
                                  "resources", "volumes", "default_volume_mapping", "restartPolicy", "ports",
                                  "nodes", "allowFail", "is_permanent", "isPermanent"}

Params = dict[str, Any]
AxisSpec = Union[ArgsSpec, SetSpec, EnvSpec]
Choice = list[tuple[str, AxisSpec, Any]]  # (param name, spec, value for the index)


def grid_choices(grid: str, label: str = "--grid", warnings: list[str] | None = None) -> list[Choice]:
    """One choice per value of an axis: ``SEL.KEY=V1,V2`` (args, as a bare
    axis always was), ``args SEL.KEY=…``, ``set SEL.PATH=…`` or ``env
    [SEL:]NAME=…``. A bare axis whose key is a resource field adds a warning
    to ``warnings``."""
    word = _AXIS_WORD.match(grid)
    kind, offset = (word.group(1), word.end()) if word else ("args", 0)
    body = grid[offset:]
    try:
        template = _PARSERS[kind](body, label)
    except TaskpatchError as exc:
        if offset and exc.spec is not None:  # its column in the whole axis, as in a spec file's line
            exc.spec = SpecRef(body, label, column_offset=offset)
            exc.spec_column = None if exc.spec_column is None else exc.spec_column + offset
        raise
    source = SpecRef(body, label, column_offset=offset)
    if isinstance(template, EnvSpec):
        name = template.name if template.selector is None else f"{template.selector.pattern}:{template.name}"
        return [[(name, dataclasses.replace(template, source=source, value=text.replace("\\,", ","),
                                            value_span=span), text.replace("\\,", ","))]
                for text, span in _split(body, template.value_span.start)]
    if isinstance(template, SetSpec):
        name = f"{template.selector.pattern}.{path_text(template.path)}"
    elif isinstance(template, ArgsSpec) and template.key is not None:
        name = f"{template.selector.pattern}.{template.key.name}"
        if not word and template.key.name in RESOURCE_FIELDS and warnings is not None:
            warnings.append(f"--grid {grid!r} sets args ({template.selector.pattern}.args.{template.key.name}); "
                            f"{template.key.name!r} is a resource field: to vary it, write "
                            f"--grid 'set {name}={body[template.value.span.start:]}'")
    else:  # `~SEL.PATH`, or args `SEL=RAW`: nothing to vary
        wanted = "SELECTOR.PATH=V1,V2,..." if kind == "set" else "SELECTOR.KEY=V1,V2,..."
        raise ValueTypeError(f"a grid needs {wanted}", spec=source, spec_column=offset + 1)
    choices: list[Choice] = []
    for part, span in _split(body, template.value.span.start):
        value = value_of(part.replace("\\,", ","), span)
        shown = value.text if value.quoted else core_resolve(value.text)  # as the index records it
        choices.append([(name, dataclasses.replace(template, source=source, value=value), shown)])
    return choices


def _split(body: str, start: int) -> list[tuple[str, Span]]:
    """The comma-separated values from ``start`` on, each with its span."""
    parts = []
    for part in _UNESCAPED_COMMA.split(body[start:]):
        parts.append((part, Span(start, start + len(part))))
        start += len(part) + 1
    return parts


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


def combinations(transforms: Any = None, grid: Iterable[str] | None = None,
                 warnings: list[str] | None = None) -> list[Choice]:
    """Every variant: each transform (if any) with each point of the grid."""
    axes: list[list[Choice]] = []
    if transforms is not None:
        axes.append(transform_choices(transforms))
    axes += [grid_choices(g, warnings=warnings) for g in grid or ()]
    if not axes:
        raise UsageError("variants need --transforms or at least one --grid")
    return [[part for choice in combo for part in choice] for combo in itertools.product(*axes)]


class _Unfit(Exception):
    """A value the template cannot take as the planner would: plan it."""


def _value_key(spec: AxisSpec) -> Any:
    """What a hole's text depends on: the value as written."""
    if isinstance(spec, EnvSpec):
        return spec.value
    return spec.value.text, spec.value.quoted


class _Hole:
    """One place a variant's value goes, and how it is written there.

    A *scalar* hole is a value of its own (an args entry, an overridden
    field, an env value, an args list item): typed as the planner types it
    against ``old``, written as the writer wrote the placeholder there (its
    ``style`` and ``flow``), or kept as it was when equal to ``old``.

    A *word* hole is one shell word inside text appended to a string scalar
    ``node`` (a string ``args``, or the command ``--render`` folds args
    into): the appended text is worked out by the applier's own
    ``append_to`` with this value in place (the other holes keep their
    placeholders, which are plain letters and digits), and must land where
    the placeholder's did. Escaping in every style is per character, and
    the separators between words (`` --key ``) keep one word's characters
    from meeting another's, so each word's text holds in any combination.
    """

    __slots__ = ("spec", "source", "resource", "marker", "old", "keys", "kind", "original", "style", "flow",
                 "written", "node", "pos", "full", "suffix", "pre", "post")

    def __init__(self, spec: AxisSpec, kind: str, old: Scalar | None = None, keys: tuple[str, ...] = (),
                 original: str = "") -> None:
        self.spec, self.kind = spec, kind
        self.marker = ""  # the placeholder standing for the value in the template
        self.source = 0  # which of the variant's specs gives this hole its value
        self.resource: Resource | None = None
        self.old, self.keys, self.original = old, keys, original
        self.style: str | None = None
        self.flow = False
        self.written: dict[Any, str] = {}  # a grid repeats each value many times
        self.node: Scalar | None = None
        self.pos = 0
        self.full = self.suffix = self.pre = self.post = ""

    def new(self, spec: AxisSpec) -> NewScalar:
        """The value as the planner makes it: ``raw`` (env values, args list
        items) as the string given, ``typed`` by the typing rules."""
        if isinstance(spec, EnvSpec):
            return NewScalar(spec.value)
        if self.kind == "raw":
            return NewScalar(spec.value.text)
        if isinstance(spec, SetSpec) and is_flow(spec.value):
            raise _Unfit  # a collection, not a scalar: the planner writes it
        return typed_value(spec.value, MISSING if self.old is None else self.old, self.keys, spec.source)

    def word(self, spec: AxisSpec) -> str:
        """The shell word the value becomes: appended to a string args as
        ``-a`` does, or a mapping args' value as ``--render`` folds it."""
        assert not isinstance(spec, EnvSpec)  # env values are never folded
        if self.kind == "args-word":
            return render.shell_word(spec.value.text)
        return render.shell_word(render.seed_text(self.new(spec).value))

    def text(self, spec: AxisSpec, template: _Template) -> str:
        key = _value_key(spec)
        text = self.written.get(key)
        if text is None:
            text = self.written[key] = (self._scalar_text(spec, template) if self.node is None
                                        else self._word_text(spec, template))
        return text

    def _scalar_text(self, spec: AxisSpec, template: _Template) -> str:
        new = self.new(spec)
        if self.old is not None and same_scalar(self.old, new):
            return self.original
        text = template.writer.scalar(new, self.style, self.flow)
        template.check(text, new, self.flow)
        return text

    def _word_text(self, spec: AxisSpec, template: _Template) -> str:
        writer = template.writer
        word = self.word(spec)
        node = self.node
        assert node is not None
        if self.marker in word:
            raise _Unfit
        full, suffix = self.full.replace(self.marker, word), self.suffix.replace(self.marker, word)
        insertion = writer.append_to(node, full, suffix, self.flow)
        if insertion is None or insertion[0] != self.pos or not (
                insertion[1].startswith(self.pre) and insertion[1].endswith(self.post)):
            raise _Unfit  # the planner writes this one otherwise (the whole scalar, say)
        # The scalar, with this word in it, reads back as the planner's string.
        source = writer.index.source
        template.check(source[node.start : self.pos] + insertion[1] + source[self.pos : node.end], NewScalar(full),
                       self.flow)
        return insertion[1][len(self.pre) : len(insertion[1]) - len(self.post)]


class _Template:
    """The output for one shape of variant (the same specs on the same
    resources), with a hole per value.

    The planner and applier run once, with placeholders as values and the
    writer tracing how it wrote each; a variant is then the template's
    segments joined with each value written the same way. ``build`` returns
    None where the template cannot stand for the planner (a name two
    resources share, a key written per template branch, a block scalar, an
    anchor, a merge, a path the planner would create through a null...):
    those variants go through the planner one by one. tests/test_variants.py
    and the fuzzer check that both paths give the same bytes.
    """

    def __init__(self, segments: list[str], holes: list[_Hole], writer: Writer, file: str | None,
                 verify: bool) -> None:
        self.segments, self.holes, self.writer, self.file, self.verify = segments, holes, writer, file, verify
        self.checked: set[tuple[str, bool, str, str]] = set()  # holes of several resources write the same text

    def check(self, written: str, expected: NewScalar, flow: bool) -> None:
        """Read ``written`` back (``verify``): it must be ``expected``."""
        key = (written, flow, type(expected.value).__name__, str(expected.value))
        if self.verify and key not in self.checked:
            verify_scalar(written, expected, flow, self.file)
            self.checked.add(key)

    @classmethod
    def build(cls, index: YamlIndex, specs: list[AxisSpec], task: str | None, resources: str | None,
              file: str | None, verify: bool = True, fold: bool = False) -> _Template | None:
        try:
            groups = find_groups(index, task=task, resources=resources, file=file)
        except TaskpatchError:
            return None
        everyone = [r for g in groups for r in g.resources]
        names = [r.name for r in everyone]
        markers = _Markers(index.source)
        holes: list[_Hole] = []
        marked: list[Spec] = []
        for source, spec in enumerate(specs):
            chosen = everyone if spec.selector is None else matching(spec.selector, everyone)
            if not chosen or any(names.count(r.name) > 1 for r in chosen):
                return None
            for resource in chosen:
                hole = _hole(spec, resource, index, fold)
                if hole is None:
                    return None
                hole.source, hole.resource = source, resource
                hole.marker = markers.take(integer=is_count_field(hole.keys))
                holes.append(hole)
                exact = Selector(resource.name, True, spec.selector.span if spec.selector else Span(0, 0))
                marked.append(dataclasses.replace(hole.spec, selector=exact, **_placeholder(hole)))
        if not _independent(holes):
            return None
        if fold:
            marked.append(render_spec())
        trace: dict[str, tuple[str | None, bool, str]] = {h.marker: (None, False, "") for h in holes}
        try:
            plan = make_plan(index, marked, task=task, resources=resources, file=file)
            text = apply_plan(index, plan, trace)
        except TaskpatchError:
            return None
        if verify:  # read back like any patched text; each value put in a hole is checked in render
            verify_text(index, plan, text, file)
        writer = Writer(index)
        found = []
        for hole in holes:
            where = _locate(hole, text, plan, trace, writer)
            if where is None:
                return None
            found.append((*where, hole))
        found.sort(key=lambda item: item[0])  # holes in text order
        segments, last = [], 0
        for start, length, _ in found:
            segments.append(text[last:start])
            last = start + length
        segments.append(text[last:])
        return cls(segments, [hole for _, _, hole in found], writer, file, verify)

    def render(self, specs: list[AxisSpec]) -> str:
        """The variant's text; raises what the planner would on a bad value,
        or _Unfit where the planner must write it."""
        parts = [self.segments[0]]
        for hole, segment in zip(self.holes, self.segments[1:]):
            parts.append(hole.text(specs[hole.source], self))
            parts.append(segment)
        return "".join(parts)


class _Markers:
    """Placeholder values no input holds, all of one width (so that none is
    part of another), of letters and digits, which every style writes as
    they are: a string, or for a count field (which takes only
    non-negative integers) an integer."""

    def __init__(self, source: str) -> None:
        self.salt = 0
        while f"tpHole{self.salt}x" in source or f"7130{self.salt}0" in source:
            self.salt += 1
        self.numbers = itertools.count()

    def take(self, integer: bool) -> str:
        number = next(self.numbers)
        return f"7130{self.salt}0{number:06d}" if integer else f"tpHole{self.salt}x{number:06d}"


def _placeholder(hole: _Hole) -> dict[str, Any]:
    """The spec fields that put the hole's placeholder in as its value."""
    spec = hole.spec
    if isinstance(spec, EnvSpec):
        return {"value": hole.marker}
    integer = is_count_field(hole.keys)
    return {"value": Value(hole.marker, not integer, spec.value.span)}


def _target(spec: AxisSpec) -> tuple[str, str]:
    if isinstance(spec, EnvSpec):
        return "env", spec.name
    if isinstance(spec, SetSpec):
        return "set", path_text(spec.path)
    return "args", spec.key.name  # type: ignore[union-attr]


def _shape(spec: AxisSpec) -> tuple:
    """What a spec contributes to its variant's shape: all but the value."""
    return type(spec), spec.selector and (spec.selector.pattern, spec.selector.quoted), _target(spec)


def _independent(holes: list[_Hole]) -> bool:
    """No two holes write one place, and no override reaches into the
    args, command or env of a resource that has another hole (the planner
    would write them as one)."""
    targets = {(id(h.resource), _target(h.spec)) for h in holes}
    if len(targets) != len(holes):
        return False
    return not any(isinstance(h.spec, SetSpec) and h.spec.path[0].name in ("args", "command", "env")  # type: ignore[union-attr]
                   and sum(o.resource is h.resource for o in holes) > 1 for h in holes)


def _markup(index: YamlIndex, node: Node) -> bool:
    template = index.template
    return template is not None and template.touches_markup(node.start, node.end)


def _plain_old(index: YamlIndex, node: Node | None) -> bool:
    """Is ``node`` absent, or a scalar the planner replaces in its own span
    (not a block scalar, no anchor, no template markup; not a null written
    as nothing, `key:`, where a new value also gets a space before it)?"""
    return node is None or (isinstance(node, Scalar) and node.style not in ("|", ">") and not node.anchor
                            and node.start < node.end and not _markup(index, node))


def _is_null(node: Node | None) -> bool:
    return node is None or (isinstance(node, Scalar) and node.style is None and node.tag is None
                            and core_resolve(node.value) is None)


def _hole(spec: AxisSpec, resource: Resource, index: YamlIndex, fold: bool) -> _Hole | None:
    """How the planner will treat this spec on this resource, if simply."""
    if isinstance(spec, EnvSpec):
        return _env_hole(spec, resource, index)
    if isinstance(spec, SetSpec):
        return _set_hole(spec, resource, index, fold)
    return _args_hole(spec, resource, index, fold)


def _original(index: YamlIndex, old: Node | None) -> str:
    return "" if old is None else index.source[old.start : old.end]


def _args_hole(spec: ArgsSpec, resource: Resource, index: YamlIndex, fold: bool) -> _Hole | None:
    node = resource.node
    args = node.get("args")
    key = spec.key.name  # type: ignore[union-attr]
    keys = ("args", key)
    if node.is_duplicate("args") or node.is_duplicate("command") or (
            isinstance(args, Mapping) and args.is_duplicate(key)):
        return None  # written once per template branch: the planner edits each
    listed = resource.container or isinstance(node.get("command"), Sequence)
    if isinstance(args, Mapping) and args.keys:
        old = args.get(key)
        if not _plain_old(index, old):
            return None
        hole = _Hole(spec, "typed", old, keys, _original(index, old))  # type: ignore[arg-type]
        return _folded(hole, resource, index, "fold-word") if fold else hole
    if isinstance(args, Sequence) and args.items:
        return None if fold else _Hole(spec, "raw")
    if _is_null(args) or (isinstance(args, Scalar) and args.value == "") or (
            isinstance(args, (Mapping, Sequence)) and args.flow):
        if fold:
            return None if listed else _folded(_Hole(spec, "typed", None, keys), resource, index, "fold-word")
        return _Hole(spec, "raw" if listed else "typed", None, keys)
    if not isinstance(args, Scalar) or args.anchor or args.tag or index.template is not None:
        return None
    try:
        tokens = shlex.split(args.value)
    except ValueError:
        tokens = args.value.split()
    flag = f"--{key}"
    if any(token == flag or token.startswith(flag + "=") for token in tokens):
        return None  # the planner refuses, or leaves it as it is
    hole = _Hole(spec, "args-word")
    return _folded(hole, resource, index, "args-word") if fold else _appended_to(hole, args, index)


def _folded(hole: _Hole, resource: Resource, index: YamlIndex, kind: str) -> _Hole | None:
    """A hole whose value ``--render`` folds into the resource's command."""
    if resource.container:
        return None
    command = resource.node.get("command")
    if not isinstance(command, Scalar) or index.template is not None:
        return None
    hole.kind = kind
    return _appended_to(hole, command, index)


def _appended_to(hole: _Hole, node: Scalar, index: YamlIndex) -> _Hole | None:
    """A word hole in text appended to ``node``, a string written on its own
    (no anchor, tag or explicit block indentation, so that it reads back
    alone the same)."""
    if node.anchor or node.tag or re.match(r"[|>][-+]?[0-9]", index.source[node.start : node.start + 3]):
        return None
    hole.node = node
    return hole


def _set_hole(spec: SetSpec, resource: Resource, index: YamlIndex, fold: bool) -> _Hole | None:
    if not all(isinstance(step, Key) for step in spec.path) or (
            fold and spec.path[0].name in ("args", "command")):  # type: ignore[union-attr]
        return None
    names = tuple(step.name for step in spec.path)  # type: ignore[union-attr]
    current: Node = resource.node
    old = None
    for depth, name in enumerate(names):
        if not isinstance(current, Mapping) or current.is_duplicate(name) or current.find("<<") is not None:
            return None  # per template branch, or typed by a merged value: the planner's business
        child = current.get(name)
        if depth == len(names) - 1:
            if not _plain_old(index, child):
                return None
            old = child
        elif child is None:
            break  # the rest of the path is created
        elif not (isinstance(child, Mapping) and child.keys):
            return None
        current = child  # type: ignore[assignment]
    return _Hole(spec, "typed", old, names, _original(index, old))  # type: ignore[arg-type]


def _env_hole(spec: EnvSpec, resource: Resource, index: YamlIndex) -> _Hole | None:
    node = resource.node
    env = node.get("env")
    if node.is_duplicate("env"):
        return None
    if _is_null(env) or (isinstance(env, Sequence) and env.flow and not env.items):
        return _Hole(spec, "raw")  # a new env list
    if not isinstance(env, Sequence) or env.anchor:
        return None
    for item in env.items:
        if not isinstance(item, Mapping) or item.is_duplicate("name"):
            return None
        if item.scalar_value("name") == spec.name:
            old = item.get("value")
            if item.find("valueFrom") is not None or item.is_duplicate("value") or not _plain_old(index, old):
                return None
            return _Hole(spec, "raw", old, (), _original(index, old))  # type: ignore[arg-type]
    return _Hole(spec, "raw")  # a new entry


def _locate(hole: _Hole, text: str, plan: Plan, trace: dict[str, tuple[str | None, bool, str]],
            writer: Writer) -> tuple[int, int] | None:
    """Where the placeholder of ``hole`` stands in the template's text, and
    how long it is there; None when the planner did not write it as the
    hole expects."""
    marker = hole.marker
    if text.count(marker) != 1:
        return None
    if hole.node is not None:
        return _locate_word(hole, text, plan, writer)
    if is_count_field(hole.keys):  # an integer: its text is its literal, in any style
        return text.index(marker), len(marker)
    style, flow, written = trace[marker]
    if not written or text.count(written) != 1:
        return None  # not written through the writer, or not findable: no template
    hole.style, hole.flow = style, flow
    return text.index(written), len(written)


def _locate_word(hole: _Hole, text: str, plan: Plan, writer: Writer) -> tuple[int, int] | None:
    node = hole.node
    for change in plan.changes:
        if isinstance(change, MappingChange):
            for _, _, value in change.actions:
                if isinstance(value, AppendedScalar) and value.base is node:
                    insertion = writer.append_to(node, value.value, value.suffix, change.node.flow)
                    if insertion is None or insertion[1].count(hole.marker) != 1:
                        return None
                    hole.pos, hole.flow, hole.full, hole.suffix = insertion[0], change.node.flow, value.value, value.suffix
                    hole.pre, hole.post = insertion[1].split(hole.marker)
                    return text.index(hole.marker), len(hole.marker)
    return None


class Sweep(Iterator[tuple[Params, str]]):
    """The variants of one config, as ``(params, text)`` pairs; ``warnings``
    holds what the axes got wrong but taken as given (a resource field as an
    args key), known before the first variant."""

    def __init__(self, text: str, transforms: Any, grid: SequenceType[str] | None, render: bool, *,
                 task: str | None, resources: str | None, path: str | None, template: bool | None,
                 verify: bool) -> None:
        self.warnings: list[str] = []
        self._choices = combinations(transforms, grid, self.warnings)  # bad axes raise here, before any work
        self._options = (text, render, task, resources, path, template, verify)
        self._variants = self._generate()

    def __next__(self) -> tuple[Params, str]:
        return next(self._variants)

    def _generate(self) -> Iterator[tuple[Params, str]]:
        text, fold, task, resources, path, template, verify = self._options
        document = Document(text, path=path, task=task, resources=resources, template=template)
        index = document.index()  # the one parse
        bom = split_bom(text)[0]
        templates: dict[tuple, _Template | None] = {}
        shapes: dict[int, tuple] = {}  # by spec: each one is in many variants
        for choice in self._choices:
            specs: list[AxisSpec] = [spec for _, spec, _ in choice]
            params = {name: value for name, _, value in choice}
            shape = tuple(shapes.get(id(s)) or shapes.setdefault(id(s), _shape(s)) for s in specs)
            if shape not in templates:
                templates[shape] = _Template.build(index, specs, task, resources, path, verify, fold)
            fast = templates[shape]
            if fast is not None:
                try:
                    yield params, bom + fast.render(specs)
                    continue
                except (TaskpatchError, _Unfit):
                    pass  # let the planner write it, or raise it with its positions
            planned: list[Spec] = list(specs)
            if fold:
                planned.append(render_spec())
            plan = make_plan(index, planned, task=task, resources=resources, file=path)
            body = apply_plan(index, plan)
            if verify:
                verify_text(index, plan, body, path)
            yield params, bom + body


def variants(text: str, transforms: Any = None, grid: SequenceType[str] | None = None, render: bool = False, *,
             task: str | None = None, resources: str | None = None, path: str | None = None,
             template: bool | None = None, verify: bool = True) -> Sweep:
    """The ``(params, text)`` of every variant of ``text``: each of the
    ``parallel_run``-style ``transforms`` (args) with each point of the
    ``grid``, whose axes are args (``"worker.lr=0.1,0.01"``, or ``"args
    worker.lr=…"``), overrides (``"set worker.replicas=1,2"``) or env
    values (``"env [worker:]LR=0.1,0.01"``); ``render`` folds args into
    commands. Each variant is what planning its specs, in that order, gives,
    read back and checked against its plan (``verify``). The result is an
    iterator whose ``warnings`` list what the axes likely got wrong."""
    return Sweep(text, transforms, grid, render, task=task, resources=resources, path=path, template=template,
                 verify=verify)

"""The spec AST: frozen dataclasses, each carrying its span in the spec text.

Spans are 0-based half-open offsets into ``SpecRef.text``; error messages
turn them into 1-based columns.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Union

from .errors import SpecRef

GLOB_CHARS = frozenset("*?[")


@dataclass(frozen=True)
class Span:
    start: int
    end: int


@dataclass(frozen=True)
class Selector:
    """Which resources a spec reaches: ``*``, a name, a glob or a quoted name."""

    pattern: str
    quoted: bool
    span: Span

    @property
    def is_pattern(self) -> bool:
        return not self.quoted and any(c in GLOB_CHARS for c in self.pattern)


@dataclass(frozen=True)
class Key:
    name: str
    span: Span


@dataclass(frozen=True)
class Index:
    position: int
    span: Span


@dataclass(frozen=True)
class ItemFilter:
    """``[KEY=VALUE]``: the first mapping item of a sequence with KEY == VALUE."""

    key: str
    value: str
    span: Span


PathStep = Union[Key, Index, ItemFilter]


def path_text(path: tuple[PathStep, ...]) -> str:
    """A readable dotted path for messages and plan output."""
    out: list[str] = []
    for step in path:
        if isinstance(step, Key):
            name = step.name
            if any(c in name for c in ".=[] ") or not name:
                name = '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'
            out.append(("." if out else "") + name)
        elif isinstance(step, Index):
            out.append(f"[{step.position}]")
        else:
            out.append(f"[{step.key}={step.value}]")
    return "".join(out)


@dataclass(frozen=True)
class Value:
    """A value as written after ``=``. ``quoted`` means quoted whole."""

    text: str
    quoted: bool
    span: Span


@dataclass(frozen=True)
class EnvSpec:
    source: SpecRef
    selector: Selector | None
    name: str
    name_span: Span
    value: str
    value_span: Span


@dataclass(frozen=True)
class SetSpec:
    """``SEL.PATH=VALUE``; ``force`` (``+SEL.PATH=VALUE``) creates keys that
    would be refused as near misses of a known name."""

    source: SpecRef
    selector: Selector
    path: tuple[PathStep, ...]
    value: Value
    force: bool = False


@dataclass(frozen=True)
class UnsetSpec:
    source: SpecRef
    selector: Selector
    path: tuple[PathStep, ...]


@dataclass(frozen=True)
class ArgsSpec:
    """``SEL.KEY=VALUE`` (key set) or ``SEL=RAW`` (key is None)."""

    source: SpecRef
    selector: Selector
    key: Key | None
    value: Value


@dataclass(frozen=True)
class ArgsReplace:
    """``Document.set_args``: replace ``args`` with a Python value as given."""

    source: SpecRef
    selector: Selector
    value: Any


@dataclass(frozen=True)
class RenderSpec:
    """``--render``: fold every resource's ``args`` into its ``command``.

    ``style`` is ``"task"`` (``--k v``) or ``"serving"`` (``--k=v``)."""

    source: SpecRef
    style: str = "task"
    selector: Selector | None = None


Spec = Union[EnvSpec, SetSpec, UnsetSpec, ArgsSpec, ArgsReplace, RenderSpec]

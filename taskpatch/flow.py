"""Flow-collection values: ``-s 'w.nodeSelector={gpu: "true"}'``, ``-s 'ps.command=[python, ps.py]'``.

An override value that starts with ``[`` or ``{`` (and is not quoted whole)
is a YAML flow collection. It is read by the C parser through the index,
as the file is, so it means what it would mean written there, and its
offsets map straight back to spec columns. What a file may hold but a value
written anew should not (anchors, aliases, tags, merge keys, keys that are
not strings) is refused, so that what is written reads back as given.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Iterator

from .errors import SpecRef, SpecSyntaxError, YamlSyntaxError
from .spec_ast import Value

if TYPE_CHECKING:
    from .yaml_index import Mapping, Node, Sequence

# The parser names lines ("while parsing a flow sequence at line 1"); in a one-line spec that says nothing.
_AT_LINE = re.compile(r" \(first at line \d+\)| at line \d+(?=\))")
_YAML11_BREAKS = re.compile("[\x85\u2028\u2029]")
_READS_AS = {bool: "a boolean", int: "an integer", float: "a float", type(None): "null"}


def is_flow(value: Value) -> bool:
    """Does this override value write a flow collection? One starting with
    ``{{`` is Go template markup, a string as it always was."""
    return not value.quoted and value.text[:1] in ("[", "{") and not value.text.startswith("{{")


def flow_root(value: Value, source: SpecRef) -> Mapping | Sequence:
    """The collection ``value`` writes, as index nodes with offsets into
    ``value.text``; a ``SpecSyntaxError`` at its column when it is not one
    flow collection of strings, numbers, booleans and nulls."""
    from .yaml_index import Mapping, Sequence, build_index

    text = value.text
    odd = _YAML11_BREAKS.search(text)
    if odd is not None:  # the C parser reads them as line breaks, and a value folds there: `a b`
        raise _error(value, source, odd.start(), f"a line break character (U+{ord(odd.group()):04X}) in a flow "
                     "value; write it as an escape in a double-quoted scalar")
    try:
        root = build_index(text, template=False).roots[0]
    except YamlSyntaxError as exc:
        # An error at the end of the text is reported on the line after it.
        at = (exc.column or 1) - 1 if exc.line == 1 else len(text)
        problem = "text after the flow collection" if "<document start>" in exc.message else exc.message
        raise _error(value, source, at, _AT_LINE.sub("", problem)) from None
    # `{a: 1}: b` reads as a block mapping whose first key is the collection.
    collection = root if isinstance(root, (Mapping, Sequence)) and root.flow else root.keys[0]  # type: ignore[union-attr]
    rest = text[collection.end :]
    if rest.strip():
        raise _error(value, source, len(text) - len(rest.lstrip()), "text after the flow collection")
    first = min(_problems(collection), default=None, key=lambda found: found[0])
    if first is not None:
        raise _error(value, source, *first)
    return collection  # type: ignore[return-value]


def _problems(node: Node) -> Iterator[tuple[int, str]]:
    """Where and why the content under ``node`` cannot be written anew. (An
    alias needs its anchor before it, which is refused first; the index
    refuses one without.)"""
    from .scalars import core_resolve
    from .yaml_index import Mapping, Scalar, Sequence

    if node.anchor is not None:
        yield node.start, f"an anchor (&{node.anchor}) in a flow value"
    if node.tag is not None:
        yield node.start, f"a tag ({node.tag}) in a flow value; quote a scalar for a string"
    if isinstance(node, Mapping):
        for key, item in zip(node.keys, node.values):
            read = core_resolve(key.value) if isinstance(key, Scalar) and key.style is None else ""
            if not isinstance(key, Scalar):
                yield key.start, "a key that is a collection; the keys of a flow value are strings"
            elif not isinstance(read, str):
                yield key.start, (f"the key {key.value!r} reads as {_READS_AS.get(type(read), 'an integer')}; the keys of a flow "
                                  "value are strings, so quote it")
            elif read == "<<":
                yield key.start, "a merge key (<<) in a flow value"
            yield from _problems(key)
            yield from _problems(item)
    elif isinstance(node, Sequence):
        for item in node.items:
            yield from _problems(item)


def _error(value: Value, source: SpecRef, at: int, problem: str) -> SpecSyntaxError:
    return SpecSyntaxError(
        f"{problem} (a value starting with {value.text[0]!r} is a YAML flow collection; quote it whole for a string)",
        spec=source, spec_column=value.span.start + at + 1 + source.column_offset,
    )

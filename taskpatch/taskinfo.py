"""Task info: the offline form of mlboardclient's ``update_task_info()``.

A task records values such as ``model_path`` and ``checkpoint_path`` for a
later serving job; here they live in a JSON object in a file.

Numbers are written back as the file had them: Python would turn ``1e999``
into ``inf`` (written ``Infinity``, which is not JSON), ``1.50`` into
``1.5``, and refuses integers over 4,300 digits. So a float keeps its text
(``JsonFloat``) and such an integer is a ``BigInt``; the rest is
``json.dumps(indent=2, sort_keys=True)``'s layout.
"""

from __future__ import annotations

import json
import os
import re
from typing import Any, Mapping

from .errors import InputOutputError, InternalError, ValueTypeError
from .files import open_for_update, read_text, write_atomic
from .scalars import BigInt, decimal_int
from .yaml_index import MAX_DEPTH, position

# What the pre-scan needs of JSON: strings (skipped whole), brackets, and the
# constants Python accepts but JSON does not have.
_TOKENS = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}]|-?Infinity|NaN')


class JsonFloat(float):
    """A number of the info file with a fraction or an exponent: a float to
    Python, written back (and shown by ``str()``) as its text."""

    text: str

    def __new__(cls, text: str) -> JsonFloat:
        number = super().__new__(cls, text)
        number.text = text
        return number

    def __str__(self) -> str:
        return self.text

    __repr__ = __str__


def _scan(text: str, path: str) -> None:
    """Refuse, at their line and column, what ``json.loads`` would accept
    but is not JSON (``NaN``, ``Infinity``), and nesting deeper than its
    recursive scanner (and the writer below) can take."""
    depth = 0
    for token in _TOKENS.finditer(text):
        kind = token.group()
        if kind[0] == '"':
            continue
        if kind in ("]", "}"):
            depth -= 1
            continue
        opens = kind in ("[", "{")
        depth += opens
        if opens and depth <= MAX_DEPTH:
            continue
        at = token.start()
        problem = (f"nested more than {MAX_DEPTH} levels deep" if opens
                   else f"not JSON: {kind} (JSON has no NaN or infinity)")
        line, column = position(text, at)
        raise InputOutputError(problem, file=path, line=line, column=column)


def read_task_info(path: str) -> dict[str, Any]:
    """The JSON object in ``path``; ``{}`` when the file does not exist."""
    if not os.path.exists(path):
        return {}
    return _parse(read_text(path, InputOutputError), path)


def _parse(text: str, path: str) -> dict[str, Any]:
    _scan(text, path)
    try:
        data = json.loads(text, parse_int=decimal_int, parse_float=JsonFloat) if text.strip() else {}
    except json.JSONDecodeError as exc:
        raise InputOutputError(f"not JSON: {exc.msg}", file=path, line=exc.lineno, column=exc.colno) from None
    if not isinstance(data, dict):
        raise ValueTypeError(f"task info must be a JSON object, not {type(data).__name__}", file=path, line=1,
                             column=1)
    return data


def _dumps(value: Any, indent: str = "") -> str:
    """JSON as ``json.dumps(indent=2, sort_keys=True, ensure_ascii=False)``
    lays it out, numbers of the file as they were written."""
    if isinstance(value, (JsonFloat, BigInt)):
        return value.text
    if isinstance(value, (dict, list, tuple)) and value:
        if len(indent) >= 2 * MAX_DEPTH:  # two spaces a level: this would be level MAX_DEPTH + 1
            raise ValueTypeError(f"task info nested more than {MAX_DEPTH} levels deep")
        inner = indent + "  "
        if isinstance(value, dict):
            entries = [f"{inner}{json.dumps(str(key), ensure_ascii=False)}: {_dumps(value[key], inner)}"
                       for key in sorted(value, key=str)]
            return "{\n" + ",\n".join(entries) + f"\n{indent}}}"
        return "[\n" + ",\n".join(inner + _dumps(item, inner) for item in value) + f"\n{indent}]"
    try:
        return json.dumps(value, ensure_ascii=False, allow_nan=False)
    except (TypeError, ValueError) as exc:  # NaN, an object, an int over 4,300 digits: from a caller
        raise ValueTypeError(f"task info values must be JSON: {exc}") from None


def update_task_info(data: Mapping[str, Any], path: str) -> dict[str, Any]:
    """Merge ``data`` into the JSON object in ``path`` (created, with its
    folders, if missing), write it atomically, and return the merged object.

    The read, merge and write hold the file's lock, and the write re-checks
    the file, so two updates at once never lose one silently.
    """
    with open_for_update(path, missing_ok=True) as snapshot:
        merged = {**_parse(snapshot.text, path), **dict(data)}
        text = _dumps(merged) + "\n"
        # Read back before writing, as every other write does: the text must
        # parse to what it was made from (it dumps to itself again).
        try:
            same = _dumps(_parse(text, path)) + "\n" == text
        except (InputOutputError, ValueTypeError):
            same = False
        if not same:
            raise InternalError("the task info would not read back as written", file=path)
        write_atomic(path, text, expect=snapshot, make_folders=True)
    return merged

"""Task info: the offline form of mlboardclient's ``update_task_info()``.

A task records values such as ``model_path`` and ``checkpoint_path`` for a
later serving job; here they live in a JSON object in a file.
"""

from __future__ import annotations

import json
import os
from typing import Any, Mapping

from .errors import InputOutputError, ValueTypeError
from .files import open_for_update, read_text, write_atomic


def read_task_info(path: str) -> dict[str, Any]:
    """The JSON object in ``path``; ``{}`` when the file does not exist."""
    if not os.path.exists(path):
        return {}
    return _parse(read_text(path), path)


def _parse(text: str, path: str) -> dict[str, Any]:
    try:
        data = json.loads(text) if text.strip() else {}
    except json.JSONDecodeError as exc:
        raise InputOutputError(f"not JSON: {exc.msg}", file=path, line=exc.lineno, column=exc.colno) from None
    if not isinstance(data, dict):
        raise ValueTypeError(f"task info must be a JSON object, not {type(data).__name__}", file=path, line=1,
                             column=1)
    return data


def update_task_info(data: Mapping[str, Any], path: str) -> dict[str, Any]:
    """Merge ``data`` into the JSON object in ``path`` (created, with its
    folders, if missing), write it atomically, and return the merged object.

    The read, merge and write hold the file's lock, and the write re-checks
    the file, so two updates at once never lose one silently.
    """
    with open_for_update(path, missing_ok=True) as snapshot:
        merged = {**_parse(snapshot.text, path), **dict(data)}
        write_atomic(path, json.dumps(merged, indent=2, sort_keys=True, ensure_ascii=False) + "\n", expect=snapshot,
                     make_folders=True)
    return merged

"""What ``task.start()`` did to ``args``: fold them into ``command``.

Pure functions from plain values to text or argv items; the planner decides
where the result goes and the applier writes it. The seed's rules: a string
is appended verbatim after one space; a mapping becomes ``--k v`` (tasks) or
``--k=v`` (serving) in sorted key order, each value written as Python's
``str()`` wrote it (``True``, ``12.2``); a list's items are appended.
Unlike the seed, a value holding whitespace or shell metacharacters is
quoted, so one value stays one word.
"""

from __future__ import annotations

import re
import shlex
from typing import Any

TASK = "task"  # --k v, as TaskManager._preprocess_config
SERVING = "serving"  # --k=v, as ServingManager._preprocess_config

# `$` is not here on purpose: `$DATA_DIR` in a value is meant for the shell.
_SHELL_SPECIAL = re.compile(r"[\s'\"\\`;&|<>(){}*?#~!\[\]]")


class Verbatim(str):
    """A value holding Go template markup (`{{ .batch }}`): written as it
    stands, since what it renders to, and so how to quote it, is unknown;
    the template's author quotes it there if need be, as upstream expected."""


def seed_text(value: Any) -> str:
    """A value as the seed's ``'%s' % v`` wrote it."""
    return value if isinstance(value, str) else str(value)


def shell_word(text: str) -> str:
    """``text`` as one shell word, quoted only when it has to be."""
    if isinstance(text, Verbatim):
        return text
    if text == "":
        return "''"
    if not _SHELL_SPECIAL.search(text):
        return text
    if "$" in text:  # double quotes keep variables live
        return '"' + re.sub(r'(["\\`])', r"\\\1", text) + '"'
    return shlex.quote(text)


def argv_items(args: Any, style: str) -> list[str]:
    """``args`` as separate argv items (for a list ``command``)."""
    if isinstance(args, dict):
        items: list[str] = []
        for key in sorted(args, key=str):
            value = seed_text(args[key])
            items += [f"--{key}={value}"] if style == SERVING else [f"--{key}", str(value)]
        return items
    if isinstance(args, list):
        return [str(seed_text(item)) for item in args]  # plain strings: Verbatim only matters for quoting
    if isinstance(args, Verbatim):
        raise ValueError("it holds template markup, whose words are unknown until the template renders")
    return shlex.split(seed_text(args))


def command_text(args: Any, style: str) -> str:
    """``args`` as text to append to a string ``command``."""
    if isinstance(args, str):
        return args  # raw shell, verbatim (`--my-super-arg 42; echo "Done!"`)
    if isinstance(args, dict):
        words = []
        for key in sorted(args, key=str):
            value = shell_word(seed_text(args[key]))
            words.append(f"--{key}={value}" if style == SERVING else f"--{key} {value}")
        return " ".join(words)
    if isinstance(args, list):
        return " ".join(shell_word(seed_text(item)) for item in args)
    return seed_text(args)  # a number or a bool (`args: 5`): one word, as '%s' % v writes it


def appended(command: str, suffix: str) -> str:
    """``command`` with ``suffix`` added to its last line. Trailing line
    breaks (a block scalar's, or a quoted ``"...\\n"``'s) stay last, so the
    text joins the last command line instead of starting a new one (a new
    line would be a new command)."""
    body = command.rstrip("\r\n")
    return body + suffix + command[len(body):]

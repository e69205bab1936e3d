"""A small Go-template renderer, for the fuzzer's template configs.

It knows what the generator writes: ``{{ .name }}``, ``{{ if .name }}``,
``{{ else }}``, ``{{ end }}``, and the trim markers ``{{-`` / ``-}}``, which
remove the whitespace (line breaks included) before / after the action, as
text/template does. A patched template is right when, for every choice of
values, rendering it gives what the specs give on the rendered input.
"""

from __future__ import annotations

import re
from typing import Any

_ACTION = re.compile(r"\{\{(-?)\s*(.*?)\s*(-?)\}\}", re.S)


def render(text: str, values: dict[str, Any]) -> str:
    out: list[str] = []
    # Each open block: (rendering before it, condition, in the else branch)
    stack: list[tuple[bool, bool, bool]] = []
    on = True
    trim_next = False
    position = 0
    for match in _ACTION.finditer(text):
        chunk = text[position : match.start()]
        if trim_next:
            chunk = chunk.lstrip(" \t\r\n")
        if on:
            out.append(chunk)
        if match.group(1):  # `{{-`: trim what came before
            while out and not out[-1].rstrip(" \t\r\n"):
                out.pop()
            if out:
                out[-1] = out[-1].rstrip(" \t\r\n")
        trim_next = bool(match.group(3))
        position = match.end()
        body = match.group(2)
        if body.startswith("if "):
            condition = bool(values.get(body[3:].strip().lstrip("."), False))
            stack.append((on, condition, False))
            on = on and condition
        elif body == "else":
            outer, condition, _ = stack.pop()
            stack.append((outer, condition, True))
            on = outer and not condition
        elif body == "end":
            on = stack.pop()[0]
        elif on:
            out.append(str(values.get(body.lstrip("."), "")))
    chunk = text[position:]
    if trim_next:
        chunk = chunk.lstrip(" \t\r\n")
    if on:
        out.append(chunk)
    return "".join(out)


def actions(text: str) -> list[str]:
    return [m.group(0) for m in _ACTION.finditer(text)]

"""Random task configs in every YAML style, and random specs for them.

A config is drawn as a small tree (``G*`` nodes carrying style choices),
then written out line by line. Each line is tagged with the data path it
belongs to, so the fuzzer can tell an edited line from an untouched one.
Styles: block and flow collections, every scalar style (plain, single,
double, literal and folded with every chomping), comments after values,
after colons and on their own lines, blank lines, 2- or 4-space indents,
indented or indentless sequences, `-   ` items, CRLF, a BOM, no final
newline, MLApp wrapping, anchors with aliases and merges, and Go template
markup.
"""

from __future__ import annotations

import json
import random
import re
from dataclasses import dataclass, field
from typing import Any

from .model import core

Path = tuple[Any, ...]

# Strings that are hard to write: YAML indicators, 1.1 look-alikes, spaces,
# quotes, unicode, characters YAML escapes.
TRICKY = [
    "", " ", "a b", " lead", "trail ", "yes", "No", "on", "off", "y", "null", "~", "true", "1e3", "1:20", "0o17",
    "0x1F", "010", "1_000", "2024-01-01", ".5", "-", "- x", "-x", "?", "? x", ":", "a: b", "a:b", "a #b", "#x",
    "x#y", "'", '"', "''", "a'b", 'a"b', "\\", "\\n", "{x}", "[a, b]", "a,b", "@x", "`x`", "%x", "*x", "&x", "!x",
    "|", ">", "---", "...", "=", "a=b", "$HOME/x", "${X}", "é", "日本", "\t", "a\tb", "\x85", "\u2028", "\x07",
    "\ufeff", "<<", "=x", "0", "-1", "3.0", ".inf", ".NaN", "True", "FALSE", "Null", "12e-3",
]
WORDS = ["w", "ps", "eval", "worker", "chief", "x", "lr", "batch", "cpu", "memory", "data", "model", "gpu", "abc"]
VALUE_WORDS = ["1", "2", "10", "100m", "1Gi", "0.5", "true", "false", "python x.py", "img:1", "/data", "v1", "abc"]


@dataclass
class GScalar:
    text: str  # as written (one line, or block scalar header + lines)
    block: list[str] | None = None  # content lines of a literal/folded scalar, header in text
    anchor: str | None = None


@dataclass
class GMap:
    entries: list[tuple[str, Any]]
    flow: bool = False
    anchor: str | None = None


@dataclass
class GSeq:
    items: list[Any]
    flow: bool = False
    indentless: bool = False
    anchor: str | None = None


@dataclass
class GAlias:
    name: str


@dataclass
class Style:
    step: int = 2
    indentless: bool = True
    dash: str = "- "
    newline: str = "\n"
    final_newline: bool = True
    bom: str = ""
    comments: float = 0.2
    blanks: float = 0.1
    flow: float = 0.15


@dataclass
class Config:
    lines: list[tuple[str, Path]] = field(default_factory=list)
    style: Style = field(default_factory=Style)
    layout: str = "task"  # "task", "mlapp" or "k8s" (see Layout)
    anchors: bool = False
    template: bool = False
    template_vars: dict[str, Any] = field(default_factory=dict)

    @property
    def text(self) -> str:
        nl = self.style.newline
        body = nl.join(text for text, _ in self.lines)
        return self.style.bom + body + (nl if self.style.final_newline and self.lines else "")


# -- scalars ----------------------------------------------------------------------

_PLAIN_SAFE = re.compile(r"[A-Za-z0-9_./$][A-Za-z0-9_./$ :=+@%-]*")


def plain_ok(text: str, flow: bool) -> bool:
    """Conservative: a plain scalar both YAML versions read as this string."""
    if not _PLAIN_SAFE.fullmatch(text) or text != text.strip() or ": " in text or text.endswith(":"):
        return False
    if flow and any(c in text for c in ",[]{}:"):
        return False
    if not isinstance(core(text), str):
        return False
    # 1.1 look-alikes: booleans, sexagesimals, dates, underscored numbers
    lowered = text.lower()
    if lowered in {"y", "n", "yes", "no", "on", "off"} or re.fullmatch(r"[-+0-9._:]+", text):
        return False
    return not re.fullmatch(r"[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}.*", text)


def quoted(rng: random.Random, text: str) -> str:
    printable = not re.search("[\x00-\x1f\x7f-\x9f\u2028\u2029\ufeff]", text)
    if printable and rng.random() < 0.5:
        return "'" + text.replace("'", "''") + "'"
    body = json.dumps(text, ensure_ascii=rng.random() < 0.3)
    return re.sub("[\u2028\u2029\x85\ufeff]", lambda m: f"\\u{ord(m.group()):04x}", body)


def string_scalar(rng: random.Random, text: str, flow: bool) -> GScalar:
    roll = rng.random()
    if not flow and roll < 0.15 and _block_ok(text):
        return _block_scalar(rng, text)
    if plain_ok(text, flow) and roll < 0.75:
        return GScalar(text)
    return GScalar(quoted(rng, text))


def _block_ok(text: str) -> bool:
    return bool(text) and not re.search("[\x00-\x09\x0b-\x1f\x7f-\x9f\u2028\u2029\ufeff]", text) and not text.startswith(
        (" ", "\n")) and "\n " not in text and not re.search(r" $| \n", text)


def _block_scalar(rng: random.Random, text: str) -> GScalar:
    """``text`` as a literal or folded scalar with a chomping that gives it back."""
    if text.endswith("\n\n"):
        chomp, body = "+", text[:-1]
    elif text.endswith("\n"):
        chomp, body = "", text[:-1]
    else:
        chomp, body = "-", text
    lines = body.split("\n")
    folded = "\n" not in body and rng.random() < 0.4
    header = (">" if folded else "|") + chomp
    return GScalar(header, lines)


def scalar(rng: random.Random, value: Any, flow: bool = False) -> GScalar:
    if value is None:
        return GScalar(rng.choice(["null", "~", "Null"] + ([] if flow else ["", ""])))
    if isinstance(value, bool):
        return GScalar(rng.choice([["false", "False", "FALSE"], ["true", "True", "TRUE"]][value]))
    if isinstance(value, int):
        return GScalar(str(value) if value < 0 or rng.random() < 0.9 else rng.choice([str(value), f"+{value}"]))
    if isinstance(value, float):
        return GScalar(repr(value) if "e" not in repr(value) else f"{value:.3f}")
    return string_scalar(rng, value, flow)


# -- data -------------------------------------------------------------------------

def word(rng: random.Random) -> str:
    return rng.choice(WORDS)


def any_string(rng: random.Random) -> str:
    roll = rng.random()
    if roll < 0.3:
        return rng.choice(TRICKY)
    if roll < 0.35:
        return rng.choice(TRICKY) + "\n" + rng.choice(VALUE_WORDS) + rng.choice(["", "\n", "\n\n"])
    return rng.choice(VALUE_WORDS + WORDS)


def any_value(rng: random.Random) -> Any:
    roll = rng.random()
    if roll < 0.55:
        return any_string(rng)
    if roll < 0.75:
        return rng.randint(0, 5000)
    if roll < 0.82:
        return rng.choice([0.5, 1.5, 2.0, 100.25])
    if roll < 0.9:
        return rng.random() < 0.5
    return None


def gen_value(rng: random.Random, depth: int) -> Any:
    """A value for a random extra key: a scalar, a small mapping or list."""
    roll = rng.random()
    if depth > 2 or roll < 0.6:
        return ("scalar", any_value(rng))
    if roll < 0.8:
        return ("map", [(k, gen_value(rng, depth + 1)) for k in _keys(rng, rng.randint(0, 3))])
    return ("seq", [gen_value(rng, depth + 1) for _ in range(rng.randint(0, 3))])


def _keys(rng: random.Random, n: int) -> list[str]:
    keys: list[str] = []
    while len(keys) < n:
        key = rng.choice(WORDS + ["a b", "x.y", "k=v", "1", "true", "?q"])
        if key not in keys:
            keys.append(key)
    return keys


def gen_resource(rng: random.Random, name: str) -> list[tuple[str, Any]]:
    entries: list[tuple[str, Any]] = [("name", ("scalar", name))]
    if rng.random() < 0.6:
        entries.append(("image", ("scalar", rng.choice(["img:1", "tensorflow/tf:1.9", "busybox", "a b"]))))
    if rng.random() < 0.6:
        entries.append(("replicas", ("scalar", rng.randint(0, 4))))
    roll = rng.random()
    if roll < 0.45:
        entries.append(("command", ("scalar", rng.choice(["python x.py", "run", "python a.py\n--flag 1\n", "",
                                                          "echo 'hi'", "x\n", "cmd $ARG"]))))
    elif roll < 0.6:
        entries.append(("command", ("seq", [("scalar", w) for w in rng.choice([["python", "x.py"], ["run"]])])))
    elif roll < 0.7:
        entries.append(("command", ("scalar", None)))
    roll = rng.random()
    if roll < 0.25:
        entries.append(("args", ("scalar", rng.choice(["--foo 1", "--a=b --c", "", "--x 'a b'"]))))
    elif roll < 0.5:
        entries.append(("args", ("map", [(k, ("scalar", any_value(rng))) for k in _keys(rng, rng.randint(0, 3))])))
    elif roll < 0.6:
        entries.append(("args", ("seq", [("scalar", w) for w in ["--x", "1"]][: rng.randint(0, 2)])))
    elif roll < 0.65:
        entries.append(("args", ("scalar", None)))
    roll = rng.random()
    if roll < 0.5:
        items = []
        for var in rng.sample(["A", "B", "C", "D"], rng.randint(0, 3)):
            item = [("name", ("scalar", var))]
            if rng.random() < 0.15:
                item.append(("valueFrom", ("map", [("secretKeyRef", ("map", [("name", ("scalar", "s"))]))])))
            else:
                item.append(("value", ("scalar", any_value(rng))))
            items.append(("map", item))
        entries.append(("env", ("seq", items)))
    elif roll < 0.6:
        entries.append(("env", ("scalar", None)))
    roll = rng.random()
    if roll < 0.5:
        groups = []
        for group in rng.sample(["requests", "limits"], rng.randint(0, 2)):
            groups.append((group, ("map", [(k, ("scalar", rng.choice(["100m", 1, "1Gi", 0.5])))
                                           for k in rng.sample(["cpu", "memory"], rng.randint(0, 2))])))
        entries.append(("resources", ("map", groups)))
    elif roll < 0.6:
        entries.append(("resources", ("scalar", None)))
    for key in _keys(rng, rng.randint(0, 2)):
        if key not in {k for k, _ in entries}:
            entries.append((key, gen_value(rng, 0)))
    rng.shuffle(entries[1:]) if rng.random() < 0.3 else None
    if rng.random() < 0.3:  # name is not always first
        i = rng.randrange(len(entries))
        entries[0], entries[i] = entries[i], entries[0]
    return entries


K8S_CONTAINERS = "$.spec.template.spec.containers"


@dataclass
class Layout:
    """What kind of file, and its documents as ("map", entries) trees."""

    kind: str  # "task", "mlapp" or "k8s"
    documents: list[Any]
    anchors: bool = False  # aliases refer to anchored values: taskpatch may refuse an edit


def gen_container(rng: random.Random, name: str) -> list[tuple[str, Any]]:
    entries: list[tuple[str, Any]] = [("name", ("scalar", name)), ("image", ("scalar", "img:1"))]
    if rng.random() < 0.7:
        entries.append(("command", ("seq", [("scalar", w) for w in ["python", "x.py"][: rng.randint(1, 2)]])))
    if rng.random() < 0.5:
        entries.append(("args", ("seq", [("scalar", w) for w in ["--x", "1"][: rng.randint(0, 2)]])))
    resource = dict(gen_resource(rng, name))
    for key in ("env", "resources"):
        if key in resource and rng.random() < 0.7:
            entries.append((key, resource[key]))
    return entries


def gen_data(rng: random.Random) -> Layout:
    """A task config (one or two documents), an MLApp or a Kubernetes Deployment."""
    roll = rng.random()
    names = rng.sample(["worker", "ps", "eval", "chief", "w-1", "w-2"], rng.randint(1, 3))
    if roll < 0.12:
        containers = ("seq", [("map", gen_container(rng, n)) for n in names])
        pod = ("map", [("containers", containers)])
        spec = ("map", [("replicas", ("scalar", 1)), ("template", ("map", [("spec", pod)]))])
        return Layout("k8s", [("map", [("apiVersion", ("scalar", "apps/v1")), ("kind", ("scalar", "Deployment")),
                                       ("metadata", ("map", [("name", ("scalar", "d"))])), ("spec", spec)])])
    resources = [("map", gen_resource(rng, n)) for n in names]
    anchors = rng.random() < 0.15 and add_anchors(rng, resources)
    if roll < 0.35:
        task = ("map", [("name", ("scalar", "train")), ("resources", ("seq", resources))])
        return Layout("mlapp", [("map", [("kind", ("scalar", "MLApp")),
                                         ("metadata", ("map", [("name", ("scalar", "app"))])),
                                         ("spec", ("map", [("tasks", ("seq", [task]))]))])], anchors)
    top = [("kind", ("scalar", "task"))] if rng.random() < 0.5 else []
    documents = [("map", top + [("resources", ("seq", resources))])]
    if rng.random() < 0.12:  # a second document with its own resources
        others = rng.sample(["worker", "ps", "eval"], rng.randint(1, 2))
        documents.append(("map", [("resources", ("seq", [("map", gen_resource(rng, n)) for n in others]))]))
    return Layout("task", documents, anchors)


def add_anchors(rng: random.Random, resources: list[Any]) -> bool:
    """Share something between resources: an anchored value and an alias to
    it, or a `<<: *merge` of an anchored resource's keys."""
    first, last = resources[0][1], resources[-1][1]
    if rng.random() < 0.5 and len(resources) > 1:
        shareable = [i for i, (key, _) in enumerate(first) if key in ("env", "resources", "args", "image")]
        if not shareable:
            return False
        i = rng.choice(shareable)
        key, value = first[i]
        first[i] = (key, ("anchor", "shared", value))
        last[:] = [(k, v) for k, v in last if k != key] + [(key, ("alias", "shared"))]
        return True
    defaults = ("map", [("image", ("scalar", "base:1")), ("replicas", ("scalar", 2))])
    holder = first if len(resources) == 1 else resources[0][1]
    holder.append(("defaults", ("anchor", "base", defaults)))
    last.insert(1, ("<<", ("alias", "base")))
    for key in ("image", "replicas"):
        if rng.random() < 0.5:
            last[:] = [(k, v) for k, v in last if k != key]
    return True


# -- writing ------------------------------------------------------------------------

class Writer:
    def __init__(self, rng: random.Random, style: Style, template: bool = False) -> None:
        self.rng, self.style, self.template = rng, style, template
        self.lines: list[tuple[str, Path]] = []
        self.kept: Path | None = None  # the path of the last `|+`/`>+` scalar written
        self.anchor_count = 0
        # Go template variables: cN are conditions, nN their negations, vN values.
        self.template_vars: dict[str, Any] = {}

    def variable(self, kind: str) -> str:
        name = f"{kind}{len(self.template_vars)}"
        self.template_vars[name] = f"tpl{len(self.template_vars)}" if kind == "v" else True
        return name

    def comment(self, indent: int, path: Path) -> None:
        if self.rng.random() < self.style.comments / 2:
            self.lines.append((" " * self.rng.choice([indent, 0]) + "# note", path))
        if self.rng.random() < self.style.blanks:
            # A blank line right after a `|+` scalar is part of its value.
            last = self.lines[-1][1] if self.lines else None
            self.lines.append(("", last if last is not None and last == self.kept else path))

    def eol(self) -> str:
        return "  # c" if self.rng.random() < self.style.comments else ""

    def flow_text(self, value: Any) -> str:
        kind, body = value[0], value[1]
        if kind == "alias":
            return f"*{body}"
        if kind == "anchor":
            return f"&{body} {self.flow_text(value[2])}"
        if kind == "scalar":
            return scalar(self.rng, body, flow=True).text
        if kind == "map":
            return "{" + ", ".join(f"{self.key(k, True)}: {self.flow_text(v)}" for k, v in body) + "}"
        return "[" + ", ".join(self.flow_text(v) for v in body) + "]"

    def key(self, name: str, flow: bool = False) -> str:
        if name == "<<" or (plain_ok(name, flow) and not name.startswith("?")):
            return name
        return quoted(self.rng, name)

    def block_map(self, entries: list[tuple[str, Any]], indent: int, path: Path, first_prefix: str | None = None) -> None:
        """Entries at column ``indent``; the first goes after ``first_prefix`` (a "- ") when given."""
        for n, (key, value) in enumerate(entries):
            prefix = first_prefix if n == 0 and first_prefix is not None else " " * indent
            if n > 0:
                self.comment(indent, path)
            if self.template and prefix.strip() == "" and key not in ("name", "<<", "containers") and self.rng.random() < 0.2:
                self.branches(key, value, indent, path)
                continue
            self.entry(prefix + self.key(key), value, indent, path + (key,))

    def branches(self, key: str, value: Any, indent: int, path: Path) -> None:
        """The entry inside `{{ if }}`, perhaps with an `{{ else }}` (or a
        sibling `{{ if }}` on the negated condition) giving the key another value."""
        rng, pad = self.rng, " " * indent
        trim = rng.choice(["{{- ", "{{ "])
        condition = self.variable("c")
        self.lines.append((f"{pad}{trim}if .{condition} }}}}", path))
        self.entry(pad + self.key(key), value, indent, path + (key,))
        roll = rng.random()
        if roll < 0.4:
            self.lines.append((f"{pad}{trim}else }}}}", path))
            self.entry(pad + self.key(key), gen_value(rng, 1), indent, path + (key,))
        self.lines.append((f"{pad}{trim}end }}}}", path))
        if 0.4 <= roll < 0.6:
            negation = f"n{condition[1:]}"
            self.template_vars[negation] = "not " + condition
            self.lines.append((f"{pad}{trim}if .{negation} }}}}", path))
            self.entry(pad + self.key(key), gen_value(rng, 1), indent, path + (key,))
            self.lines.append((f"{pad}{trim}end }}}}", path))

    def entry(self, head: str, value: Any, indent: int, path: Path) -> None:
        """``head`` is `key` (with its indent or dash); write `: value`."""
        kind, body = value[0], value[1]
        rng, step = self.rng, self.style.step
        anchor = ""
        if kind == "anchor":
            anchor, value = f" &{body}", value[2]
            kind, body = value
        elif rng.random() < 0.04:
            self.anchor_count += 1
            anchor = f" &a{self.anchor_count}"
        if kind == "alias":
            self.lines.append((f"{head}: *{body}{self.eol()}", path))
            return
        if kind == "scalar" and self.template and not head.rstrip().endswith("name") and rng.random() < 0.15:
            action = "{{ ." + self.variable("v") + " }}"
            if isinstance(body, str) and plain_ok(body, False) and rng.random() < 0.5:
                action = f"{body} {action}"  # markup inside a string
            self.lines.append((f"{head}:{anchor} {action}{self.eol()}", path))
            return
        if kind == "scalar":
            node = scalar(rng, body)
            if self.template and node.block is not None and node.text.endswith("+"):
                # A kept block scalar's trailing blank lines take in the spaces
                # Go's template leaves where directives were: its value then
                # depends on markup around it, which no edit can keep.
                node = GScalar(quoted(rng, body))
            if node.block is None and not anchor and not head.lstrip().startswith("-") and rng.random() < 0.04:
                # an explicit key: `? key` and `: value` on lines of their own
                pad = " " * (len(head) - len(head.lstrip()))
                self.lines.append((f"{pad}? {head.lstrip()}", path))
                self.lines.append((f"{pad}:{' ' if node.text else ''}{node.text}{self.eol()}", path))
                return
            if node.block is not None:
                self.kept = path if node.text.endswith("+") else self.kept
                self.lines.append((f"{head}:{anchor} {node.text}{self.eol()}", path))
                for line in node.block:
                    self.lines.append(((" " * (indent + step) + line) if line else "", path))
                return
            gap = " " if node.text else ""
            self.lines.append((f"{head}:{anchor}{gap}{node.text}{self.eol()}", path))
            return
        if body and rng.random() < self.style.flow / 3:
            self.multiline_flow(head + ":" + anchor, (kind, body), indent + step, path)
            return
        if not body or rng.random() < self.style.flow:
            self.lines.append((f"{head}:{anchor} {self.flow_text(value)}{self.eol()}", path))
            return
        comment = "  # after colon" if rng.random() < self.style.comments / 2 else ""
        self.lines.append((f"{head}:{anchor}{comment}", path))
        if kind == "map":
            self.block_map(body, indent + step, path)
        else:
            indentless = self.style.indentless if rng.random() < 0.85 else not self.style.indentless
            self.block_seq(body, indent + (0 if indentless else step), path)

    def multiline_flow(self, head: str, value: Any, indent: int, path: Path) -> None:
        """A flow collection over several lines, a comment after some commas."""
        kind, body = value
        opener, closer = ("{", "}") if kind == "map" else ("[", "]")
        parts = [f"{self.key(k, True)}: {self.flow_text(v)}" for k, v in body] if kind == "map" else [
            self.flow_text(v) for v in body]
        self.lines.append((f"{head} {opener}", path))
        for n, part in enumerate(parts):
            comma = "," if n < len(parts) - 1 or self.rng.random() < 0.3 else ""
            comment = "  # in flow" if comma and self.rng.random() < self.style.comments else ""
            self.lines.append((f"{' ' * indent}{part}{comma}{comment}", path))
        self.lines.append((f"{' ' * indent}{closer}", path))

    def block_seq(self, items: list[Any], dash_col: int, path: Path) -> None:
        dash = self.style.dash
        for i, item in enumerate(items):
            if i:
                self.comment(dash_col, path)
            kind, body = item[0], item[1]
            head = " " * dash_col + dash
            if kind == "map" and body and self.rng.random() > self.style.flow:
                self.block_map(body, dash_col + len(dash), path + (i,), first_prefix=head)
            elif kind == "scalar":
                node = scalar(self.rng, body)
                if node.block is not None:
                    self.lines.append((f"{head}{node.text}", path + (i,)))
                    for line in node.block:
                        self.lines.append(((" " * (dash_col + len(dash)) + line) if line else "", path + (i,)))
                else:
                    text = (head + node.text).rstrip() if node.text else " " * dash_col + "-"
                    self.lines.append((text + self.eol(), path + (i,)))
            else:
                self.lines.append((f"{head}{self.flow_text(item)}{self.eol()}", path + (i,)))


def gen_style(rng: random.Random) -> Style:
    step = rng.choice([2, 2, 4])
    return Style(
        step=step,
        indentless=rng.random() < 0.6,
        dash=rng.choice(["- ", "- ", "-   "]) if step == 4 else "- ",
        newline=rng.choice(["\n", "\n", "\r\n"]),
        final_newline=rng.random() < 0.8,
        bom=rng.choice(["", "", "", "\ufeff"]),
        comments=rng.choice([0.0, 0.2, 0.6]),
        blanks=rng.choice([0.0, 0.1]),
        flow=rng.choice([0.0, 0.15, 0.5]),
    )


def gen_config(rng: random.Random) -> Config:
    style = gen_style(rng)
    layout = gen_data(rng)
    writer = Writer(rng, style, template=rng.random() < 0.25)
    if rng.random() < 0.3:
        writer.lines.append(("# generated", ()))
    for number, document in enumerate(layout.documents):
        if number or rng.random() < 0.1:
            writer.lines.append(("---", (number,)))
        writer.block_map(document[1], 0, (number,))
    return Config(writer.lines, style, layout=layout.kind, anchors=layout.anchors,
                  template=bool(writer.template_vars), template_vars=writer.template_vars)


def render_choices(rng: random.Random, variables: dict[str, Any]) -> list[dict[str, Any]]:
    """Values to render a template with: every condition on, every one off, and a mix."""
    choices = []
    for pick in (lambda: True, lambda: False, lambda: rng.random() < 0.5):
        values: dict[str, Any] = {}
        for name, value in variables.items():
            if name.startswith("c"):
                values[name] = pick()
            elif name.startswith("v"):
                values[name] = value
        for name, value in variables.items():
            if name.startswith("n"):
                values[name] = not values[value.split()[-1]]
        choices.append(values)
    return choices


# -- specs --------------------------------------------------------------------------

SET_PATHS = [
    "image", "replicas", "resources.requests.cpu", "resources.limits.memory", "command", "args", "timeout",
    "workdir", "env[0].value", "env[name=A].value", "env[name=B]", "resources", "nodeSelector.gpu", "args.lr",
    "port", "accelerators.gpu", "x", "\"a b\"", '"x.y"', "lr", "command[0]",
    # near misses of a known field or of a key the generator writes (issue 11), and names that are not
    "replcas", "Replicas", "resources.requets.cpu", "resources.limits.memroy", "imgae", "env[0].vlaue", "comand",
    "args.replcas", "nodeSelector.gpu1", "modle", "batch2", "ports", "resources.limit.cpu", "workDir",
]
# Flow collections, valid and not (the model reads them with PyYAML), and
# values that only look like them.
FLOW_VALUES = [
    "[]", "{}", "[1, 2]", "[python, x.py]", '{gpu: "true"}', "{a: 1, b: [x, 'y']}", "[a: 1]", "{x}", "[1]",
    "[1e3, 0x1F, yes, ~, '007', 2024-01-01]", "{cpu: 1, memory: 2Gi}", "[{name: A, value: '1'}]", "{port: 80}",
    "{accelerators: {gpu: 2}}", "{requests: {cpu: 1}}", "[ python , x.py ]", '{"a b": 1, "x.y": [{}]}',
    "{? a}", "{requests: {cpu: x}, accelerators: {gpu: one}}", "[{port: http}]",
    "[1", "{a: 1", "[1] x", "[1]]", "{a: 1, a: 2}", "[&a 1]", "[&a 1, *a]", "[!!str 1]", "{1: a}", "{[1]: 2}",
    "{<<: {a: 1}}", "[a\x85b]", "{a: b}: c", "[1] # c", "[1,,2]", '["\\q"]', "{true: 1}",
    "'[1, 2]'", '"{a: 1}"', " [1]",
]


def spec_value(rng: random.Random) -> str:
    roll = rng.random()
    text = any_string(rng).split("\n")[0]
    if roll < 0.2:
        return quoted(rng, text).replace("\\u", "\\\\u") if "\n" not in text else text
    if roll < 0.35:
        return str(rng.randint(0, 9999))
    return text.replace("\r", "").replace("\n", "")


def gen_specs(rng: random.Random, names: list[str]) -> list[tuple[str, str]]:
    """(kind, text) pairs: kind is env, set, unset or args, as the CLI's -e, -s, -s and -a."""
    specs: list[tuple[str, str]] = []
    for _ in range(rng.randint(1, 5)):
        kind = rng.choice(["env", "env", "set", "set", "set", "unset", "args", "args"])
        selector = rng.choice(names + ["*"] + (["w*"] if rng.random() < 0.1 else []) +
                              (["nope"] if rng.random() < 0.03 else []))
        if kind == "env":
            name = rng.choice(["A", "B", "E", "MY_VAR"])
            value = spec_value(rng)
            prefix = f"{selector}:" if rng.random() < 0.5 else ""
            specs.append(("env", f"{prefix}{name}={value}"))
        elif kind == "set":
            path = rng.choice(SET_PATHS)
            count = path.rsplit(".", 1)[-1] in ("replicas", "port", "gpu")
            value = str(rng.randint(0, 9)) if count and rng.random() < 0.9 else spec_value(rng)
            value = rng.choice(FLOW_VALUES) if rng.random() < 0.15 else value
            force = "+" if rng.random() < 0.15 else ""
            specs.append(("set", f"{force}{selector}.{path}={value}"))
        elif kind == "unset":
            specs.append(("unset", f"~{selector}.{rng.choice(SET_PATHS)}"))
        elif rng.random() < 0.1:
            specs.append(("args", f"{selector}={spec_value(rng)}"))
        else:
            specs.append(("args", f"{selector}.{rng.choice(['lr', 'batch', 'x', 'foo', 'a'])}={spec_value(rng)}"))
    return specs

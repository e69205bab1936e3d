"""Scalar typing and writing.

Reading follows the YAML 1.2 core schema (what ruamel.yaml and DESIGN.md
use). Writing must also satisfy YAML 1.1 readers (PyYAML, which
mlboardclient used, and Go's yaml.v2, which Kuberlab used), so a string is
written plain only when *no* reader of either version would take it for
something else, and numbers are written in a form both read alike.
"""

from __future__ import annotations

import functools
import math
import re
from dataclasses import dataclass
from typing import Any

from .errors import ValueTypeError

# -- YAML 1.2 core schema -----------------------------------------------------
CORE_NULL = re.compile(r"(?:null|Null|NULL|~|)\Z")
CORE_BOOL = re.compile(r"(?:true|True|TRUE|false|False|FALSE)\Z")
CORE_INT = re.compile(r"(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)\Z")
CORE_FLOAT = re.compile(
    r"(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?"
    r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))\Z"
)

# -- YAML 1.1 (PyYAML's resolver, plus the spec's y/n that Go yaml.v2 reads) --
V11_BOOL = re.compile(r"(?:y|Y|yes|Yes|YES|n|N|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF)\Z")
V11_FLOAT = re.compile(
    r"(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?"
    r"|\.[0-9][0-9_]*(?:[eE][-+][0-9]+)?"
    r"|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*"
    r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))\Z"
)
V11_INT = re.compile(
    r"(?:[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)"
    r"|[-+]?0x[0-9a-fA-F_]+|[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+)\Z"
)
V11_OTHER = re.compile(
    r"(?:~|null|Null|NULL|<<|="
    r"|[0-9][0-9][0-9][0-9]-[0-9][0-9]?-[0-9][0-9]?"  # timestamp (date, or date + time)
    r"(?:(?:[Tt]|[ \t]+)[0-9][0-9]?:[0-9][0-9]:[0-9][0-9](?:\.[0-9]*)?"
    r"(?:[ \t]*(?:Z|[-+][0-9][0-9]?(?::[0-9][0-9])?))?)?)\Z"
)
# ruamel.yaml's own 1.2 resolver also reads underscores in numbers.
RUAMEL_EXTRA = re.compile(r"[-+]?[0-9][0-9_]*(?:\.[0-9_]*)?(?:[eE][-+]?[0-9]+)?\Z")

PLAIN_DECIMAL_INT = re.compile(r"[-+]?(?:0|[1-9][0-9]*)\Z")
NON_NEGATIVE_INT = re.compile(r"[0-9]+\Z")

# Characters YAML forbids or treats as line breaks unescaped.
_UNPRINTABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff\ufeff\ufffe\uffff]")
_INDICATORS = frozenset("-?:,[]{}#&*!|>'\"%@`")
_FLOW_INDICATORS = frozenset(",[]{}")


@dataclass(frozen=True)
class BigInt:
    """An integer too long for Python to convert between text and ``int``
    (more than ``sys.get_int_max_str_digits()`` decimal digits, 4,300 by
    default: ``int()`` and ``str()`` raise beyond it). Lifting the limit
    would let a hostile file cost quadratic time, so the integer is kept as
    its text instead: it reads as an integer, compares by its text and is
    written back as that text. ``text`` is decimal without a ``+`` or
    leading zeros, or ``0x`` hex (which both YAML 1.1 and 1.2 read)."""

    text: str

    def __str__(self) -> str:
        return self.text


def decimal_int(text: str) -> int | BigInt:
    """The integer a decimal text (``[-+]?[0-9]+``) stands for."""
    digits = text.lstrip("+-").lstrip("0") or "0"
    sign = "-" if text.startswith("-") and digits != "0" else ""
    try:
        return int(sign + digits)
    except ValueError:  # over the digit limit (the regex matched, so nothing else)
        return BigInt(sign + digits)


def _based_int(text: str) -> int | BigInt:
    """``0o17`` or ``0xff``: power-of-two bases have no digit limit, but the
    value's decimal form may, and every writer of it needs that form."""
    value = int(text[2:], 8 if text[1] == "o" else 16)
    try:
        str(value)
    except ValueError:
        return BigInt(hex(value))  # linear, and a form every reader takes for an int
    return value


# The resolvers below are pure functions of short strings that repeat a lot
# in real files (`100m`, `true`, `1`); caching them halves the planner's time
# on big configs (benchmarks/bench_apply.py).
@functools.lru_cache(maxsize=4096)
def core_resolve(text: str) -> Any:
    """The value a plain scalar has under the YAML 1.2 core schema."""
    if CORE_NULL.match(text):
        return None
    if CORE_BOOL.match(text):
        return text[0] in "tT"
    if CORE_INT.match(text):
        return _based_int(text) if text.startswith(("0o", "0x")) else decimal_int(text)
    if CORE_FLOAT.match(text):
        lowered = text.lower()
        if lowered.endswith(".inf"):
            return -math.inf if lowered.startswith("-") else math.inf
        if lowered == ".nan":
            return math.nan
        return float(text)
    return text


def scalar_value(value: str, style: str | None, tag: str | None) -> Any:
    """The data a parsed scalar stands for (tags beyond the core are strings)."""
    if style is not None or tag in ("tag:yaml.org,2002:str", "!"):
        return value
    if tag in (None, "?"):
        return core_resolve(value)
    resolved = core_resolve(value)
    kinds = {"tag:yaml.org,2002:int": int, "tag:yaml.org,2002:float": float, "tag:yaml.org,2002:bool": bool}
    wanted = kinds.get(tag)
    if isinstance(resolved, BigInt) and wanted is int:
        return resolved
    if isinstance(resolved, BigInt) and wanted is float:  # over 4,300 digits: beyond a float's range
        return -math.inf if resolved.text.startswith("-") else math.inf
    if wanted is float and isinstance(resolved, int) and not isinstance(resolved, bool):
        return float(resolved)
    return resolved if wanted is not None and type(resolved) is wanted else value


@functools.lru_cache(maxsize=4096)
def any_reader_types(text: str) -> bool:
    """True when some YAML 1.1 or 1.2 reader takes plain ``text`` for a non-string."""
    return bool(
        not isinstance(core_resolve(text), str)
        or V11_BOOL.match(text)
        or V11_FLOAT.match(text)
        or V11_INT.match(text)
        or V11_OTHER.match(text)
        or RUAMEL_EXTRA.match(text)
    )


@functools.lru_cache(maxsize=4096)
def can_be_plain(text: str, flow: bool) -> bool:
    """Can ``text`` be written as a plain scalar and read back as this string?"""
    if not text or text != text.strip(" \t") or "\n" in text or "\r" in text or "\t" in text:
        return False
    if _UNPRINTABLE.search(text):
        return False
    first = text[0]
    if first in _INDICATORS and not (first in "-?:" and len(text) > 1 and text[1] not in " \t" and not flow):
        return False
    if text.startswith(("---", "...")) or ": " in text or " #" in text or text.endswith(":"):
        return False
    # libyaml (the C parser, and PyYAML) ends a flow plain scalar at any "?".
    if flow and (any(c in _FLOW_INDICATORS for c in text) or ":" in text or "?" in text):
        return False
    return not any_reader_types(text)


def can_be_single_quoted(text: str) -> bool:
    return "\n" not in text and "\r" not in text and not _UNPRINTABLE.search(text)


def double_quoted(text: str) -> str:
    import json  # rare (most new strings are plain or single-quoted); keeps it off the CLI's start

    body = json.dumps(text, ensure_ascii=False)
    return _UNPRINTABLE.sub(lambda m: f"\\u{ord(m.group()):04x}", body)


def render_string(text: str, style: str | None = None, flow: bool = False) -> str:
    """Write a string in ``style`` (an old scalar's) where that still reads right."""
    if style == '"':
        return double_quoted(text)
    if style is None and can_be_plain(text, flow):
        return text
    if can_be_single_quoted(text):
        return "'" + text.replace("'", "''") + "'"
    return double_quoted(text)


@dataclass(frozen=True)
class NewScalar:
    """A value to write. ``literal`` is its plain text for non-strings."""

    value: Any
    literal: str | None = None


@dataclass(frozen=True)
class InPlaceScalar(NewScalar):
    """A string scalar of the file, ``base``, edited in its own text, so that
    what it holds besides the edit (template markup, say) stays. ``value``
    is the whole new string."""

    base: Any = None


@dataclass(frozen=True)
class AppendedScalar(InPlaceScalar):
    """``base`` with ``suffix`` added to its end (args strings, render): the
    applier may write just the suffix, keeping its style, line breaks and
    comment."""

    suffix: str = ""


def int_literal(text: str, value: int | BigInt) -> str:
    # 1.1 reads 010 as octal and 0o17 as a string: write plain decimal then.
    return text if PLAIN_DECIMAL_INT.match(text) else str(value)


def float_literal(text: str, value: float) -> str:
    if V11_FLOAT.match(text) and "_" not in text and ":" not in text:
        return text
    if math.isnan(value):
        return ".nan"
    if math.isinf(value):
        return "-.inf" if value < 0 else ".inf"
    out = repr(value)
    if "." not in out:  # 1.1 floats need a dot: 1e-05 -> 1.0e-05
        mantissa, _, exponent = out.partition("e")
        out = f"{mantissa}.0" + (f"e{exponent}" if exponent else "")
    if "e" in out and out.split("e")[1][0] not in "+-":
        out = out.replace("e", "e+")
    return out


def literal_for(text: str, value: Any) -> str:
    """The plain text for a non-string core value read from ``text``."""
    if value is None:
        return text or "null"
    if isinstance(value, bool):
        return text
    if isinstance(value, (int, BigInt)):
        return int_literal(text, value)
    return float_literal(text, value)


def json_value(value: Any) -> Any:
    """Plain data as JSON can carry it exactly. ``json.dumps`` writes a NaN or
    infinite float as ``NaN``/``Infinity``, which are not JSON, and cannot
    write a ``BigInt``: those become strings of their YAML text (``".nan"``,
    ``".inf"``, ``"-.inf"``, the digits)."""
    if isinstance(value, float) and not math.isfinite(value):
        return ".nan" if math.isnan(value) else ".inf" if value > 0 else "-.inf"
    if isinstance(value, BigInt):
        return value.text
    if isinstance(value, dict):
        return {key: json_value(item) for key, item in value.items()}
    if isinstance(value, list):
        return [json_value(item) for item in value]
    return value


def from_python(value: Any) -> NewScalar:
    """A Python value given through the library (``set_args``)."""
    if value is None or isinstance(value, (bool, int, float, BigInt)):
        if value is None:
            return NewScalar(None, "null")
        if isinstance(value, bool):
            return NewScalar(value, "true" if value else "false")
        if isinstance(value, BigInt):
            return NewScalar(value, value.text)
        if isinstance(value, int):
            try:
                return NewScalar(value, str(value))
            except ValueError:
                raise ValueTypeError("this int has more digits than Python writes as text (sys.get_int_max_str_digits()); "
                                     "give it as taskpatch.BigInt('<digits>')") from None
        return NewScalar(value, float_literal(repr(value), value))
    return NewScalar(str(value))

"""taskpatch: patch ML task configs offline, changing only the bytes it must."""

from .document import Document, load, loads, patch_text
from .errors import (
    InputOutputError,
    NotATaskConfigError,
    PathError,
    PlanErrors,
    SelectorError,
    SpecSyntaxError,
    TaskpatchError,
    ValueTypeError,
    YamlSyntaxError,
)
from .plan import Operation, Plan

__version__ = "0.1.0"

__all__ = [
    "Document",
    "InputOutputError",
    "NotATaskConfigError",
    "Operation",
    "PathError",
    "Plan",
    "PlanErrors",
    "SelectorError",
    "SpecSyntaxError",
    "TaskpatchError",
    "ValueTypeError",
    "YamlSyntaxError",
    "load",
    "loads",
    "patch_text",
]

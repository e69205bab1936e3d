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
from .serving import MissingVariableError, serve
from .taskinfo import read_task_info, update_task_info
from .variants import variants

__version__ = "0.1.0"

__all__ = [
    "Document",
    "InputOutputError",
    "MissingVariableError",
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
    "read_task_info",
    "serve",
    "update_task_info",
    "variants",
]

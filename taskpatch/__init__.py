"""taskpatch: patch ML task configs offline, changing only the bytes it must."""

from .document import Document, load, loads, patch_text
from .errors import (
    InputOutputError,
    InternalError,
    NotATaskConfigError,
    PathError,
    PlanErrors,
    SelectorError,
    SetupError,
    SpecSyntaxError,
    TaskpatchError,
    ValidationError,
    ValueTypeError,
    YamlSyntaxError,
)
from .plan import Operation, Plan
from .scalars import BigInt
from .verify import VerificationError

__version__ = "0.1.0"

# Loaded on first use (PEP 562): `taskpatch apply` needs none of them, and
# the CLI's start-up time is part of what taskpatch promises.
_LAZY = {
    "Finding": "validation",
    "JsonFloat": "taskinfo",
    "MissingVariableError": "serving",
    "serve": "serving",
    "read_task_info": "taskinfo",
    "update_task_info": "taskinfo",
    "validate": "validation",
    "variants": "sweep",
}


def __getattr__(name: str) -> object:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

__all__ = [
    "BigInt",
    "Document",
    "Finding",
    "InputOutputError",
    "InternalError",
    "JsonFloat",
    "MissingVariableError",
    "NotATaskConfigError",
    "Operation",
    "PathError",
    "Plan",
    "PlanErrors",
    "SelectorError",
    "SetupError",
    "SpecSyntaxError",
    "TaskpatchError",
    "ValidationError",
    "ValueTypeError",
    "VerificationError",
    "YamlSyntaxError",
    "load",
    "loads",
    "patch_text",
    "read_task_info",
    "serve",
    "update_task_info",
    "validate",
    "variants",
]

"""taskpatch: patch ML task configs offline, changing only the bytes it must."""

from typing import TYPE_CHECKING

__version__ = "0.1.0"

if TYPE_CHECKING:  # what the names below are, for type checkers and editors
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
        UsageError,
        ValidationError,
        ValueTypeError,
        YamlSyntaxError,
    )
    from .plan import Operation, Plan
    from .scalars import BigInt
    from .serving import MissingVariableError, serve
    from .spec_parser import parse_spec, parse_spec_file
    from .sweep import variants
    from .taskinfo import JsonFloat, read_task_info, update_task_info
    from .validation import Finding, validate
    from .verify import VerificationError

# Every public name is loaded on first use (PEP 562): `taskpatch --help`
# imports none of them, and `taskpatch apply` only what it needs. The CLI's
# start-up time is part of what taskpatch promises.
_LAZY = {
    **dict.fromkeys(("Document", "load", "loads", "patch_text"), "document"),
    **dict.fromkeys(("InputOutputError", "InternalError", "NotATaskConfigError", "PathError", "PlanErrors",
                     "SelectorError", "SetupError", "SpecSyntaxError", "TaskpatchError", "UsageError",
                     "ValidationError", "ValueTypeError", "YamlSyntaxError"), "errors"),
    **dict.fromkeys(("Operation", "Plan"), "plan"),
    "BigInt": "scalars",
    "Finding": "validation",
    "JsonFloat": "taskinfo",
    "MissingVariableError": "serving",
    "parse_spec": "spec_parser",
    "parse_spec_file": "spec_parser",
    "read_task_info": "taskinfo",
    "serve": "serving",
    "update_task_info": "taskinfo",
    "validate": "validation",
    "variants": "sweep",
    "VerificationError": "verify",
}


def __getattr__(name: str) -> object:
    if name in _LAZY:
        import importlib

        value = getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
        globals()[name] = value  # found directly from now on
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))  # the lazy names too, loaded or not


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
    "UsageError",
    "ValidationError",
    "ValueTypeError",
    "VerificationError",
    "YamlSyntaxError",
    "load",
    "loads",
    "parse_spec",
    "parse_spec_file",
    "patch_text",
    "read_task_info",
    "serve",
    "update_task_info",
    "validate",
    "variants",
]

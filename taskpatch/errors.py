"""The exception hierarchy. Every error knows where it happened.

An error can point at two places at once: a position in the YAML file
(``file``, ``line``, ``column``, all 1-based) and a position in the spec that
caused it (``spec``, ``spec_column``, 1-based). ``str(error)`` is the one-line
message the CLI prints; ``excerpt()`` adds the spec with a caret under the
column, for callers that can show more than one line.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Iterable, Sequence

if TYPE_CHECKING:
    from .validation import Finding


@dataclass(frozen=True)
class SpecRef:
    """Where a spec came from, so errors can quote it."""

    text: str
    label: str = ""  # "-s", "-e", "spec file specs.tp:3", "set_args()" ...
    column_offset: int = 0  # added to columns, e.g. for a statement in a spec file


def did_you_mean(name: str, names: Iterable[str]) -> str:
    """``"; did you mean 'x'?"`` for the nearest of ``names``, or nothing."""
    import difflib  # only error messages need it; keeps it off the CLI's start

    close = difflib.get_close_matches(name, list(names), n=1)
    return f"; did you mean {close[0]!r}?" if close else ""


class TaskpatchError(Exception):
    """Base class of every error taskpatch raises on bad input."""

    kind = "error"

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        line: int | None = None,
        column: int | None = None,
        spec: SpecRef | None = None,
        spec_column: int | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.file = file
        self.line = line
        self.column = column
        self.spec = spec
        self.spec_column = spec_column

    def with_file(self, file: str) -> TaskpatchError:
        """Name the file once it is known (the planner only sees text)."""
        if self.file is None:
            self.file = file
        return self

    def location(self) -> str:
        parts = [self.file or "<input>"]
        if self.line is not None:
            parts.append(str(self.line))
            if self.column is not None:
                parts.append(str(self.column))
        return ":".join(parts)

    def spec_part(self) -> str:
        if self.spec is None:
            return ""
        label = f"{self.spec.label} " if self.spec.label else ""
        col = "" if self.spec_column is None else f", column {self.spec_column}"
        return f" [spec {label}{self.spec.text!r}{col}]"

    def __str__(self) -> str:
        return f"{self.location()}: {self.kind}: {self.message}{self.spec_part()}"

    def excerpt(self) -> str:
        """The spec with a caret under the failing column (two lines)."""
        if self.spec is None or self.spec_column is None:
            return ""
        caret_at = self.spec_column - 1 - self.spec.column_offset
        return f"{self.spec.text}\n{' ' * max(caret_at, 0)}^"


class SpecSyntaxError(TaskpatchError):
    """A spec does not follow the grammar."""

    kind = "spec syntax error"


class YamlSyntaxError(TaskpatchError):
    """The input is not YAML the parser accepts."""

    kind = "YAML error"


class NotATaskConfigError(TaskpatchError):
    """Valid YAML, but there are no resources to patch in it."""

    kind = "not a task config"


class SelectorError(TaskpatchError):
    """A selector matches nothing, or names a duplicated resource or task."""

    kind = "selector error"


class PathError(TaskpatchError):
    """A path cannot be followed: through a scalar, a bad index, an alias..."""

    kind = "path error"


class ValueTypeError(TaskpatchError):
    """A value does not fit the field it is written to."""

    kind = "type error"


class UsageError(TaskpatchError):
    """The call itself is incomplete: options that must come together, or
    one of which must be given (``variants`` with neither ``--transforms``
    nor ``--grid``). Nothing in a file is wrong, so it has no position."""

    kind = "usage error"


class ValidationError(TaskpatchError):
    """``apply --validate`` or a target's ``validate: true`` found problems
    in the patched text: one line per finding, and nothing is written."""

    kind = "validation error"

    def __init__(self, findings: Sequence[Finding]) -> None:
        first = findings[0]
        super().__init__(f"{first.path}: {first.message}", file=first.file, line=first.line, column=first.column)
        self.findings = list(findings)

    def __str__(self) -> str:
        return "\n".join(str(finding) for finding in self.findings)


class SetupError(TaskpatchError):
    """taskpatch cannot run here as installed (a missing C parser)."""

    kind = "setup error"


class InternalError(TaskpatchError):
    """A bug in taskpatch, caught before anything was written: the CLI
    reports it in one line and exits 3."""

    kind = "internal error"

    def __str__(self) -> str:
        return f"{self.file or '<input>'}: {self.kind}: {self.message}; nothing was written; please report this"


class InputOutputError(TaskpatchError):
    """Reading or writing a file failed."""

    kind = "I/O error"


class PlanErrors(TaskpatchError):
    """Several errors found in one planning pass, reported together."""

    def __init__(self, errors: list[TaskpatchError]) -> None:
        first = errors[0]
        super().__init__(
            first.message,
            file=first.file,
            line=first.line,
            column=first.column,
            spec=first.spec,
            spec_column=first.spec_column,
        )
        self.errors = errors
        self.kind = first.kind

    def with_file(self, file: str) -> TaskpatchError:
        for error in self.errors:
            error.with_file(file)
        return super().with_file(file)

    def __str__(self) -> str:
        return "\n".join(str(error) for error in self.errors)

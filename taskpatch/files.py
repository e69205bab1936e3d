"""Reading and writing files: bytes in, bytes out, atomic replacement."""

from __future__ import annotations

import os

TARGETS_FILE_NAME = "taskpatch.yaml"  # what `taskpatch build` looks for
import sys

from .errors import InputOutputError, TaskpatchError, YamlSyntaxError


def decode(data: bytes, name: str, error: type[TaskpatchError] = YamlSyntaxError) -> str:
    """UTF-8 text, kept exactly (no newline translation; the BOM stays).
    ``error`` is what bad bytes are, for the kind of file this is."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        before = data[: exc.start]
        line = before.count(b"\n") + 1
        column = exc.start - (before.rfind(b"\n") + 1) + 1
        raise error(f"not UTF-8 text (byte 0x{data[exc.start]:02x})", file=name, line=line, column=column) from None


def read_text(path: str, error: type[TaskpatchError] = YamlSyntaxError) -> str:
    """The file's text; ``-`` reads standard input."""
    try:
        if path == "-":
            return decode(sys.stdin.buffer.read(), "<stdin>", error)
        with open(path, "rb") as handle:
            return decode(handle.read(), path, error)
    except OSError as exc:
        raise InputOutputError(f"cannot read: {exc.strerror or exc}", file=path) from None


def write_atomic(path: str, text: str) -> None:
    """Write via a temporary file in the same folder, then ``os.replace``.

    The original's mode is kept. On any failure the temporary file is removed
    and the original is left as it was.
    """
    folder = os.path.dirname(os.path.abspath(path))
    try:
        mode = os.stat(path).st_mode & 0o7777
    except FileNotFoundError:
        mode = None
    except OSError as exc:
        raise InputOutputError(f"cannot write: {exc.strerror or exc}", file=path) from None
    tmp_name = None
    try:
        import tempfile  # only writes need it; ~3 ms off every read-only CLI start

        fd, tmp_name = tempfile.mkstemp(prefix=".taskpatch-", suffix=".tmp", dir=folder)
        with os.fdopen(fd, "wb") as handle:
            handle.write(text.encode("utf-8"))
            handle.flush()
            os.fsync(handle.fileno())
        if mode is not None:
            os.chmod(tmp_name, mode)
        else:
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(tmp_name, 0o666 & ~umask)
        os.replace(tmp_name, path)
        tmp_name = None
    except OSError as exc:
        raise InputOutputError(f"cannot write: {exc.strerror or exc}", file=path) from None
    finally:
        if tmp_name is not None:
            try:
                os.unlink(tmp_name)
            except OSError:
                pass

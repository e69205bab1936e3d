"""Reading and writing files: bytes in, bytes out, and the writing contract.

Every file taskpatch writes (``apply -i``/``-O``, ``build``, ``variants -d``,
``serve -O``, ``info set``) goes through ``write_atomic``:

- a symlink is followed, and its final target is what gets replaced, so the
  link stays a link and the temporary file sits in the target's own folder
  (``os.replace`` cannot cross file systems);
- a target that is not a regular file (a FIFO, a character device, one of
  this process's own streams such as ``/dev/stdout``) is written directly:
  replacing it would swap a pipe or a device for a plain file;
- a regular file is replaced atomically (temporary file, fsync, mode, owner
  and group copied where the process may, ``os.replace``), so a reader sees
  the old bytes or the new ones, never half of each;
- a read-only file is refused, and so is a file that changed since it was
  read (``open_for_update`` takes the snapshot and the lock; see there).

Nothing here prints or exits: failures are ``InputOutputError`` naming the
file, and the CLI turns them into one line and exit 2.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
import sys
import time
from dataclasses import dataclass
from typing import Callable, Iterator

from .errors import InputOutputError, TaskpatchError, YamlSyntaxError

TARGETS_FILE_NAME = "taskpatch.yaml"  # what `taskpatch build` looks for
STDOUT_NAME = "<stdout>"  # how errors name standard output
LOCK_WAIT_SECONDS = 30.0  # how long open_for_update waits for another taskpatch's lock
MAX_SYMLINKS = 40  # as the kernel's own limit: a longer chain is a loop

# /dev/stdout and friends are links into /proc that the kernel resolves to
# this process's own file descriptors. Followed by hand they lead to names
# such as "pipe:[1234]", or, when stdout is redirected to a file, to that
# file, which a replace would clobber (`-O /dev/stdout >> log` would lose
# the log). So they are recognised by name and written through the fd.
_STANDARD_STREAMS = {"/dev/stdin": 0, "/dev/stdout": 1, "/dev/stderr": 2}
_FD_FOLDERS = ("/dev/fd/", "/proc/self/fd/", "/proc/thread-self/fd/")

# flock() errors that mean "this file system has no such locks" (NFS without
# lockd, some FUSE mounts; EBADF where NFS wants a writable fd for LOCK_EX).
# taskpatch then goes on unlocked: the re-check before the replace remains.
_NO_LOCKS = {errno.ENOLCK, errno.EOPNOTSUPP, errno.ENOTSUP, errno.EBADF, errno.EINVAL}


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
        raise _io_error("cannot read", exc, path) from None


def _io_error(what: str, exc: OSError, name: str) -> InputOutputError:
    return InputOutputError(f"{what}: {exc.strerror or exc}", file=name)


# -- reading for an update: snapshot and lock ----------------------------------------


@dataclass(frozen=True)
class Snapshot:
    """What a read saw, so that the write can tell whether anyone wrote the
    file in between. ``data is None``: the file did not exist."""

    path: str  # as the caller named it, for messages
    target: str  # its final target through any symlinks, at read time
    data: bytes | None
    text: str = ""
    device: int = 0
    inode: int = 0
    size: int = 0
    mtime_ns: int = 0


@contextlib.contextmanager
def open_for_update(path: str, *, missing_ok: bool = False) -> Iterator[Snapshot]:
    """Read ``path`` for a read → plan → write cycle, holding an advisory
    lock on it until the block ends; pass the snapshot to ``write_atomic(...,
    expect=snapshot)`` inside the block.

    The lock is ``flock`` on the file itself, not on a sidecar lock file: a
    sidecar would litter the user's repository (and a hook's ``git status``),
    and deleting it afterwards reopens the very race it closes. A lock on the
    file is held on its inode, which ``os.replace`` swaps out; so a process
    that waited for it checks, once it has the lock, that the name still
    leads to the inode it locked, and otherwise locks and reads the new file
    (the first writer's result). Editors and other tools take no lock, so
    ``write_atomic`` also compares the file with this snapshot just before
    its replace. ``missing_ok``: a missing file gives an empty snapshot,
    and then the write refuses to replace a file someone created meanwhile.
    """
    target = _final_target(path)
    if isinstance(target, int):
        raise InputOutputError("cannot be rewritten in place: it is a stream, not a file (use -O)", file=path)
    deadline = time.monotonic() + LOCK_WAIT_SECONDS
    while True:
        try:
            # Checked before it is opened: opening a FIFO would wait for a
            # writer, and a file read-only to its owner (mode 0000) should
            # say so, not "permission denied".
            _refuse_to_rewrite(target, os.stat(target), path)
            handle = open(target, "rb")
        except FileNotFoundError as exc:
            if not missing_ok:
                raise _io_error("cannot read", exc, path) from None
            handle = None
        except OSError as exc:
            raise _io_error("cannot read", exc, path) from None
        if handle is None:
            yield Snapshot(path, target, None)
            return
        with handle:  # closing it releases the lock, after the caller's write
            info = os.fstat(handle.fileno())
            _refuse_to_rewrite(target, info, path)  # what was opened, in case the name changed meanwhile
            _lock(handle.fileno(), deadline, path)
            if not _names_inode(target, info):
                continue  # replaced while we waited: lock and read the new file instead
            try:
                data = handle.read()
            except OSError as exc:
                raise _io_error("cannot read", exc, path) from None
            info = os.fstat(handle.fileno())
            yield Snapshot(path, target, data, decode(data, path), info.st_dev, info.st_ino, info.st_size,
                           info.st_mtime_ns)
            return


def read_for_save(path: str) -> tuple[str, Snapshot | None]:
    """``path``'s text, and for a regular file a snapshot of what was read,
    for ``Document.save``: ``write_atomic(path, ..., expect=snapshot)``
    then refuses to overwrite a change made to the file since. No lock is
    held (the read and the save are the caller's, with its own code in
    between), and a read-only file reads as any other. ``-`` and streams
    give no snapshot: they cannot be saved over."""
    target = _final_target(path) if path != "-" else None
    if not isinstance(target, str):
        return read_text(path), None
    try:
        if not stat.S_ISREG(os.stat(target).st_mode):  # a FIFO: read as a stream, as read_text does
            return read_text(path), None
        with open(target, "rb") as handle:
            data = handle.read()
            info = os.fstat(handle.fileno())
    except OSError as exc:
        raise _io_error("cannot read", exc, path) from None
    text = decode(data, path)
    return text, Snapshot(path, target, data, text, info.st_dev, info.st_ino, info.st_size, info.st_mtime_ns)


def _lock(fd: int, deadline: float, name: str) -> None:
    """An exclusive ``flock``, polled so that a stuck holder ends in an error
    instead of a hung CI job."""
    try:
        import fcntl
    except ImportError:  # no flock on this platform: the re-check before the replace remains
        return
    delay = 0.005
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            if time.monotonic() >= deadline:
                raise InputOutputError(f"another process has held its lock for {LOCK_WAIT_SECONDS:g} s; "
                                       "nothing was written", file=name) from None
            time.sleep(delay)
            delay = min(delay * 2, 0.1)
        except OSError as exc:
            if exc.errno in _NO_LOCKS:
                return
            raise _io_error("cannot lock", exc, name) from None


def _refuse_to_rewrite(target: str, info: os.stat_result, name: str) -> None:
    if not stat.S_ISREG(info.st_mode):
        raise InputOutputError("cannot be rewritten in place: not a regular file (use -O)", file=name)
    _refuse_read_only(target, info, name)


def _names_inode(target: str, info: os.stat_result) -> bool:
    try:
        now = os.stat(target)
    except OSError:
        return False
    return (now.st_dev, now.st_ino) == (info.st_dev, info.st_ino)


def _refuse_read_only(target: str, info: os.stat_result, name: str) -> None:
    """A read-only file was made so on purpose; taskpatch does not replace it.

    ``access()`` asks the kernel (ACLs, read-only mounts, the effective ids),
    but says yes to everything for root, so the mode bits have the last word:
    a file nobody may write is refused even then.
    """
    effective = os.access in os.supports_effective_ids
    if info.st_mode & 0o222 == 0 or not os.access(target, os.W_OK, effective_ids=effective):
        raise InputOutputError(f"cannot write: the file is read-only (mode {stat.S_IMODE(info.st_mode):04o}); "
                               "nothing was written", file=name)


# -- writing ------------------------------------------------------------------------


def write_atomic(path: str, text: str, *, expect: Snapshot | None = None, make_folders: bool = False) -> None:
    """Write ``text`` to ``path`` by the contract in this module's docstring.

    ``expect``: the snapshot ``open_for_update`` took; the write is refused
    (nothing written) when the file no longer matches it. ``make_folders``:
    create the target's missing folders first. On any failure the target is
    as it was and no temporary file is left.
    """
    data = text.encode("utf-8")
    found = _regular_target(path, data, make_folders)
    if found is not None:
        _replace(found[0], data, found[1], expect, path)


def write_many(files: list[tuple[str, str]], progress: Callable[[int], None] | None = None) -> None:
    """Write several files, each by the contract of ``write_atomic``, with
    one sync for them all instead of an fsync per file (which made writing
    1,000 sweep variants take seconds).

    Every file is first written to a temporary file beside its target;
    then one ``os.sync()`` puts all their bytes on disk; only then is each
    renamed into place, so that no name ever points at bytes not yet on
    disk; then each folder is synced once, making the renames durable. A
    failure before the renames leaves every target as it was and removes
    the temporary files. ``progress`` is called with the number of files
    written so far.
    """
    pending: list[tuple[str, str, str]] = []  # (temporary file, target, name)
    folders: dict[str, str] = {}  # each folder resolved once, not once per file
    try:
        for number, (path, text) in enumerate(files, 1):
            data = text.encode("utf-8")
            found = _regular_target(path, data, folders=folders)
            if found is not None:
                target, info = found
                try:
                    fd, tmp_name = _temporary_file(target)
                    pending.append((tmp_name, target, path))
                    try:
                        _write_all(fd, data)
                    finally:
                        os.close(fd)
                    if info is not None:
                        _copy_owner_and_mode(tmp_name, info)
                except OSError as exc:
                    raise _io_error("cannot write", exc, path) from None
            if progress is not None:
                progress(number)
        os.sync()  # every temporary file's bytes, at once
        synced = sorted({os.path.dirname(target) for _, target, _ in pending})
        for done, (tmp_name, target, path) in enumerate(pending):
            try:
                os.replace(tmp_name, target)
            except OSError as exc:
                del pending[:done]  # those are in place: only the rest are left to remove
                raise _io_error("cannot write", exc, path) from None
        pending.clear()
    finally:
        for tmp_name, _, _ in pending:
            with contextlib.suppress(OSError):
                os.unlink(tmp_name)
    for folder in synced:
        _sync_folder(folder)


def _temporary_file(target: str) -> tuple[int, str]:
    """A new hidden file beside ``target``, opened for writing, with the
    mode ``open()`` gives a new file from the start (no chmod for the common
    case, a folder of new variants); a random name if that one is taken."""
    folder, name = os.path.split(target)
    tmp_name = os.path.join(folder, f".{name}.taskpatch-{os.getpid()}.tmp")
    try:
        return os.open(tmp_name, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0), 0o666), tmp_name
    except FileExistsError:  # left by a run that died with this process id
        import tempfile

        fd, tmp_name = tempfile.mkstemp(prefix=".taskpatch-", suffix=".tmp", dir=folder)
        _copy_owner_and_mode(tmp_name, None)
        return fd, tmp_name


def _regular_target(path: str, data: bytes, make_folders: bool = False, folders: dict[str, str] | None = None
                    ) -> tuple[str, os.stat_result | None] | None:
    """Where ``path`` leads and what is there now, when that is a regular
    file to replace (or nothing yet). A stream (a FIFO, a device, one of
    this process's own descriptors) is written here and then, directly,
    and None returned; a folder or a read-only file is refused. ``folders``
    caches what each folder resolves to."""
    target = _final_target(path, folders)
    if isinstance(target, int):
        _write_fd(target, data, path)
        return None
    if make_folders:
        try:
            os.makedirs(os.path.dirname(target), exist_ok=True)
        except OSError as exc:
            raise _io_error("cannot create its folder", exc, path) from None
    try:
        info: os.stat_result | None = os.stat(target)
    except FileNotFoundError:
        info = None
    except OSError as exc:
        raise _io_error("cannot write", exc, path) from None
    if info is not None and stat.S_ISDIR(info.st_mode):
        raise InputOutputError("cannot write: it is a folder", file=path)
    if info is not None and not stat.S_ISREG(info.st_mode):
        _write_stream(target, data, path)
        return None
    if info is not None:
        _refuse_read_only(target, info, path)
    return target, info


def _final_target(path: str, folders: dict[str, str] | None = None) -> str | int:
    """Where ``path`` leads through symlinks: an absolute path whose folder
    has no symlinks left (the file itself may not exist yet), or the number
    of one of this process's own file descriptors."""
    current = path
    for _ in range(MAX_SYMLINKS):
        fd = _own_fd(current)
        if fd is not None:
            return fd
        try:
            link = os.readlink(current)
        except OSError:  # not a link, or nothing there: the end of the chain
            break
        # No normpath: `..` after a symlinked folder must go up from where
        # the link leads, as the kernel does; realpath below sorts it out.
        current = os.path.join(os.path.dirname(current), link)
    folder, name = os.path.split(os.path.abspath(current))
    if folders is None:
        return os.path.join(os.path.realpath(folder), name)
    if folder not in folders:
        folders[folder] = os.path.realpath(folder)
    return os.path.join(folders[folder], name)


def _own_fd(path: str) -> int | None:
    if path in _STANDARD_STREAMS:
        return _STANDARD_STREAMS[path]
    for folder in (*_FD_FOLDERS, f"/proc/{os.getpid()}/fd/"):
        if path.startswith(folder) and path[len(folder):].isdigit():
            return int(path[len(folder):])
    return None


def _write_fd(fd: int, data: bytes, name: str) -> None:
    """Write to one of this process's own descriptors, after what Python
    has buffered for it, so the order of the output is kept."""
    if fd == 1:
        _write_stdout_bytes(data)
        return
    if fd == 2 and sys.stderr is not None:
        sys.stderr.flush()
    try:
        _write_all(fd, data)
    except OSError as exc:
        raise _io_error("cannot write", exc, name) from None


def _write_stream(target: str, data: bytes, name: str) -> None:
    """A FIFO or a device: opened and written, never created, truncated or
    replaced. Opening a FIFO waits for its reader, as a shell's `>` does."""
    try:
        fd = os.open(target, os.O_WRONLY | getattr(os, "O_NOCTTY", 0))
        try:
            _write_all(fd, data)
        finally:
            os.close(fd)
    except BrokenPipeError:
        raise InputOutputError("cannot write: the reader closed the pipe before the end", file=name) from None
    except OSError as exc:
        raise _io_error("cannot write", exc, name) from None


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def _replace(target: str, data: bytes, info: os.stat_result | None, expect: Snapshot | None, name: str) -> None:
    import tempfile  # only writes need it; ~3 ms off every read-only CLI start

    folder = os.path.dirname(target)
    tmp_name: str | None = None
    try:
        fd, tmp_name = tempfile.mkstemp(prefix=".taskpatch-", suffix=".tmp", dir=folder)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())  # the bytes are on disk before the name points at them
        _copy_owner_and_mode(tmp_name, info)
        if expect is not None:
            _check_unchanged(expect, target)
        if expect is not None and expect.data is None:
            _create(tmp_name, target, expect)
        else:
            os.replace(tmp_name, target)
        tmp_name = None
        _sync_folder(folder)
    except OSError as exc:
        raise _io_error("cannot write", exc, name) from None
    finally:
        if tmp_name is not None:
            with contextlib.suppress(OSError):
                os.unlink(tmp_name)


def _copy_owner_and_mode(tmp_name: str, info: os.stat_result | None) -> None:
    """The new file gets the old one's owner, group and mode; a new file the
    mode a plain ``open()`` would give (mkstemp's is 0600)."""
    if info is None:
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp_name, 0o666 & ~umask)
        return
    mine = os.stat(tmp_name)
    if (mine.st_uid, mine.st_gid) != (info.st_uid, info.st_gid):
        # Only root may give a file away; anyone may pass it to a group they
        # are in. When neither works the file becomes the writer's, as with
        # any editor: going on is better than refusing to write at all.
        for uid in (info.st_uid, -1):
            try:
                os.chown(tmp_name, uid, info.st_gid)
                break
            except OSError:
                continue
    os.chmod(tmp_name, stat.S_IMODE(info.st_mode))  # after chown, which clears set-id bits


def _check_unchanged(expect: Snapshot, target: str) -> None:
    """Refuse when the file is not the one ``expect`` read: another name,
    another inode, another size or time, or other bytes (a same-size write
    within one tick of a coarse clock keeps the size and the time)."""
    changed = InputOutputError("changed on disk while taskpatch was working on it (another program wrote it); "
                               "nothing was written, run taskpatch again", file=expect.path)
    if _final_target(expect.path) != expect.target:
        raise changed
    try:
        now = os.stat(target)
    except FileNotFoundError:
        now = None
    if expect.data is None:
        if now is not None:
            raise _created_meanwhile(expect)
        return
    if now is None:
        raise changed
    if (now.st_dev, now.st_ino, now.st_size, now.st_mtime_ns) != (expect.device, expect.inode, expect.size,
                                                                  expect.mtime_ns):
        raise changed
    with open(target, "rb") as handle:
        if handle.read() != expect.data:
            raise changed


def _create(tmp_name: str, target: str, expect: Snapshot) -> None:
    """Put the new file in place only if no file has appeared there: a hard
    link fails if the name exists, with no window between check and write."""
    try:
        os.link(tmp_name, target)
    except FileExistsError:
        raise _created_meanwhile(expect) from None
    except OSError:  # no hard links on this file system: the check just made will do
        os.replace(tmp_name, target)
        return
    os.unlink(tmp_name)


def _created_meanwhile(expect: Snapshot) -> InputOutputError:
    return InputOutputError("was created by another program while taskpatch was working on it; "
                            "nothing was written, run taskpatch again", file=expect.path)


def _sync_folder(folder: str) -> None:
    """Make the rename itself durable; a file system that cannot sync a
    folder (some network ones) has had the file's own fsync."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


# -- standard output ---------------------------------------------------------------


def write_stdout(text: str) -> None:
    """Write data to standard output, after anything already buffered there.

    A broken pipe (``taskpatch apply x.yaml | head -1``) means the reader
    has all it wants: the rest goes to /dev/null and the command carries on
    to its own exit code (so ``--check --diff | head`` still exits 1). Any
    other failure (a full disk, a closed stdout) is an ``InputOutputError``.
    """
    # A file name that is not UTF-8 (in a diff header, a plan row, the corpus
    # report) holds its bytes as surrogates: write them back as those bytes.
    # Nothing else can hold one: specs refuse them, files are decoded strictly.
    _write_stdout_bytes(text.encode("utf-8", "surrogateescape"))


def _write_stdout_bytes(data: bytes) -> None:
    stream = sys.stdout
    if stream is None:  # Python's stand-in when fd 1 was closed at start (`>&-`)
        raise InputOutputError("cannot write: standard output is closed", file=STDOUT_NAME)
    try:
        stream.flush()
        stream.buffer.write(data)
        stream.buffer.flush()
    except BrokenPipeError:
        discard_stdout()
    except (OSError, ValueError) as exc:  # ValueError: the stream object was closed
        raise stdout_error(exc) from None


def stdout_error(exc: Exception) -> InputOutputError:
    """The one-line error for a failed write to standard output."""
    return InputOutputError(f"cannot write: {getattr(exc, 'strerror', None) or exc}", file=STDOUT_NAME)


def discard_stdout() -> None:
    """Point fd 1 at /dev/null, so that what is still buffered for a reader
    that has gone can be flushed without another error."""
    try:
        fd = sys.stdout.fileno() if sys.stdout is not None else 1
        null = os.open(os.devnull, os.O_WRONLY)
    except (OSError, ValueError):  # no real fd behind sys.stdout (an embedding caller's stream)
        return
    os.dup2(null, fd)
    os.close(null)

"""The file-writing contract (issue 9, part 3): symlinks followed and kept,
streams written directly, mode and owner kept, read-only files refused,
concurrent ``-i`` runs never losing an update, stdout failures as one line,
and ``variants -d`` leaving exactly one run's files.

Tests that need what the OS may lack (FIFOs, /dev/full, mknod, flock) skip
cleanly; anything that could block (a FIFO, a lock) runs with a timeout so
that a regression fails instead of hanging CI.
"""

from __future__ import annotations

import errno
import json
import os
import select
import stat
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any, Callable

import pytest

import taskpatch
from taskpatch import files
from taskpatch.cli import main
from taskpatch.commands import apply as apply_command

ROOT = Path(__file__).resolve().parent.parent
TEXT = (ROOT / "examples" / "task.yaml").read_text()
EXPECTED = taskpatch.patch_text(TEXT, overrides=["worker.replicas=7"])
# Its output, and its diff for `-s w.command=go`, overflow a pipe's buffer (64 KiB on Linux).
BIG = "resources:\n- name: w\n  command: run  # " + "x" * 100_000 + "\n"
needs_fifo = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this OS")
needs_dev_full = pytest.mark.skipif(not os.path.exists("/dev/full"), reason="no /dev/full on this OS")
needs_flock = pytest.mark.skipif(sys.platform == "win32", reason="no flock on this OS")


def temp_files(folder: Path) -> list[str]:
    return [name for name in os.listdir(folder) if name.startswith(".taskpatch-")]


def cli(*args: str, **options: Any) -> subprocess.CompletedProcess[bytes]:
    """The installed command's path through ``run()`` (its own flush and exit)."""
    options.setdefault("stdout", subprocess.PIPE)
    options.setdefault("stderr", subprocess.PIPE)
    options.setdefault("timeout", 60)
    return subprocess.run([sys.executable, "-m", "taskpatch", *args], **options)


def one_line(err: str) -> str:
    assert err.count("\n") == 1 and "Traceback" not in err, err
    return err


# -- symlinks -----------------------------------------------------------------------


def test_in_place_through_a_symlink_replaces_the_target_and_keeps_the_link(tmp_path: Path) -> None:
    (tmp_path / "real").mkdir()
    target = tmp_path / "real" / "task.yaml"
    target.write_text(TEXT)
    link = tmp_path / "task.yaml"
    link.symlink_to(os.path.join("real", "task.yaml"))  # relative, as people write them
    inode = target.stat().st_ino
    assert main(["apply", str(link), "-i", "-s", "worker.replicas=7"]) == 0
    assert link.is_symlink() and os.readlink(link) == os.path.join("real", "task.yaml")
    assert target.read_text() == EXPECTED
    assert target.stat().st_ino != inode  # replaced, not written over in place
    assert temp_files(tmp_path) == [] and temp_files(tmp_path / "real") == []


def test_output_through_a_chain_of_symlinks(tmp_path: Path) -> None:
    (tmp_path / "in.yaml").write_text(TEXT)
    (tmp_path / "deep").mkdir()
    target = tmp_path / "deep" / "out.yaml"
    target.write_text("old\n")
    (tmp_path / "hop.yaml").symlink_to(target)
    (tmp_path / "out.yaml").symlink_to("hop.yaml")
    assert main(["apply", str(tmp_path / "in.yaml"), "-O", str(tmp_path / "out.yaml"), "-s", "worker.replicas=7"]) == 0
    assert (tmp_path / "out.yaml").is_symlink() and (tmp_path / "hop.yaml").is_symlink()
    assert target.read_text() == EXPECTED


def test_dangling_symlink_output_creates_its_target(tmp_path: Path) -> None:
    (tmp_path / "in.yaml").write_text(TEXT)
    (tmp_path / "out.yaml").symlink_to("made.yaml")
    assert main(["apply", str(tmp_path / "in.yaml"), "-O", str(tmp_path / "out.yaml")]) == 0
    assert (tmp_path / "out.yaml").is_symlink() and (tmp_path / "made.yaml").read_text() == TEXT


def test_symlink_loop_is_one_error(tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "in.yaml").write_text(TEXT)
    (tmp_path / "a.yaml").symlink_to("b.yaml")
    (tmp_path / "b.yaml").symlink_to("a.yaml")
    assert main(["apply", str(tmp_path / "in.yaml"), "-O", str(tmp_path / "a.yaml")]) == 2
    assert "a.yaml: I/O error: cannot write:" in one_line(capfd.readouterr().err)


# -- streams and devices ------------------------------------------------------------


def read_fifo_while(path: Path, writer: Callable[[], Any], timeout: float = 10.0) -> tuple[bytes, list[Any]]:
    """Run ``writer`` in a thread while reading the FIFO until its end; fail
    (instead of hanging) if either side blocks for ``timeout`` seconds."""
    reader = os.open(path, os.O_RDONLY | os.O_NONBLOCK)  # opens without a writer, so nothing blocks here
    results: list[Any] = []
    thread = threading.Thread(target=lambda: results.append(writer()), daemon=True)
    thread.start()
    chunks, deadline, seen_writer = [], time.monotonic() + timeout, False
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([reader], [], [], 0.05)
            if not ready:
                continue
            chunk = os.read(reader, 65536)
            if chunk:
                chunks.append(chunk)
                seen_writer = True
            elif seen_writer or not thread.is_alive():
                break  # end of file: the writer closed its end
            else:
                time.sleep(0.01)  # no writer yet: a FIFO reads as empty until one opens it
        else:
            pytest.fail("the FIFO was not written and closed in time")
    finally:
        os.close(reader)
    thread.join(timeout)
    assert not thread.is_alive(), "the writer is still blocked"
    return b"".join(chunks), results


@needs_fifo
def test_fifo_output_is_written_directly(tmp_path: Path) -> None:
    (tmp_path / "in.yaml").write_text(TEXT)
    fifo = tmp_path / "out.fifo"
    os.mkfifo(fifo)
    data, codes = read_fifo_while(fifo, lambda: main(["apply", str(tmp_path / "in.yaml"), "-O", str(fifo),
                                                      "-s", "worker.replicas=7"]))
    assert codes == [0] and data.decode() == EXPECTED
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)  # still a FIFO, not replaced by a file
    assert temp_files(tmp_path) == []


@needs_fifo
def test_build_output_that_is_a_fifo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """build neither reads the FIFO (to compare) nor replaces it."""
    (tmp_path / "task.yaml").write_text(TEXT)
    (tmp_path / "taskpatch.yaml").write_text("targets:\n  - {source: task.yaml, output: out.fifo}\n")
    os.mkfifo(tmp_path / "out.fifo")
    monkeypatch.chdir(tmp_path)
    data, codes = read_fifo_while(tmp_path / "out.fifo", lambda: main(["build"]))
    assert codes == [1] and data.decode() == TEXT
    assert stat.S_ISFIFO(os.lstat(tmp_path / "out.fifo").st_mode)


@needs_fifo
def test_in_place_refuses_a_fifo_without_waiting_for_a_writer(tmp_path: Path) -> None:
    fifo = tmp_path / "task.fifo"
    os.mkfifo(fifo)
    result = cli("apply", str(fifo), "-i", "-s", "worker.replicas=7", timeout=20)  # opening it would block
    assert result.returncode == 2
    assert "not a regular file" in one_line(result.stderr.decode())
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)


@pytest.mark.parametrize("device,code,message", [((1, 3), 0, ""), ((1, 7), 2, "No space left on device")],
                         ids=["null", "full"])
def test_character_device_is_written_not_replaced(tmp_path: Path, capfd: pytest.CaptureFixture[str],
                                                  device: tuple[int, int], code: int, message: str) -> None:
    """A device node of our own (root only), so a regression replaces a node in tmp_path, not /dev/null."""
    node = tmp_path / "dev"
    try:
        os.mknod(node, 0o666 | stat.S_IFCHR, os.makedev(*device))
        os.close(os.open(node, os.O_WRONLY))
    except (AttributeError, OSError) as exc:
        pytest.skip(f"cannot make and open a device node here: {exc}")
    (tmp_path / "in.yaml").write_text(TEXT)
    assert main(["apply", str(tmp_path / "in.yaml"), "-O", str(node)]) == code
    err = capfd.readouterr().err
    assert (message in one_line(err)) if message else err == ""
    assert stat.S_ISCHR(os.lstat(node).st_mode) and temp_files(tmp_path) == []


def test_output_to_a_folder_is_one_error(tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "in.yaml").write_text(TEXT)
    (tmp_path / "out").mkdir()
    assert main(["apply", str(tmp_path / "in.yaml"), "-O", str(tmp_path / "out")]) == 2
    assert "it is a folder" in one_line(capfd.readouterr().err)


@pytest.mark.parametrize("command", [
    ["apply", "{task}", "-s", "worker.replicas=7", "-O", "-"],
    ["serve", "{mlapp}", "--serving", "serv", "--task", "model", "--var", "model_path=/m", "-O", "-"],
])
def test_dash_output_is_stdout(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str],
                               command: list[str]) -> None:
    monkeypatch.chdir(tmp_path)
    paths = {"task": str(ROOT / "examples" / "task.yaml"), "mlapp": str(ROOT / "examples" / "mlapp.yaml")}
    argv = [arg.format(**paths) for arg in command]
    assert main(argv) == 0
    out = capfd.readouterr().out
    assert main(argv[:-2]) == 0  # the same command without -O
    assert out == capfd.readouterr().out and out.startswith(("# A task", "name: serv"))
    assert os.listdir(tmp_path) == []  # no file named "-"


def test_dev_stdout_appends_where_stdout_points(tmp_path: Path) -> None:
    """`-O /dev/stdout >> log` writes through fd 1: the log keeps what it had
    (replacing the file /dev/stdout leads to would lose it)."""
    (tmp_path / "in.yaml").write_text(TEXT)
    log = tmp_path / "log.txt"
    log.write_text("earlier lines\n")
    with open(log, "ab") as stdout:
        result = cli("apply", str(tmp_path / "in.yaml"), "-O", "/dev/stdout", "-s", "worker.replicas=7", stdout=stdout)
    assert result.returncode == 0, result.stderr
    assert log.read_text() == "earlier lines\n" + EXPECTED


# -- mode, owner, read-only ---------------------------------------------------------


@pytest.mark.parametrize("how", ["-i", "-O"])
def test_mode_is_kept(tmp_path: Path, how: str) -> None:
    path = tmp_path / "task.yaml"
    path.write_text(TEXT)
    os.chmod(path, 0o640)
    argv = ["apply", str(path), "-s", "worker.replicas=7"]
    if how == "-O":
        source = tmp_path / "source.yaml"
        source.write_text(TEXT)
        argv = ["apply", str(source), "-O", str(path), "-s", "worker.replicas=7"]
    else:
        argv.append("-i")
    assert main(argv) == 0
    assert path.read_text() == EXPECTED and stat.S_IMODE(path.stat().st_mode) == 0o640


def test_a_new_file_gets_the_umask_mode(tmp_path: Path) -> None:
    (tmp_path / "in.yaml").write_text(TEXT)
    umask = os.umask(0o027)
    try:
        assert main(["apply", str(tmp_path / "in.yaml"), "-O", str(tmp_path / "new.yaml")]) == 0
    finally:
        os.umask(umask)
    assert stat.S_IMODE((tmp_path / "new.yaml").stat().st_mode) == 0o640  # not mkstemp's 0600


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="only root can give a file away")
def test_owner_and_group_are_kept(tmp_path: Path) -> None:
    path = tmp_path / "task.yaml"
    path.write_text(TEXT)
    os.chown(path, 4321, 8765)
    os.chmod(path, 0o2664)  # set-gid too: chown would clear it, so the mode goes on after
    assert main(["apply", str(path), "-i", "-s", "worker.replicas=7"]) == 0
    info = path.stat()
    assert (info.st_uid, info.st_gid, stat.S_IMODE(info.st_mode)) == (4321, 8765, 0o2664)


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="needs a file owned by another user")
def test_owner_change_refused_by_the_os_is_not_an_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A user who may not give the file back keeps going, as an editor does:
    the new file is theirs, with the old mode."""
    path = tmp_path / "task.yaml"
    path.write_text(TEXT)
    os.chown(path, 4321, 8765)
    os.chmod(path, 0o640)
    calls = []

    def refuse(name: str, uid: int, gid: int) -> None:
        calls.append((uid, gid))
        raise PermissionError(1, "Operation not permitted")

    monkeypatch.setattr(files.os, "chown", refuse)
    assert main(["apply", str(path), "-i", "-s", "worker.replicas=7"]) == 0
    assert calls == [(4321, 8765), (-1, 8765)]  # the owner, then at least the group
    info = path.stat()
    assert path.read_text() == EXPECTED and (info.st_uid, stat.S_IMODE(info.st_mode)) == (os.geteuid(), 0o640)


@pytest.mark.parametrize("mode", [0o444, 0o400, 0o000])
def test_read_only_file_is_refused(tmp_path: Path, capfd: pytest.CaptureFixture[str], mode: int) -> None:
    """As root, access() says yes to everything; the mode bits still refuse."""
    path = tmp_path / "task.yaml"
    path.write_text(TEXT)
    os.chmod(path, mode)
    before = os.stat(path)
    try:
        assert main(["apply", str(path), "-i", "-s", "worker.replicas=7"]) == 2
        err = one_line(capfd.readouterr().err)
        assert err.startswith(f"{path}: I/O error: cannot write: the file is read-only (mode {mode:04o})")
        after = os.stat(path)
        assert (after.st_ino, after.st_mtime_ns, stat.S_IMODE(after.st_mode)) == (before.st_ino, before.st_mtime_ns,
                                                                                  mode)
        assert os.listdir(tmp_path) == ["task.yaml"]  # no temporary file left
    finally:
        os.chmod(path, 0o644)
    assert path.read_text() == TEXT


def test_access_denied_is_refused_even_with_write_bits(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                       capfd: pytest.CaptureFixture[str]) -> None:
    """What access() says counts too (a non-root user, an ACL, a read-only mount)."""
    path = tmp_path / "task.yaml"
    path.write_text(TEXT)
    monkeypatch.setattr(files.os, "access", lambda *args, **kwargs: False)
    assert main(["apply", str(path), "-i", "-s", "worker.replicas=7"]) == 2
    assert "read-only" in one_line(capfd.readouterr().err)
    assert path.read_text() == TEXT and os.listdir(tmp_path) == ["task.yaml"]


def test_read_only_output_is_refused_too(tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "in.yaml").write_text(TEXT)
    out = tmp_path / "out.yaml"
    out.write_text("keep\n")
    os.chmod(out, 0o444)
    assert main(["apply", str(tmp_path / "in.yaml"), "-O", str(out)]) == 2
    assert "read-only" in one_line(capfd.readouterr().err) and out.read_text() == "keep\n"


# -- concurrent -i ------------------------------------------------------------------


OTHER = TEXT.replace("64Mi", "99Mi")  # the other writer's version: same size, other bytes


@pytest.mark.parametrize("how", ["rewrite-in-place-same-size-same-mtime", "replace", "delete"])
def test_concurrent_change_between_plan_and_write(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                  capfd: pytest.CaptureFixture[str], how: str) -> None:
    """Another program (an editor, which takes no lock) writes the file after
    taskpatch read it: exit 2, nothing written, the other program's bytes stay."""
    path = tmp_path / "task.yaml"
    path.write_text(TEXT)
    real_write = apply_command.write_atomic

    def other_writer_first(*args: Any, **kwargs: Any) -> None:
        if how == "delete":
            path.unlink()
        elif how == "replace":
            (tmp_path / "editor.tmp").write_text(OTHER)
            os.replace(tmp_path / "editor.tmp", path)
        else:  # the hardest case: only the bytes tell
            info = path.stat()
            with open(path, "r+") as handle:
                handle.write(OTHER)
            os.utime(path, ns=(info.st_atime_ns, info.st_mtime_ns))
            assert path.stat().st_size == info.st_size
        real_write(*args, **kwargs)

    monkeypatch.setattr(apply_command, "write_atomic", other_writer_first)
    assert main(["apply", str(path), "-i", "-s", "worker.replicas=7"]) == 2
    err = one_line(capfd.readouterr().err)
    assert err.startswith(f"{path}: I/O error: changed on disk while taskpatch was working on it") and "nothing" in err
    if how == "delete":
        assert not path.exists()
    else:
        assert path.read_text() == OTHER
    assert temp_files(tmp_path) == []


def test_symlink_repointed_between_read_and_write(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                  capfd: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "a.yaml").write_text(TEXT)
    (tmp_path / "b.yaml").write_text(TEXT)
    link = tmp_path / "task.yaml"
    link.symlink_to("a.yaml")
    real_write = apply_command.write_atomic

    def repoint_first(*args: Any, **kwargs: Any) -> None:
        link.unlink()
        link.symlink_to("b.yaml")
        real_write(*args, **kwargs)

    monkeypatch.setattr(apply_command, "write_atomic", repoint_first)
    assert main(["apply", str(link), "-i", "-s", "worker.replicas=7"]) == 2
    assert "changed on disk" in one_line(capfd.readouterr().err)
    assert (tmp_path / "a.yaml").read_text() == TEXT and (tmp_path / "b.yaml").read_text() == TEXT


@needs_flock
def test_a_second_run_waits_for_the_lock_then_reads_the_first_runs_result(tmp_path: Path) -> None:
    """The lock is on the file, and the first writer replaces the file: the
    waiting run must notice and patch the new file, not the one it locked."""
    import fcntl

    path = tmp_path / "task.yaml"
    path.write_text(TEXT)
    holder = open(path, "rb")
    fcntl.flock(holder.fileno(), fcntl.LOCK_EX)
    codes: list[int] = []
    thread = threading.Thread(target=lambda: codes.append(main(["apply", str(path), "-i", "-e", "B=2"])),
                              daemon=True)
    try:
        thread.start()
        time.sleep(0.4)
        assert thread.is_alive(), "apply -i did not wait for the lock"
        # The holder writes its update the way taskpatch does: a replace.
        (tmp_path / "first.tmp").write_text(taskpatch.patch_text(TEXT, env=["A=1"]))
        os.replace(tmp_path / "first.tmp", path)
    finally:
        holder.close()  # releases the lock on the old inode
    thread.join(10)
    assert not thread.is_alive() and codes == [0]
    assert path.read_text() == taskpatch.patch_text(TEXT, env=["A=1", "B=2"])  # both updates


@needs_flock
def test_a_lock_held_too_long_is_an_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                          capfd: pytest.CaptureFixture[str]) -> None:
    import fcntl

    path = tmp_path / "task.yaml"
    path.write_text(TEXT)
    monkeypatch.setattr(files, "LOCK_WAIT_SECONDS", 0.2)
    with open(path, "rb") as holder:
        fcntl.flock(holder.fileno(), fcntl.LOCK_EX)
        assert main(["apply", str(path), "-i", "-e", "B=2"]) == 2
    assert "another process has held its lock for 0.2 s; nothing was written" in one_line(capfd.readouterr().err)
    assert path.read_text() == TEXT


def test_two_real_processes_never_lose_an_update(tmp_path: Path) -> None:
    """Big enough that the two runs overlap (without the lock and the
    re-check, one update was lost in 10 tries of 10)."""
    path = tmp_path / "task.yaml"
    text = "resources:\n" + "".join(f"- name: w{i}\n  image: x  # {i}\n  env:\n  - name: Z\n    value: z\n"
                                     for i in range(2000))
    for _ in range(3):
        path.write_text(text)
        runs = [subprocess.Popen([sys.executable, "-m", "taskpatch", "apply", str(path), "-i", "-e", f"{name}=1"],
                                 stderr=subprocess.PIPE) for name in ("A", "B")]
        outcomes = [(run.communicate(timeout=60)[1].decode(), run.returncode) for run in runs]
        text = path.read_text()
        for (err, code), name in zip(outcomes, ("A", "B")):
            assert code in (0, 2) and "Traceback" not in err
            if code == 0:
                assert f"name: {name}" in text, f"{name}'s update was lost"
            else:
                assert "changed on disk" in err


# -- task info ----------------------------------------------------------------------


def test_info_set_creates_the_folders(tmp_path: Path) -> None:
    path = tmp_path / "a" / "b" / "info.json"
    assert main(["info", "set", str(path), "model_path=/m"]) == 0
    assert json.loads(path.read_text()) == {"model_path": "/m"}


def test_info_created_meanwhile_is_not_clobbered(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import taskpatch.taskinfo as taskinfo

    path = tmp_path / "info.json"
    real_write = taskinfo.write_atomic

    def other_creates_it_first(*args: Any, **kwargs: Any) -> None:
        path.write_text('{"checkpoint_path": "/other"}\n')
        real_write(*args, **kwargs)

    monkeypatch.setattr(taskinfo, "write_atomic", other_creates_it_first)
    with pytest.raises(taskpatch.InputOutputError, match="created by another program"):
        taskpatch.update_task_info({"model_path": "/m"}, str(path))
    assert path.read_text() == '{"checkpoint_path": "/other"}\n' and temp_files(tmp_path) == []


# -- standard output ----------------------------------------------------------------


@needs_dev_full
@pytest.mark.parametrize("args", [["apply", "{task}"], ["apply", "{task}", "-O", "/dev/stdout"], ["--help"],
                                  ["plan", "{task}", "-e", "A=1"]], ids=["apply", "dev-stdout", "help", "plan"])
def test_stdout_on_a_full_disk_is_exit_2_and_one_line(args: list[str]) -> None:
    with open("/dev/full", "wb") as full:
        result = cli(*(a.format(task=ROOT / "examples" / "task.yaml") for a in args), stdout=full)
    assert result.returncode == 2
    assert one_line(result.stderr.decode()) == "<stdout>: I/O error: cannot write: No space left on device\n"


class _FailingStdout:
    def __init__(self, error: OSError) -> None:
        self.error = error

    def flush(self) -> None:
        raise self.error

    def fileno(self) -> int:
        raise OSError("no fd")  # an embedding caller's stream: nothing to redirect


@pytest.mark.parametrize("error,code,message", [
    (OSError(28, "No space left on device"), 2, "<stdout>: I/O error: cannot write: No space left on device\n"),
    (BrokenPipeError(32, "Broken pipe"), 0, ""),
], ids=["full", "broken-pipe"])
def test_the_final_flush_before_the_fast_exit(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
                                              error: OSError, code: int, message: str) -> None:
    """run() skips the interpreter's teardown, and with it the teardown's own
    flush: what is still buffered must fail there as it would anywhere."""
    from taskpatch import cli as cli_module

    monkeypatch.setattr(sys, "stdout", _FailingStdout(error))
    assert cli_module._flush(0) == code
    assert capsys.readouterr().err == message


@pytest.mark.skipif(sys.platform == "win32", reason="needs a POSIX shell")
def test_closed_stdout_is_exit_2_and_one_line() -> None:
    result = subprocess.run(["sh", "-c", 'exec "$@" >&-', "sh", sys.executable, "-m", "taskpatch", "apply",
                             str(ROOT / "examples" / "task.yaml")], capture_output=True, timeout=60)
    assert result.returncode == 2
    assert one_line(result.stderr.decode()) == "<stdout>: I/O error: cannot write: standard output is closed\n"


@pytest.mark.parametrize("args,code", [([], 0), (["--check", "--diff"], 1)], ids=["apply", "check-diff"])
def test_broken_pipe_ends_quietly_with_the_commands_own_code(tmp_path: Path, args: list[str], code: int) -> None:
    """`taskpatch apply big.yaml | head -1`: no message; the exit code is what
    the command would have said anyway (so --check still reports the change)."""
    path = tmp_path / "big.yaml"
    path.write_text(BIG)
    run = subprocess.Popen([sys.executable, "-m", "taskpatch", "apply", str(path), "-s", "w.command=go", *args],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert run.stdout is not None and run.stderr is not None
    assert run.stdout.readline()
    run.stdout.close()  # as `head -1` does
    assert run.wait(60) == code
    err = run.stderr.read().decode()
    assert err == (f"taskpatch: {path} would change\n" if code else "")


# -- variants -d --------------------------------------------------------------------


def variants(config: Path, outdir: Path, values: str) -> int:
    return main(["variants", str(config), "--grid", f"worker.lr={values}", "-d", str(outdir)])


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = tmp_path / "task.yaml"
    path.write_text(TEXT)
    return path


def test_variants_rerun_with_fewer_leaves_exactly_the_new_set(tmp_path: Path, config: Path) -> None:
    out = tmp_path / "out"
    assert variants(config, out, "1,2,3,4") == 0
    (out / "notes.md").write_text("mine\n")  # not a variant: never touched
    assert variants(config, out, "5,6") == 0
    assert sorted(os.listdir(out)) == ["notes.md", "task-001.yaml", "task-002.yaml", "variants.json"]
    index = json.loads((out / "variants.json").read_text())
    assert index == [{"file": "task-001.yaml", "params": {"worker.lr": 5}},
                     {"file": "task-002.yaml", "params": {"worker.lr": 6}}]
    assert (out / "task-002.yaml").read_text() == taskpatch.patch_text(TEXT, args=["worker.lr=6"])


def test_variants_of_another_config_replace_the_earlier_ones(tmp_path: Path, config: Path) -> None:
    other = tmp_path / "other.yaml"
    other.write_text(TEXT)
    out = tmp_path / "out"
    assert variants(config, out, "1,2") == 0
    assert variants(other, out, "3") == 0
    assert sorted(os.listdir(out)) == ["other-001.yaml", "variants.json"]


def test_variants_refuse_unlisted_files_that_look_like_variants(tmp_path: Path, config: Path,
                                                                capfd: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "task-001.yaml").write_text("a copy made by hand\n")
    assert variants(config, out, "1,2") == 2
    err = one_line(capfd.readouterr().err)
    assert err.startswith(f"{out}: I/O error: holds files that look like variants") and "task-001.yaml" in err
    assert os.listdir(out) == ["task-001.yaml"] and (out / "task-001.yaml").read_text() == "a copy made by hand\n"


def test_a_hand_edited_index_cannot_delete_other_files(tmp_path: Path, config: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "notes.md").write_text("mine\n")
    index = [{"file": name, "params": {}} for name in ("../task.yaml", "notes.md", str(config), "gone-001.yaml")]
    (out / "variants.json").write_text(json.dumps(index))
    assert variants(config, out, "1") == 0
    assert config.read_text() == TEXT and (out / "notes.md").read_text() == "mine\n"
    assert sorted(os.listdir(out)) == ["notes.md", "task-001.yaml", "variants.json"]


@pytest.mark.parametrize("index,where", [("[\n  {\"file\": \n", ":3:1:"), ('{"file": "x"}', ":1:1:")],
                         ids=["not-json", "not-a-list"])
def test_variants_refuse_an_index_they_cannot_read(tmp_path: Path, config: Path, capfd: pytest.CaptureFixture[str],
                                                   index: str, where: str) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "variants.json").write_text(index)
    assert variants(config, out, "1") == 2
    assert f"{out / 'variants.json'}{where}" in one_line(capfd.readouterr().err)
    assert os.listdir(out) == ["variants.json"]


def test_an_interrupted_variants_run_is_cleaned_up_by_the_next(tmp_path: Path, config: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """variants.json lists every variant file the folder may hold at every
    moment, so a run that dies half way leaves nothing the next one refuses."""
    out = tmp_path / "out"
    assert variants(config, out, "1,2") == 0
    real_replace = os.replace
    placed: list[str] = []

    def dies_after_three_files(source: str, target: str) -> None:
        """The variant files are put in place one rename each, after one sync."""
        if target.endswith(".yaml") and len(placed) == 3:
            raise OSError(errno.ENOSPC, "No space left on device")
        placed.append(target) if target.endswith(".yaml") else None
        real_replace(source, target)

    monkeypatch.setattr(os, "replace", dies_after_three_files)
    assert variants(config, out, "3,4,5,6") == 2
    # task-003.yaml is one no earlier index listed: only this run's own first index names it;
    # the temporary files of the variants not yet in place are gone
    assert sorted(os.listdir(out)) == ["task-001.yaml", "task-002.yaml", "task-003.yaml", "variants.json"]
    assert (out / "task-003.yaml").read_text() != (out / "task-001.yaml").read_text()
    monkeypatch.undo()
    assert variants(config, out, "7") == 0
    assert sorted(os.listdir(out)) == ["task-001.yaml", "variants.json"]


def test_variants_sync_once_not_once_per_file(tmp_path: Path, config: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Writing N variants: no fsync per file, one sync for all their bytes
    before any is renamed into place, then the folder's fsync."""
    calls: list[str] = []
    real_replace, real_fsync = os.replace, os.fsync
    monkeypatch.setattr(os, "sync", lambda: calls.append("sync"))
    monkeypatch.setattr(os, "fsync", lambda fd: calls.append("fsync") or real_fsync(fd))
    monkeypatch.setattr(os, "replace", lambda a, b: calls.append("replace " + os.path.basename(b)) or real_replace(a, b))
    out = tmp_path / "out"
    assert variants(config, out, ",".join(str(i) for i in range(20))) == 0
    yaml_calls = calls[calls.index("sync"):]
    assert calls.count("sync") == 1
    assert [c for c in yaml_calls if c.startswith("replace task-")] == [f"replace task-{i:03d}.yaml" for i in range(1, 21)]
    # variants.json, written once into a new folder (its first index is its last), fsyncs as every
    # single file does (itself and its folder); the variants, only their folder
    assert calls.count("fsync") == 2 + 1
    assert [entry["file"] for entry in json.loads((tmp_path / "out" / "variants.json").read_text())] == [
        f"task-{i:03d}.yaml" for i in range(1, 21)]
    assert sorted(os.listdir(out)) == [f"task-{i:03d}.yaml" for i in range(1, 21)] + ["variants.json"]


def test_a_variant_that_cannot_be_written_leaves_no_temporary_files(tmp_path: Path, config: Path,
                                                                    capfd: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "task-002.yaml").mkdir()  # a folder where a variant goes
    (out / "variants.json").write_text('[{"file": "task-002.yaml", "params": {}}]')
    assert variants(config, out, "1,2,3") == 2
    assert "task-002.yaml: I/O error: cannot write: it is a folder" in one_line(capfd.readouterr().err)
    assert sorted(os.listdir(out)) == ["task-002.yaml", "variants.json"]

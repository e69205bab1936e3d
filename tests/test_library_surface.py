"""The library's surface (issue 12, part 5): every public name shows in
``dir()`` and ``help()``; ``load``/``loads`` take documented keywords;
``Document.save`` writes by the writing contract."""

from __future__ import annotations

import inspect
import os
import pydoc
import re
import stat
from pathlib import Path

import pytest

import taskpatch
from taskpatch import _LAZY, files

TASK = "resources:\n- name: w   # the worker\n  replicas: 1\n"


def test_all_is_every_lazy_name_and_dir_and_help_show_them() -> None:
    assert sorted(taskpatch.__all__) == sorted(_LAZY)
    assert set(taskpatch.__all__) <= set(dir(taskpatch))
    shown = pydoc.render_doc(taskpatch, renderer=pydoc.plaintext)
    missing = [name for name in taskpatch.__all__ if not re.search(rf"^    (class )?{name}\b", shown, re.MULTILINE)]
    assert missing == []  # each documented as a class or function of its own, not only listed


@pytest.mark.parametrize("function", [taskpatch.load, taskpatch.loads])
def test_load_and_loads_take_explicit_documented_keywords(function) -> None:  # type: ignore[no-untyped-def]
    parameters = inspect.signature(function).parameters
    assert all(p.kind is not inspect.Parameter.VAR_KEYWORD for p in parameters.values())
    keywords = [name for name, p in parameters.items() if p.kind is inspect.Parameter.KEYWORD_ONLY]
    assert {"task", "resources", "template", "copy_aliases", "verify"} <= set(keywords)
    documented = inspect.getdoc(taskpatch.loads) or ""
    assert [name for name in keywords if f"``{name}``" not in documented] == []
    with pytest.raises(TypeError):
        function("x.yaml" if function is taskpatch.load else TASK, tsak="w")  # a typo is an error, not ignored


def test_loads_keywords_reach_the_document() -> None:
    doc = taskpatch.loads("spec:\n  containers:\n  - name: c\n", resources="$.spec.containers", path="p.yaml")
    doc.apply_env(["A=1"])
    assert doc.data["spec"]["containers"][0]["env"] == [{"name": "A", "value": "1"}]
    with pytest.raises(taskpatch.SelectorError) as caught:
        doc.apply_resource_overrides(["nope.x=1"])
    assert caught.value.file == "p.yaml"


def _loaded(path: Path) -> taskpatch.Document:
    doc = taskpatch.load(str(path))
    doc.apply_resource_overrides(["w.replicas=2"])
    return doc


def test_save_replaces_the_loaded_file_atomically_keeping_its_mode(tmp_path: Path) -> None:
    path = tmp_path / "task.yaml"
    path.write_text(TASK)
    path.chmod(0o640)
    other_name = tmp_path / "hard-link.yaml"
    os.link(path, other_name)
    doc = _loaded(path)
    doc.save()
    assert path.read_text() == doc.text == TASK.replace("replicas: 1", "replicas: 2")
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    assert other_name.read_text() == TASK  # replaced, not rewritten in place: the other name keeps the old text
    assert sorted(p.name for p in tmp_path.iterdir()) == ["hard-link.yaml", "task.yaml"]  # no temporary file left
    doc.apply_resource_overrides(["w.replicas=3"])
    doc.save()  # a second save compares with what the first wrote
    assert "replicas: 3" in path.read_text()


def test_save_refuses_to_overwrite_a_change_made_since_load(tmp_path: Path) -> None:
    path = tmp_path / "task.yaml"
    path.write_text(TASK)
    doc = _loaded(path)
    path.write_text(TASK + "# someone's edit\n")
    with pytest.raises(taskpatch.InputOutputError, match="changed on disk"):
        doc.save()
    assert path.read_text() == TASK + "# someone's edit\n"
    doc.save(str(tmp_path / "elsewhere.yaml"))  # another file: nothing to compare with
    assert (tmp_path / "elsewhere.yaml").read_text() == doc.text


def test_save_follows_a_symlink_and_keeps_it(tmp_path: Path) -> None:
    (tmp_path / "real.yaml").write_text(TASK)
    (tmp_path / "link.yaml").symlink_to("real.yaml")
    doc = _loaded(tmp_path / "link.yaml")
    doc.save()
    assert (tmp_path / "link.yaml").is_symlink() and (tmp_path / "real.yaml").read_text() == doc.text


def test_save_refuses_a_read_only_file(tmp_path: Path) -> None:
    path = tmp_path / "task.yaml"
    path.write_text(TASK)
    path.chmod(0o444)
    doc = _loaded(path)  # reading it is fine
    with pytest.raises(taskpatch.InputOutputError, match="read-only"):
        doc.save()
    assert path.read_text() == TASK


def test_save_goes_through_the_atomic_writer(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A failure at the rename leaves the old file and no temporary file."""
    path = tmp_path / "task.yaml"
    path.write_text(TASK)
    doc = _loaded(path)

    def failing(*args: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(files.os, "replace", failing)
    with pytest.raises(taskpatch.InputOutputError, match="No space left on device"):
        doc.save()
    assert path.read_text() == TASK and [p.name for p in tmp_path.iterdir()] == ["task.yaml"]


def test_save_without_a_path_is_a_usage_error(tmp_path: Path) -> None:
    doc = taskpatch.loads(TASK)
    with pytest.raises(taskpatch.UsageError, match="needs a path"):
        doc.save()
    old_umask = os.umask(0o027)
    try:
        doc.save(str(tmp_path / "new.yaml"))
    finally:
        os.umask(old_umask)
    assert stat.S_IMODE((tmp_path / "new.yaml").stat().st_mode) == 0o640  # what open() would give

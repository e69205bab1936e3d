"""Run over ../shared/corpus: patch what holds resources, clean errors for the rest."""

from pathlib import Path

import pytest

import taskpatch

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"
FILES = sorted(p for p in CORPUS.glob("*/*.yaml")) if CORPUS.is_dir() else []


@pytest.mark.skipif(not FILES, reason="../shared/corpus is not present")
@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_corpus_file_patches_or_fails_cleanly(path):
    text = path.read_bytes().decode("utf-8")
    kwargs = {"resources": "$.spec..containers"} if path.parent.name == "k8s" else {"task": "*"}
    try:
        out = taskpatch.patch_text(text, env=["TP_VAR=1"], overrides=["*.tp_marker=on"], **kwargs)
    except taskpatch.TaskpatchError as exc:
        assert "\n" not in str(exc) or isinstance(exc, taskpatch.PlanErrors)
        return
    assert out != text
    assert taskpatch.patch_text(out, env=["TP_VAR=1"], overrides=["*.tp_marker=on"], **kwargs) == out
    # Every original line is still there, in order: edits only add lines here.
    new_lines = iter(out.splitlines())
    assert all(any(line == n for n in new_lines) for line in text.splitlines())

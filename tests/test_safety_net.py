"""Issue 11: mistakes that used to pass silently are caught at the spec and
the line where they are."""

from __future__ import annotations

import pytest

import taskpatch

TASK = ("resources:\n- name: worker\n  env:\n  - name: A\n    value: '1'\n  resources:\n"
        "    requests: {cpu: 1, memory: 2Gi}\n  nodeSelector: {}\n")


# -- part 2: structure is explicit ------------------------------------------------------

@pytest.mark.parametrize("overrides,message,at,caret", [
    (["worker.resources=big"], "resources is a mapping (requests); setting it to 'big' would drop all of it: "
     "write -s '~worker.resources' first to replace it on purpose", (7, 5), 18),
    (["worker.env=none"], "env is a list of 1 item; setting it to 'none'", (4, 3), 12),
    (["worker.resources.requests=null"], "requests is a mapping (cpu, memory)", (7, 15), 27),
    (["worker.resources.requests.gpu=1", "worker.resources.requests="], "(cpu, memory, gpu)", (7, 15), 27),
    (["worker.extra.a=1", "worker.extra=x"], "extra is a mapping (a)", (2, 3), 14),
])
def test_a_scalar_over_a_collection_is_refused(overrides: list[str], message: str, at: tuple[int, int],
                                               caret: int) -> None:
    with pytest.raises(taskpatch.ValueTypeError) as caught:
        taskpatch.patch_text(TASK, overrides=overrides)
    assert message in caught.value.message
    assert (caught.value.line, caught.value.column) == at
    assert caught.value.spec_column == caret


@pytest.mark.parametrize("overrides,expected", [
    (["~worker.env", "worker.env=none"], TASK.replace("env:\n  - name: A\n    value: '1'\n", "env: none\n")),
    (["worker.nodeSelector=x"], TASK.replace("nodeSelector: {}", "nodeSelector: x")),  # {} holds nothing
    (["~worker.resources.requests", "worker.resources.requests=big"], TASK.replace(
        "{cpu: 1, memory: 2Gi}", "big")),
])
def test_the_explicit_way_replaces_it(overrides: list[str], expected: str) -> None:
    assert taskpatch.patch_text(TASK, overrides=overrides) == expected

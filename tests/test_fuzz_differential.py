"""The differential fuzzer's bounded run, in every suite run (issue 9, part 4).

A fixed range of seeds, so a failure reproduces with
``python -m tests.fuzz --seed S --cases 1``; the long run is
``python -m tests.fuzz --minutes 10``. See tests/fuzz/ for what is
generated and checked.
"""

from __future__ import annotations

import collections
import os

from fuzz.run import run_case

CASES = int(os.environ.get("TASKPATCH_FUZZ_CASES", "4000"))


def test_differential_fuzz() -> None:
    results: collections.Counter[str] = collections.Counter()
    checks: collections.Counter[str] = collections.Counter()
    traits: collections.Counter[str] = collections.Counter()
    failures = []
    for seed in range(CASES):
        outcome = run_case(seed)
        results[outcome.result] += 1
        checks.update(outcome.checks)
        traits.update(outcome.traits)
        if outcome.failure:
            failures.append(outcome.failure)
            if len(failures) == 5:
                break
    assert not failures, "\n\n".join(failures)
    # The run checked something: most cases patch, and every check and every
    # kind of input came up.
    assert results["patched"] > CASES * 0.4, results
    for check in ("meaning", "locality", "idempotence", "cli", "cli refusal"):
        assert checks[check] > CASES * 0.01, (check, checks)
    for trait in ("task", "mlapp", "k8s", "template", "anchors", "aliases", "corrupted", "crlf", "bom", "no final newline",
                  "indentless", "4-space", "render", "documents", "block scalar", "flow", "comments", "explicit key"):
        assert traits[trait] > CASES * 0.01, (trait, traits)

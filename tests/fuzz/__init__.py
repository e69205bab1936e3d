"""The differential fuzzer (issue 9, part 4): random configs in every YAML
style and random specs, checked against an independent model over plain
data. ``tests/test_fuzz_differential.py`` runs a bounded batch in the suite;
``python -m tests.fuzz --minutes 10`` runs a long one."""

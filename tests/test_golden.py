"""Golden cases: whole files compared byte for byte."""

import pytest

import taskpatch

CASES = [
    # (input, overrides, env, args, expected)
    ("resources:\r\n  - name: w\r\n    env: [{name: A, value: x}]\r\n    resources: {}\r\n    args: {a: 1}",
     ["w.resources.requests.cpu=1", "w.args.b=007", "w.replicas=2"], ["B=yes"], [],
     "resources:\r\n  - name: w\r\n    env: [{name: A, value: x}, {name: B, value: 'yes'}]\r\n    resources:\r\n"
     "      requests:\r\n        cpu: 1\r\n    args: {a: 1, b: 7}\r\n    replicas: 2"),
    ("\ufeffresources:\n    -   name: w\n        command: x  # run\n        args: --foo 1\n",
     ["w.command=python t.py"], [], ["w.bar=2"],
     "\ufeffresources:\n    -   name: w\n        command: python t.py  # run\n        args: --foo 1 --bar 2\n"),
    ("resources:\n- name: w\n  cpu: 10\n  s: '1'\n  t: \"x\"\n  u: true\n",
     ["w.cpu=1000m", "w.s=2", "w.t=yes", "w.u=false", "w.v=1:20", "w.w=2024-01-01", "w.x=1e3"], [], [],
     "resources:\n- name: w\n  cpu: 1000m\n  s: '2'\n  t: \"yes\"\n  u: false\n  v: '1:20'\n  w: '2024-01-01'\n"
     "  x: 1000.0\n"),
    ("# top\nresources:\n- name: w   # worker\n  command: >-\n    python a.py\n    --x 1\n\n  # tail\n",
     ["~w.command", "w.image=img"], [], [],
     "# top\nresources:\n- name: w   # worker\n  image: img\n\n  # tail\n"),
    ("resources:\n- name: a\n  env:\n    - name: X\n      value: old   # keep\n---\nresources:\n- name: b\n",
     [], ["X=new"], [],
     "resources:\n- name: a\n  env:\n    - name: X\n      value: new   # keep\n---\nresources:\n- name: b\n  env:\n"
     "  - name: X\n    value: new\n"),
]


@pytest.mark.parametrize("source,overrides,env,args,expected", CASES)
def test_golden(source, overrides, env, args, expected):
    out = taskpatch.patch_text(source, env=env, overrides=overrides, args=args)
    assert out == expected
    assert taskpatch.patch_text(out, env=env, overrides=overrides, args=args) == out

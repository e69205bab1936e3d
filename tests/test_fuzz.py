"""Never a traceback: mutated configs and random specs through the CLI.

Every run must end with exit 0, 1 or 2 (3 is an internal error), and a
refusal is exactly one line (or one per error for several)."""

from __future__ import annotations

import contextlib
import io
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from taskpatch.cli import main

EXAMPLES = sorted((Path(__file__).resolve().parent.parent / "examples").glob("*.yaml"))
TEXTS = [p.read_text() for p in EXAMPLES]
PIECES = list(" \n\t:-{}[]#'\"|>&*!%@`,?~0123456789abxyz") + ["{{", "}}", "{{- end }}", "{{- if .a }}", "\r\n",
                                                               "<<: *a", "&a ", "- name: w\n"]
COMMANDS = [
    ["apply", "{file}", "--task", "*", "-e", "A=1", "-s", "*.resources.requests.cpu=2", "-a", "*.x=1", "--render"],
    ["apply", "{file}", "--resources", "$..containers", "-e", "A=1", "-s", "~*.args", "--copy-aliases"],
    ["plan", "{file}", "--task", "*", "-s", "*.image=z", "--format", "json"],
]


@st.composite
def mutated(draw) -> str:  # type: ignore[no-untyped-def]
    text = draw(st.sampled_from(TEXTS))
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, len(text)))
        if draw(st.booleans()):
            text = text[:at] + draw(st.sampled_from(PIECES)) + text[at:]
        else:
            text = text[:at] + text[at + draw(st.integers(1, 6)) :]
    return text


def _run(argv: list[str]) -> tuple[int, str]:
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.TextIOWrapper(io.BytesIO())):
        try:
            code = main(argv)
        except SystemExit as exc:  # argparse's own errors
            code = int(exc.code or 0)
    return code, err.getvalue()


@given(mutated(), st.sampled_from(COMMANDS))
def test_mutated_configs(tmp_path_factory, text: str, command: list[str]) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path_factory.mktemp("fuzz") / "config.yaml"
    path.write_text(text)
    code, err = _run([arg.format(file=path) for arg in command])
    assert code in (0, 1, 2), err
    assert "Traceback" not in err and "internal error" not in err, err


@given(st.sampled_from(["-e", "-s", "-a"]), st.text(st.sampled_from(list("abcxyz*?[]{}.=~'\"\\:-_ 0123#/,")),
                                                     max_size=14))
def test_random_specs(flag: str, spec: str) -> None:
    code, err = _run(["apply", str(EXAMPLES[0].parent / "task.yaml"), flag, spec, "--render"])
    assert code in (0, 2), err
    if code == 2:
        assert err.count("\n") == 1 and "Traceback" not in err, err

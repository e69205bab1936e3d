"""What every ``--help`` ends with: examples, then the exit codes, as
cobra-built tools (kubectl, gh) show them. Kept in one table so that a
test can check that every subcommand has both and that every example
parses; plain strings, so ``--help`` costs no import."""

from __future__ import annotations

import argparse

_BAD_INPUT = "bad input: a spec, the YAML, a selector, a type, a file (one positioned line each)"
_INTERNAL = "a bug in taskpatch, caught before anything was written (one line; TASKPATCH_DEBUG=1 for the traceback)"
_USUAL = {0: "done", 2: _BAD_INPUT, 3: _INTERNAL}

EPILOGS: dict[str, tuple[tuple[str, ...], dict[int, str]]] = {
    "apply": ((
        "taskpatch apply task.yaml -e MY_VAR=MY-VAL -s '*.resources.requests.cpu=1000m'",
        "taskpatch apply task.yaml -s worker.replicas=3 -a worker.batch-size=23 -i",
        "taskpatch apply mlapp.yaml --task model -s '~worker.args' -O out.yaml",
        "taskpatch apply tfjob.yaml --resources '$.spec.tfReplicaSpecs.*.template.spec.containers' -e LOG_DIR=/tmp",
        "taskpatch apply task.yaml --spec-file prod.tp --check --diff",
        "cat task.yaml | taskpatch apply - -a worker.lr=0.1 --render",
    ), {0: "done (with --check: FILE would not change)", 1: "--check: FILE would change",
        2: _BAD_INPUT, 3: _INTERNAL}),
    "plan": ((
        "taskpatch plan task.yaml -e MY_VAR=MY-VAL -s worker.replicas=3",
        "taskpatch plan mlapp.yaml --task model --spec-file prod.tp --format json",
    ), {0: "printed (nothing to change is exit 0 too)", 2: _BAD_INPUT, 3: _INTERNAL}),
    "build": ((
        "taskpatch build",
        "taskpatch build --check --diff",
        "taskpatch build -f ci/taskpatch.yaml build/task-prod.yaml",
        "taskpatch build --jobs 4 --exit-zero",
    ), {0: "every output was up to date (or rewritten, with --exit-zero)",
        1: "outputs were stale: listed (--check) or rewritten", 2: _BAD_INPUT + ", a bad targets file",
        3: _INTERNAL}),
    "serve": ((
        "taskpatch serve mlapp.yaml --serving serv --task model --build 3 --var model_path=/models/1",
        "taskpatch serve mlapp.yaml --serving serv --task model --info info.json --expand -O serving.yaml",
    ), {0: "done", 2: _BAD_INPUT + ", a variable the command uses that was not given", 3: _INTERNAL}),
    "variants": ((
        "taskpatch variants task.yaml --grid 'worker.lr=0.1,0.01' --grid 'worker.batch_size=16,32' -d sweep/",
        "taskpatch variants task.yaml --grid 'set worker.replicas=1,2,4' --grid 'env LR=0.1,0.01' -d sweep/",
        "taskpatch variants mlapp.yaml --task model --transforms sweep.yaml -d sweep/ --render",
    ), {0: "done", 2: _BAD_INPUT + ", neither --transforms nor --grid", 3: _INTERNAL}),
    "info": ((
        "taskpatch info set build/info.json model_path=$TRAINING_DIR/model checkpoint_path=/ckpt/17",
    ), _USUAL),
    "info set": ((
        "taskpatch info set build/info.json model_path=$TRAINING_DIR/model checkpoint_path=/ckpt/17",
    ), _USUAL),
    "corpus": ((
        "taskpatch corpus ../shared/corpus",
        "taskpatch corpus configs/ --format json",
    ), {0: "the report is printed (a refused file is a row of it, not a failure)",
        2: "DIR is missing or not a folder", 3: _INTERNAL}),
    "validate": ((
        "taskpatch validate task.yaml mlapp.yaml",
        "taskpatch validate deploy.yaml --resources '$.spec.template.spec.containers' --strict --format json",
    ), {0: "nothing found", 2: "findings, or a file that could not be checked", 3: _INTERNAL}),
    "completion": ((
        "taskpatch completion bash > ~/.local/share/bash-completion/completions/taskpatch",
        "taskpatch completion zsh > ~/.zfunc/_taskpatch   # with fpath+=(~/.zfunc) before compinit",
        "taskpatch completion fish > ~/.config/fish/completions/taskpatch.fish",
    ), {0: "printed", 2: "an unknown shell"}),
}


def epilog(command: str) -> str:
    examples, codes = EPILOGS[command]
    return ("examples:\n" + "".join(f"  {line}\n" for line in examples)
            + "\nexit codes:\n" + "".join(f"  {code}  {meaning}\n" for code, meaning in sorted(codes.items())))


def add_epilogs(parser: argparse.ArgumentParser, prefix: str = "") -> None:
    """Every subcommand's help (nested ones too) ends with its examples and
    exit codes, laid out as written."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                sub.epilog = epilog(prefix + name)
                sub.formatter_class = argparse.RawDescriptionHelpFormatter
                add_epilogs(sub, prefix + name + " ")

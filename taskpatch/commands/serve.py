"""``taskpatch serve``: the serving config for a finished task."""

from __future__ import annotations

import argparse

from ..files import read_text
from .common import EXIT_OK, add_template_option, add_verify_option, template_mode, warn, write_output
from .info import parse_pairs

# From a task-info file only the serving variables are taken; other keys
# there (metrics, say) are not meant for the serving job.
INFO_KEYS = ("checkpoint_path", "model_path")


def add_parser(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser("serve", help="build the serving config for a task from an MLApp's spec.serving")
    parser.add_argument("file", metavar="CONFIG", help="the MLApp project file")
    parser.add_argument("--serving", required=True, metavar="NAME", help="the spec.serving entry")
    parser.add_argument("--task", required=True, metavar="NAME", help="the task whose model is served")
    parser.add_argument("--build", metavar="ID", help="the task's build to serve")
    parser.add_argument("--info", metavar="FILE", help="task info JSON (taskpatch info set) with model_path...")
    parser.add_argument("--var", action="append", default=[], metavar="KEY=VALUE",
                        help="a variable for the serving job, e.g. model_path=/models/1 (overrides --info)")
    parser.add_argument("--expand", action="store_true",
                        help="substitute the variables into the command instead of binding them as env")
    parser.add_argument("-O", "--output", metavar="OUT", help="write the result to OUT (atomically; '-' is stdout)")
    add_template_option(parser)
    add_verify_option(parser)
    parser.set_defaults(run=run)


def run(options: argparse.Namespace) -> int:
    from ..serving import serve  # here: every other command starts faster
    from ..taskinfo import read_task_info

    variables: dict[str, str] = {}
    if options.info:
        info = read_task_info(options.info)
        variables.update({k: str(info[k]) for k in INFO_KEYS if k in info})
    given = parse_pairs(options.var, "--var")
    variables.update(given)
    document = serve(read_text(options.file), serving=options.serving, task=options.task, build=options.build,
                     variables=variables, expand=options.expand, path=options.file, template=template_mode(options),
                     verify=options.verify, may_go_unused=set(variables) - set(given))
    for warning in document.warnings:
        warn(warning)
    write_output(options.output, document.text)
    return EXIT_OK

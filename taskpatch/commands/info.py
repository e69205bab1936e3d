"""``taskpatch info set FILE key=value…``: record task info for ``serve``."""

from __future__ import annotations

import argparse

from ..errors import SpecRef, SpecSyntaxError
from .common import EXIT_OK


def add_parser(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser("info", help="record task info (model_path, checkpoint_path...) in a JSON file")
    actions = parser.add_subparsers(dest="action", required=True, parser_class=type(parser), help="the action")
    setter = actions.add_parser("set", help="merge key=value pairs into FILE, atomically")
    setter.add_argument("file", metavar="FILE", help="the JSON file (created, with its folders, if missing)")
    setter.add_argument("pairs", nargs="+", metavar="KEY=VALUE", help="e.g. model_path=$TRAINING_DIR/model")
    setter.set_defaults(run=run)


def parse_pairs(pairs: list[str], label: str) -> dict[str, str]:
    """``key=value`` strings (values verbatim, split at the first ``=``)."""
    from ..spec_parser import ENV_NAME_RE, check_utf8

    data: dict[str, str] = {}
    for pair in pairs:
        check_utf8(pair, SpecRef(pair, label))
        key, sep, value = pair.partition("=")
        if not sep or not ENV_NAME_RE.match(key):
            raise SpecSyntaxError("expected KEY=VALUE with KEY a variable name", spec=SpecRef(pair, label),
                                  spec_column=1 if not ENV_NAME_RE.match(key) else len(pair) + 1)
        data[key] = value
    return data


def run(options: argparse.Namespace) -> int:
    from ..taskinfo import update_task_info  # here: every other command starts faster

    update_task_info(parse_pairs(options.pairs, "info set"), options.file)
    return EXIT_OK

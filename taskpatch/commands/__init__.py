"""One module per subcommand: each has ``add_parser(subparsers)`` and
``run(options) -> int`` (pre-commit-hooks' shape: the exit code is returned,
never raised). ``taskpatch.cli`` assembles them and turns errors into exit 2."""

"""The planner's layers import only the layers below them: no cycles, and
nothing reaches back up (issue 11, part 5)."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "taskpatch"
# Lowest first. A module may import from any module of an earlier layer.
LAYERS = [
    ["values", "typos", "flow"],
    ["overlay"],
    ["walker"],
    ["kinds.env", "kinds.overrides", "kinds.args", "kinds.render"],
    ["planner"],
]
RANK = {module: rank for rank, layer in enumerate(LAYERS) for module in layer}


def _imports(module: str) -> set[str]:
    """The taskpatch modules ``module`` imports (relative or absolute)."""
    path = PACKAGE.joinpath(*module.split(".")).with_suffix(".py")
    package = module.split(".")[:-1]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
                name = ".".join([*base, node.module] if node.module else base)
            elif node.module and node.module.startswith("taskpatch."):
                name = node.module.removeprefix("taskpatch.")
            else:
                continue
            found |= {f"{name}.{a.name}" if f"{name}.{a.name}" in RANK else name for a in node.names}
    return found


def test_every_layer_imports_only_layers_below_it() -> None:
    for module, rank in RANK.items():
        for imported in _imports(module):
            if imported in RANK:
                assert RANK[imported] < rank, f"{module} imports {imported}, which is not below it"


def test_the_check_sees_imports() -> None:
    """The walker uses the overlay, and the planner every kind: the parser above finds them."""
    assert "overlay" in _imports("walker")
    assert {"kinds.env", "kinds.overrides", "kinds.args", "kinds.render", "walker"} <= _imports("planner")

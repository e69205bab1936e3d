"""AST + index -> Plan.

Specs apply in order, and a later spec sees what earlier ones did (see
``overlay``), so one parse serves every spec and the plan is their net
effect. The layers, each importing only those before it:

- ``values``: what a spec's value becomes (typing rules);
- ``overlay``: the pending edits and the slots that read and write them;
- ``walker``: selecting resources, walking paths, the journal, the errors;
- ``kinds/``: what each spec kind does, one module each;
- this module: which kind handles which spec.
"""

from __future__ import annotations

from .kinds.args import plan_args, plan_args_replace
from .kinds.env import plan_env
from .kinds.overrides import plan_set, plan_unset
from .kinds.render import plan_render
from .locate import find_groups
from .plan import Plan
from .spec_ast import (
    ArgsReplace,
    ArgsSpec,
    EnvSpec,
    RenderSpec,
    SetSpec,
    Spec,
    UnsetSpec,
)
from .walker import Handler, Walker
from .yaml_index import YamlIndex

HANDLERS: dict[type, Handler] = {
    EnvSpec: plan_env,
    SetSpec: plan_set,
    UnsetSpec: plan_unset,
    ArgsSpec: plan_args,
    ArgsReplace: plan_args_replace,
    RenderSpec: plan_render,
}


def make_plan(
    index: YamlIndex, specs: list[Spec], *, task: str | None = None, resources: str | None = None,
    file: str | None = None, share_anchors: bool = True,
) -> Plan:
    """Resolve ``specs`` against the indexed text. ``share_anchors``: edit a
    value that aliases share once, when a spec gives every user the edit
    (off where the caller copies aliases instead)."""
    if not specs:
        return Plan((), ())
    groups = find_groups(index, task=task, resources=resources, file=file)
    return Walker(index, groups, file, share_anchors).plan(specs, HANDLERS)

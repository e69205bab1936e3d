"""The library's Document: text in, specs applied, text and data out."""

from __future__ import annotations

import contextlib
import gc
import os
import reprlib
from typing import Any, Iterable, Iterator

from ruamel.yaml.constructor import SafeConstructor

from .applier import Writer, apply_plan
from .errors import PlanErrors, SpecRef, TaskpatchError, UsageError, ValueTypeError
from .files import Snapshot, read_for_save, write_atomic
from .plan import Plan, replacements
from .locate import to_data
from .planner import make_plan
from .values import python_to_new
from .scalars import decimal_int
from .spec_ast import ArgsReplace, RenderSpec, Selector, Span, Spec
from .spec_parser import parse_args, parse_env, parse_override
from .verify import verify_text
from .yaml_index import MAX_DEPTH, Alias, YamlIndex, build_index, split_bom

MAX_ALIAS_COPIES = 16  # rounds of copying; each copies every alias one plan met


@contextlib.contextmanager
def _gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while indexing and planning.

    The index, plan and edits are acyclic, so there is nothing for it to
    find, yet on a big file its generation-2 passes over the hundreds of
    thousands of new nodes cost a third of the run (measured with
    benchmarks/bench_apply.py). Reference counting still frees memory.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


class Document:
    """A YAML text being patched. Each ``apply_*`` call edits ``text`` in place.

    ``task`` picks MLApp tasks (a glob); ``resources`` is a JSONPath to the
    resource lists for other layouts, such as Kubernetes manifests.
    """

    def __init__(self, text: str, *, path: str | None = None, task: str | None = None,
                 resources: str | None = None, template: bool | None = None, copy_aliases: bool = False,
                 verify: bool = True) -> None:
        self.path = path
        self.task = task
        self.resources = resources
        self.template = template  # Go template markup: True, False, or None to detect
        self.copy_aliases = copy_aliases
        # Read every patched text back and check it against the plan before
        # taking it (verify.py); off only when the caller trusts the splicer.
        self.verify = verify
        self._bom, self._body = split_bom(text)
        self._index: YamlIndex | None = None
        self._snapshot: Snapshot | None = None  # what load() read, for save()
        self.warnings: list[str] = []

    @property
    def text(self) -> str:
        return self._bom + self._body

    def save(self, path: str | None = None) -> None:
        """Write ``text`` to ``path``, by default the file ``load()`` read, by
        taskpatch's writing contract (``taskpatch.files.write_atomic``, as
        ``taskpatch apply -i`` and ``-O`` write): a regular file is replaced
        atomically with its mode (and, where allowed, owner) kept, a symlink
        is followed and stays a link, a FIFO or device is written directly,
        and a read-only file is refused. Saving over the file ``load()``
        read is refused when that file changed on disk since: nobody's
        edit is overwritten unseen. Nothing is written on an error.

        Raises ``InputOutputError``; ``UsageError`` when there is no path
        (a document from ``loads()``, or from standard input).
        """
        target = self.path if path is None else path
        if target is None or target == "-":
            raise UsageError("save() needs a path: this document was not loaded from a file")
        snapshot = self._snapshot
        over_the_loaded_file = snapshot is not None and os.path.realpath(target) == os.path.realpath(snapshot.path)
        write_atomic(target, self.text, expect=snapshot if over_the_loaded_file else None)
        if over_the_loaded_file:  # what is there now is ours: the next save() compares with it
            self._snapshot = read_for_save(target)[1]

    def index(self) -> YamlIndex:
        if self._index is None:
            self._index = build_index(self._body, self.path, self.template)
        return self._index

    def plan(self, specs: Iterable[Spec]) -> Plan:
        """What ``specs`` would do, without doing it (``copy_aliases`` may still
        copy anchored values in place in ``text``, as ``apply`` would)."""
        specs = list(specs)
        with _gc_paused():
            return self._plan_copying_aliases(specs) if self.copy_aliases else self._plan_once(specs)

    def _plan_once(self, specs: list[Spec]) -> Plan:
        return make_plan(self.index(), specs, task=self.task, resources=self.resources, file=self.path,
                         share_anchors=not self.copy_aliases)

    def apply(self, specs: Iterable[Spec]) -> Plan:
        specs = list(specs)
        with _gc_paused():
            plan = self.plan(specs)
            self.warnings.extend(plan.warnings)
            if not plan.is_noop:
                index = self.index()
                new_body = apply_plan(index, plan)
                if self.verify:
                    verify_text(index, plan, new_body, self.path)
                if new_body != self._body:
                    self._body, self._index = new_body, None  # indexed again only if used again
            # The changes point into the old index; dropping them here frees it
            # while the collector is paused, instead of leaving hundreds of
            # thousands of young objects for its next pass (30 ms on 600 KB).
            plan = Plan(plan.records, (), plan.warnings)
        return plan

    def _plan_copying_aliases(self, specs: list[Spec]) -> Plan:
        """Plan; where a path goes through an alias, write a copy of the
        anchored value in the alias's place (in flow style) and plan again."""
        for _ in range(MAX_ALIAS_COPIES):
            try:
                return self._plan_once(specs)
            except TaskpatchError as exc:
                errors = exc.errors if isinstance(exc, PlanErrors) else [exc]
                aliases = {id(a): a for a in (getattr(e, "alias", None) for e in errors) if a is not None}
                # An edit inside a shared anchored value is refused only while
                # aliases share it: once they are copies, it is the owner's own.
                others = [e for e in errors if getattr(e, "alias", None) is None and not getattr(e, "shared", False)]
                if not aliases or others or not all(_copyable(a.target) for a in aliases.values()):
                    raise
                self._copy(list(aliases.values()))
        return self._plan_once(specs)

    def _copy(self, aliases: list[Alias]) -> None:
        index = self.index()
        writer = Writer(index)
        body = index.source
        copies = {}
        for alias in aliases:
            try:
                copies[id(alias)] = python_to_new(to_data(alias.target), alias.depth)
            except ValueTypeError:
                raise ValueTypeError(f"a copy of &{alias.anchor} here would nest collections more than {MAX_DEPTH} "
                                     "levels deep", file=self.path, line=alias.line + 1,
                                     column=alias.column + 1) from None
        for alias in sorted(aliases, key=lambda a: a.start, reverse=True):
            body = body[: alias.start] + writer.flow(copies[id(alias)]) + body[alias.end :]
        if self.verify:  # the copies, read back, are the anchored values where the aliases were
            verify_text(index, Plan((), replacements(index, aliases, copies)), body, self.path)
        self._body, self._index = body, None

    # -- the mlboardclient-shaped API -----------------------------------------------
    def apply_env(self, envs: Iterable[str]) -> Plan:
        """``task.apply_env(['MY_VAR=MY-VAL', 'SOME_VAR=expression=22'])``."""
        return self.apply([parse_env(e, "apply_env()") for e in envs])

    def apply_resource_overrides(self, overrides: Iterable[str]) -> Plan:
        """``['*.resources.requests.cpu=1000m', 'worker.replicas=3']``; ``~SEL.PATH`` deletes."""
        return self.apply([parse_override(o, "apply_resource_overrides()") for o in overrides])

    def apply_args(self, specs: Iterable[str]) -> Plan:
        """``['worker.batch-size=23']`` sets one argument; ``'worker=RAW'`` the whole string."""
        return self.apply([parse_args(a, "apply_args()") for a in specs])

    def set_args(self, selector: str, args: Any) -> Plan:
        """Set a resource's ``args`` to a dict, list or string, as the seed's examples do."""
        source = SpecRef(f"{selector}={_SHORT.repr(args)}", "set_args()")
        quoted = not any(c in selector for c in "*?[")
        spec = ArgsReplace(source, Selector(selector, quoted, Span(0, len(selector))), args)
        return self.apply([spec])

    def render(self, style: str = "task") -> Plan:
        """Fold ``args`` into ``command`` and drop ``args``, as ``task.start()`` did
        (``style="serving"`` writes ``--k=v``, as serving jobs did)."""
        return self.apply([render_spec(style)])

    @property
    def data(self) -> Any:
        """The first (usually only) document of the result, as plain data."""
        documents = self.documents
        return documents[0] if documents else None

    @property
    def documents(self) -> list[Any]:
        from ruamel.yaml import YAML

        # A template is not YAML until rendered: read its masked form, where
        # each `{{ }}` action stands as underscores (or a comment line).
        index = self.index()
        yaml = YAML(typ="safe", pure=False)
        yaml.Constructor = _Constructor
        yaml.allow_duplicate_keys = index.template is not None  # one key per {{ if }} branch: the last wins
        return list(yaml.load_all(index.text if index.template else self._body))


class _ShortRepr(reprlib.Repr):
    """``set_args()`` values as errors quote them: short, at any depth, and
    with an int too long for ``repr()`` (see ``BigInt``) named, not raising."""

    def repr_int(self, x: int, level: int) -> str:
        try:
            return super().repr_int(x, level)
        except ValueError:
            return f"<{x.bit_length()}-bit int>"


_SHORT = _ShortRepr()


class _Constructor(SafeConstructor):
    """ruamel's safe constructor, except that an int too long for ``int()``
    is a ``BigInt`` (as taskpatch reads it) instead of a ``ValueError``."""

    def construct_yaml_int(self, node: Any) -> Any:
        try:
            return super().construct_yaml_int(node)
        except ValueError:  # the digit limit: ruamel's regex already matched the text
            return decimal_int(node.value.replace("_", ""))


_Constructor.add_constructor("tag:yaml.org,2002:int", _Constructor.construct_yaml_int)


def _copyable(node: Any) -> bool:
    """Can this anchored value be written out as plain data (no aliases inside)?"""
    if node is None or isinstance(node, Alias):
        return False
    children = getattr(node, "values", None) or getattr(node, "items", None) or []
    return all(_copyable(child) for child in children)


def render_spec(style: str = "task") -> RenderSpec:
    """The spec ``--render`` adds after all others."""
    if style not in ("task", "serving"):
        raise ValueError(f"render style is 'task' or 'serving', not {style!r}")
    return RenderSpec(SpecRef("--render" if style == "task" else "--render=serving", ""), style)


def load(path: str, *, task: str | None = None, resources: str | None = None, template: bool | None = None,
         copy_aliases: bool = False, verify: bool = True) -> Document:
    """The YAML file at ``path`` (``-``: standard input) as a ``Document``
    to patch; the keywords are those of ``loads()``. ``doc.save()`` writes
    the result back, refusing if the file changed on disk since this read.
    Raises ``InputOutputError`` when the file cannot be read, and
    ``YamlSyntaxError`` when it is not UTF-8."""
    text, snapshot = read_for_save(path)
    document = Document(text, path=path, task=task, resources=resources, template=template,
                        copy_aliases=copy_aliases, verify=verify)
    document._snapshot = snapshot
    return document


def loads(text: str, *, task: str | None = None, resources: str | None = None, template: bool | None = None,
          copy_aliases: bool = False, verify: bool = True, path: str | None = None) -> Document:
    """``text`` as a ``Document`` to patch. Nothing is parsed until a spec is
    applied or ``data`` is read, so errors come from those.

    - ``task``: the MLApp task(s) to patch, a name or a glob; needed when
      an MLApp has several tasks.
    - ``resources``: a JSONPath to the resource lists, for layouts other
      than a task config or an MLApp (``$.spec.template.spec.containers``).
    - ``template``: whether ``{{ }}`` is Go template markup; ``None``
      detects it (``{{`` in the text).
    - ``copy_aliases``: where a path goes through ``*alias``, write a copy
      of the anchored value there and edit the copy, instead of refusing.
    - ``verify``: read every patched text back and check it against the
      plan before taking it (a mismatch raises ``VerificationError``).
    - ``path``: the name errors give for the text (default ``<input>``).
    """
    return Document(text, path=path, task=task, resources=resources, template=template, copy_aliases=copy_aliases,
                    verify=verify)


def patch_text(text: str, env: Iterable[str] = (), overrides: Iterable[str] = (), args: Iterable[str] = (),
               render: bool = False, task: str | None = None, resources: str | None = None,
               template: bool | None = None, copy_aliases: bool = False, verify: bool = True) -> str:
    """Apply env, override and args specs in one pass; return the new text
    (read back and checked against the plan first, unless ``verify=False``)."""
    specs: list[Spec] = [parse_env(e, "env") for e in env]
    specs += [parse_override(o, "overrides") for o in overrides]
    specs += [parse_args(a, "args") for a in args]
    if render:
        specs.append(render_spec())
    document = Document(text, task=task, resources=resources, template=template, copy_aliases=copy_aliases,
                        verify=verify)
    document.apply(specs)
    return document.text

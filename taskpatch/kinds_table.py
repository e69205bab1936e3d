"""The table of well-known kinds (``kinds_table.json``): where the
containers of a Deployment, a TFJob, an Argo Workflow... are, as JSONPaths.

The table is data, one entry per kind (its ``$comment`` describes the
fields); ``locate`` runs its paths as it runs ``--resources``. It is read on
first use, which only a document that is no task config and no MLApp ever
asks for. JSON, not YAML: ``json`` reads it in 0.03 ms, ruamel's safe loader
in 1.7 ms, a cost every run on a manifest would pay.
"""

from __future__ import annotations

import functools
import json
import os
from dataclasses import dataclass

# Plain os.path, as spec_parser finds its tables: importlib.resources would
# add ~5 ms to every run, task configs' included.
TABLE_FILE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "kinds_table.json")


@dataclass(frozen=True)
class KindEntry:
    project: str  # "Kubernetes", "Kubeflow", "Katib", "Volcano", "Argo"
    kind: str
    groups: tuple[str, ...]  # API groups of its apiVersion; "" is the core group (`apiVersion: v1`)
    containers: tuple[str, ...]  # JSONPaths of container lists or single containers
    init_containers: tuple[str, ...]  # patched only through --resources
    embedded: str  # a JSONPath to a manifest inside this one, found by its own entry ("" for none)
    note: str  # why the entry is as it is ("" for nothing to say)

    @property
    def name(self) -> str:
        """``Deployment``, ``Volcano Job``: Kubernetes' own kinds go bare."""
        return self.kind if self.project == "Kubernetes" else f"{self.project} {self.kind}"


@functools.cache
def entries() -> tuple[KindEntry, ...]:
    with open(TABLE_FILE, encoding="utf-8") as handle:
        rows = json.load(handle)["kinds"]
    return tuple(
        KindEntry(row["project"], row["kind"], tuple(row["groups"]), tuple(row.get("containers", ())),
                  tuple(row.get("initContainers", ())), row.get("embedded", ""), row.get("note", ""))
        for row in rows
    )


@functools.cache
def _by_group_and_kind() -> dict[tuple[str, str], KindEntry]:
    return {(group, entry.kind): entry for entry in entries() for group in entry.groups}


def api_group(api_version: str) -> str:
    """``apps/v1`` → ``apps``; ``v1`` → ``""`` (the core group)."""
    return api_version.rpartition("/")[0]


def lookup(api_version: str | None, kind: str | None) -> KindEntry | None:
    """The entry for a manifest's ``apiVersion`` and ``kind``, if the table has one."""
    if not isinstance(api_version, str) or not isinstance(kind, str):
        return None
    return _by_group_and_kind().get((api_group(api_version), kind))


def groups_of(kind: str) -> list[str]:
    """The API groups the table knows ``kind`` in (to say why another group's is unknown)."""
    return [group or "core" for entry in entries() if entry.kind == kind for group in entry.groups]


def known_names() -> str:
    """Every entry's name, in the table's order, for error messages."""
    return ", ".join(entry.name for entry in entries())

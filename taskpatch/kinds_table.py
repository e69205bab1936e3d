"""The table of well-known kinds (``kinds_table.yaml``): where the
containers of a Deployment, a TFJob, an Argo Workflow... are, as JSONPaths.

The table is data, one entry per kind; ``locate`` runs its paths as it runs
``--resources``. It is read on first use, which only a document that is no
task config and no MLApp ever asks for.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from importlib import resources as package_files


@dataclass(frozen=True)
class KindEntry:
    project: str  # "Kubernetes", "Kubeflow", "Katib", "Volcano", "Argo"
    kind: str
    groups: tuple[str, ...]  # API groups of its apiVersion; "" is the core group (`apiVersion: v1`)
    containers: tuple[str, ...]  # JSONPaths of container lists or single containers
    init_containers: tuple[str, ...]  # patched only through --resources
    embedded: str  # a JSONPath to a manifest inside this one, found by its own entry ("" for none)

    @property
    def name(self) -> str:
        """``Deployment``, ``Volcano Job``: Kubernetes' own kinds go bare."""
        return self.kind if self.project == "Kubernetes" else f"{self.project} {self.kind}"


@functools.cache
def entries() -> tuple[KindEntry, ...]:
    from ruamel.yaml import YAML

    text = (package_files.files(__package__) / "kinds_table.yaml").read_text(encoding="utf-8")
    return tuple(
        KindEntry(row["project"], row["kind"], tuple(row["groups"]), tuple(row.get("containers", ())),
                  tuple(row.get("initContainers", ())), row.get("embedded", ""))
        for row in YAML(typ="safe", pure=False).load(text)
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

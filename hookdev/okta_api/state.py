"""What `okta connect` changed in each org, kept beside the store, so `disconnect` undoes exactly that."""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from hookdev.okta_api.hooks import HookType


def state_file(store_path: Path) -> Path:
    return store_path.with_name(store_path.name + ".okta.json")


@dataclass(slots=True)
class Entry:
    """One hook hookdev connected: made by it, or adopted (with what it was before)."""

    type: HookType
    kind: str
    made: bool
    fingerprint: str = ""
    previous: dict[str, Any] | None = None
    """For an adopted hook: its status, name and URI before hookdev changed it."""
    connected: bool = True


@dataclass(slots=True)
class OrgState:
    url: str = ""
    """The public URL hooks were last pointed at."""
    hooks: dict[str, Entry] = field(default_factory=dict)

    def find(self, kind: str, *, adopted: bool = False) -> str | None:
        """The id of the hook hookdev made (or, with adopted, adopted) for this kind, if any."""
        return next((hook_id for hook_id, e in self.hooks.items() if e.kind == kind and (e.made or adopted)), None)


class State:
    """The state file: one OrgState per org URL; written 0600 after every change, so a failure loses nothing."""

    def __init__(self, path: Path, orgs: dict[str, OrgState] | None = None) -> None:
        self.path = path
        self.orgs = orgs or {}

    @classmethod
    def load(cls, path: Path) -> State:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return cls(path)
        orgs: dict[str, OrgState] = {}
        for org, item in (data.get("orgs") or {}).items() if isinstance(data, dict) else ():
            try:
                hooks = {hook_id: Entry(**entry) for hook_id, entry in (item.get("hooks") or {}).items()}
            except TypeError:
                continue  # written by another version: start afresh for that org
            orgs[org] = OrgState(url=str(item.get("url", "")), hooks=hooks)
        return cls(path, orgs)

    def org(self, org_url: str) -> OrgState:
        return self.orgs.setdefault(org_url, OrgState())

    def save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        data = {"orgs": {org: {"url": s.url, "hooks": {k: asdict(e) for k, e in s.hooks.items()}}
                         for org, s in self.orgs.items()}}
        tmp = self.path.with_name(self.path.name + f".{os.getpid()}.tmp")
        fd = os.open(tmp, os.O_CREAT | os.O_WRONLY | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(data, fh, indent=1)
        os.replace(tmp, self.path)

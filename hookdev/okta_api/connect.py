"""Point the org's hooks at this hookdev (connect), list them (status), and undo exactly what connect did."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from hookdev.config import Settings
from hookdev.errors import ConfigError, OktaError
from hookdev.loopback import is_loopback_host
from hookdev.okta.kinds import kind_named
from hookdev.okta_api.client import OktaClient
from hookdev.okta_api.hooks import HOOK_KINDS, HOOK_PATHS, Hook, HookType, Wanted, api_path, hook_name, wanted
from hookdev.okta_api.state import Entry, State, state_file


def parse_kinds(text: str | tuple[str, ...], key: str) -> list[str]:
    """Kinds from `--kinds token,registration` or [okta] kinds; the hyphenated names and aliases work too."""
    items = text.split(",") if isinstance(text, str) else list(text)
    kinds: list[str] = []
    for item in items:
        if not item.strip():
            continue
        kind = kind_named(item) or item.strip()  # either spelling, or an alias (pw-import)
        if kind not in HOOK_KINDS:
            raise ConfigError(key, f"{item.strip()!r} is not a hook kind; use {', '.join(HOOK_KINDS)}")
        if kind not in kinds:
            kinds.append(kind)
    return kinds


def kinds_in_use(settings: Settings, explicit: str | None, recorded: Mapping[str, str]) -> list[str]:
    """The hooks to connect: --kinds, else [okta] kinds, else the kinds the store has calls of (+ event hook)."""
    if explicit:
        return parse_kinds(explicit, "--kinds")
    if settings.okta.kinds:
        return parse_kinds(settings.okta.kinds, "okta.kinds")
    kinds: list[str] = [k for k in HOOK_KINDS if k in recorded and k != "event"]
    wants_events = "event" in recorded or "event_verification" in recorded or bool(settings.okta.events)
    if wants_events and settings.auth.mode != "oauth":
        kinds.append("event")
    if not kinds:
        raise ConfigError("--kinds", "no hook calls recorded yet, so hookdev can't tell which hooks you use: say "
                                     "which, e.g. --kinds token,registration (or [okta] kinds in hookdev.toml)")
    return kinds


def check_public_url(url: str | None, org_base: str, *, running: bool) -> str:
    """The URL Okta will call: https and public, or loopback when the org itself is a local double."""
    if not url:
        where = "the serve running on this store has no tunnel" if running else "no serve is running on this store"
        raise ConfigError("--url", f"Okta can't reach 127.0.0.1 and {where}: start `hookdev serve --tunnel`, "
                                   "or pass --url https://your-public-host")
    parts = urlsplit(url)
    local_org = is_loopback_host(urlsplit(org_base).hostname)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError("--url", f"{url!r} is not a URL like https://abc.ngrok.app")
    if is_loopback_host(parts.hostname) and not local_org:
        raise ConfigError("--url", f"Okta can't reach {parts.hostname}: start `hookdev serve --tunnel`, or pass "
                                   "the tunnel's public URL")
    if parts.scheme != "https" and not local_org:
        raise ConfigError("--url", f"{url} is plain http: Okta calls hooks over https:// only")
    return url.rstrip("/")


def hook_uri(kind: str, base: str, recorded: Mapping[str, str]) -> str:
    """Where a kind's hook points: the path calls of that kind came to, else the usual one."""
    path = recorded.get(kind) or (recorded.get("event_verification") if kind == "event" else None)
    return base + (path or HOOK_PATHS[kind])


@dataclass(frozen=True, slots=True)
class Change:
    """One line of connect or disconnect: what was done to which hook."""

    action: str
    """connect: created, updated, unchanged; disconnect: deactivated, restored, unchanged, gone."""
    type: HookType
    id: str
    kind: str
    name: str
    uri: str
    status: str
    verified: bool | None = None
    """Event hooks: whether Okta's verification GET got its challenge back; None for inline hooks."""
    note: str = ""

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"action": self.action, "type": self.type, "id": self.id, "kind": self.kind,
                               "name": self.name, "uri": self.uri, "status": self.status, "verified": self.verified}
        if self.note:
            out["note"] = self.note
        return out


async def list_hooks(client: OktaClient, types: tuple[HookType, ...] = ("inline", "event")) -> list[Hook]:
    hooks: list[Hook] = []
    for hook_type in types:
        hooks += [Hook.from_okta(hook_type, item) for item in await client.get_all(api_path(hook_type))]
    return hooks


def _pick(kind: str, hook_type: HookType, hooks: list[Hook], known: str | None, adopt: bool) -> Hook | None:
    same = [h for h in hooks if h.type == hook_type and h.kind == kind]
    mine = next((h for h in same if h.id == known), None) or next((h for h in same if h.name == hook_name(kind)), None)
    if mine is not None or not adopt:
        return mine
    # --adopt: the org's own hook of this kind; the active one first, then the one most recently changed.
    return max(same, key=lambda h: (h.status == "ACTIVE", str(h.raw.get("lastUpdated", ""))), default=None)


async def connect(
    client: OktaClient, settings: Settings, state: State, *, base: str, kinds: list[str],
    recorded: Mapping[str, str], adopt: bool = False,
) -> AsyncIterator[Change]:
    """Create or update one hook per kind, activate it, verify event hooks; yields each change as it is made."""
    org = state.org(client.base)
    targets = [wanted(settings, kind, hook_uri(kind, base, recorded), base) for kind in kinds]
    types = tuple(dict.fromkeys(t.type for t in targets))
    hooks = await list_hooks(client, types)
    org.url = base
    state.save()
    for target in targets:
        yield await _connect_one(client, state, target, hooks, adopt)


async def _connect_one(client: OktaClient, state: State, target: Wanted, hooks: list[Hook], adopt: bool) -> Change:
    org = state.org(client.base)
    path = api_path(target.type)
    found = _pick(target.kind, target.type, hooks, org.find(target.kind, adopted=adopt), adopt)
    entry = org.hooks.get(found.id) if found else None
    if found is None:
        hook = Hook.from_okta(target.type, (await client.call("POST", path, body=target.create)).data)
        action = "created"
        entry = org.hooks[hook.id] = Entry(target.type, target.kind, made=True)
    else:
        if entry is None:  # first connect of this hook: remember what it was, to put it back on disconnect
            made = found.name == hook_name(target.kind)
            previous = None if made else {"status": found.status, "name": found.name, "uri": found.uri}
            entry = org.hooks[found.id] = Entry(target.type, target.kind, made=made, previous=previous)
        same = entry.fingerprint == target.fingerprint and target.matches(found)
        hook = found
        action = "unchanged"
        if not same:
            body = target.replace if entry.made else {**target.replace, "name": found.name}
            hook = Hook.from_okta(target.type, (await client.call("PUT", f"{path}/{found.id}", body=body)).data)
            action = "updated"
    entry.fingerprint, entry.connected = target.fingerprint, True
    state.save()
    if hook.status != "ACTIVE":
        hook = Hook.from_okta(target.type, (await client.call("POST", f"{path}/{hook.id}/lifecycle/activate")).data)
    verified: bool | None = None
    note = "" if entry.made else f"adopted {found.name!r}; disconnect puts it back" if found else ""
    if target.type == "event":
        verified = hook.verification == "VERIFIED" and action == "unchanged"
        if not verified:
            try:
                hook = Hook.from_okta("event", (await client.call("POST", f"{path}/{hook.id}/lifecycle/verify")).data)
                verified = hook.verification == "VERIFIED"
            except OktaError as exc:
                verified, note = False, str(exc)
    return Change(action, target.type, hook.id, target.kind, hook.name, hook.uri, hook.status, verified, note)


async def disconnect(client: OktaClient, settings: Settings, state: State) -> AsyncIterator[Change]:
    """Deactivate the hooks hookdev made and put adopted ones back as they were; yields each change."""
    org = state.org(client.base)
    for hook_id, entry in list(org.hooks.items()):
        if not entry.connected:
            continue
        path = f"{api_path(entry.type)}/{hook_id}"
        try:
            hook = Hook.from_okta(entry.type, (await client.call("GET", path)).data)
        except OktaError as exc:
            if exc.status != 404:
                raise
            del org.hooks[hook_id]
            state.save()
            yield Change("gone", entry.type, hook_id, entry.kind, "", "", "", note="no longer in the org")
            continue
        change = await (_restore(client, settings, org.url, hook, entry) if entry.previous
                        else _deactivate(client, hook))
        entry.connected = False
        state.save()
        yield change


async def _deactivate(client: OktaClient, hook: Hook) -> Change:
    action = "unchanged"
    if hook.status == "ACTIVE":
        path = f"{api_path(hook.type)}/{hook.id}/lifecycle/deactivate"
        hook = Hook.from_okta(hook.type, (await client.call("POST", path)).data)
        action = "deactivated"
    return Change(action, hook.type, hook.id, hook.kind, hook.name, hook.uri, hook.status)


async def _restore(client: OktaClient, settings: Settings, base: str, hook: Hook, entry: Entry) -> Change:
    """An adopted hook gets its URI, name and status back; its secret stays hookdev's (Okta never returns one)."""
    previous = entry.previous or {}
    target = wanted(settings, entry.kind, str(previous.get("uri") or hook.uri), base or hook.uri)
    body = {**target.replace, "name": str(previous.get("name") or hook.name)}
    path = f"{api_path(hook.type)}/{hook.id}"
    hook = Hook.from_okta(hook.type, (await client.call("PUT", path, body=body)).data)
    if previous.get("status") == "INACTIVE" and hook.status == "ACTIVE":
        hook = Hook.from_okta(hook.type, (await client.call("POST", f"{path}/lifecycle/deactivate")).data)
    note = ("its URI and status are back; its credentials are still the ones hookdev set (Okta never shows "
            "secrets back): set the original secret again in the Admin Console")
    return Change("restored", hook.type, hook.id, hook.kind, hook.name, hook.uri, hook.status, note=note)


def state_for(store_path: Path) -> State:
    return State.load(state_file(store_path))


def recorded_paths(store_path: Path) -> dict[str, str]:
    """Kind -> the path its calls came to, from the store file (nothing when there is none yet); blocking."""
    if not store_path.exists():
        return {}
    from hookdev.receiver.store import Store

    opened = Store(store_path)
    try:
        return opened.kind_paths()
    finally:
        opened.close()

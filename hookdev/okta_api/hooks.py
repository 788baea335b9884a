"""Inline and event hook objects as Okta's Management API has them, and the ones hookdev registers."""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass, field
from typing import Any, Literal

from hookdev.config import DEFAULT_EVENTS, Settings
from hookdev.errors import ConfigError
from hookdev.models import INLINE_KINDS
from hookdev.okta.kinds import EVENT_TYPE_OF, EVENT_TYPES

HookType = Literal["inline", "event"]
CHANNEL_VERSION = "1.0.0"
HOOK_KINDS: tuple[str, ...] = (*INLINE_KINDS, "event")
HOOK_PATHS = {
    "registration": "/registrationHook",
    "token": "/tokenHook",
    "saml": "/samlHook",
    "telephony": "/telephonyHook",
    "password_import": "/passwordImport",
    "user_import": "/userImport",
    "event": "/eventHook",
}
"""Where each kind's hook points when the store has no call of that kind yet (the paths of Okta's guides)."""
INLINE_TYPE: dict[str, str] = {str(kind): event_type for kind, event_type in EVENT_TYPE_OF.items()}
INLINE_PATH = "/api/v1/inlineHooks"
EVENT_PATH = "/api/v1/eventHooks"


def _obj(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def hook_name(kind: str) -> str:
    return f"hookdev {kind}"


def api_path(hook_type: HookType) -> str:
    return INLINE_PATH if hook_type == "inline" else EVENT_PATH


@dataclass(frozen=True, slots=True)
class Hook:
    """A hook as the org has it (secrets are never returned by Okta)."""

    type: HookType
    id: str
    name: str
    kind: str
    """hookdev's kind: token, registration, ... or event; unknown for an inline type hookdev does not know."""
    status: str
    uri: str
    channel_type: str = "HTTP"
    verification: str | None = None
    events: tuple[str, ...] = ()
    raw: dict[str, Any] = field(default_factory=dict, repr=False)

    @classmethod
    def from_okta(cls, hook_type: HookType, data: dict[str, Any]) -> Hook:
        channel = _obj(data.get("channel"))
        config = _obj(channel.get("config"))
        if hook_type == "inline":
            kind = EVENT_TYPES.get(str(data.get("type")), "unknown")
            events: tuple[str, ...] = ()
        else:
            kind = "event"
            events = tuple(str(x) for x in _obj(data.get("events")).get("items") or [])
        return cls(
            type=hook_type,
            id=str(data.get("id", "")),
            name=str(data.get("name", "")),
            kind=kind,
            status=str(data.get("status", "")),
            uri=str(config.get("uri", "")),
            channel_type=str(channel.get("type", "HTTP")),
            verification=data.get("verificationStatus") if hook_type == "event" else None,
            events=events,
            raw=data,
        )

    def points_at(self, base_url: str | None) -> bool:
        return bool(base_url) and (self.uri == base_url or self.uri.startswith(str(base_url).rstrip("/") + "/"))

    def to_json(self, base_url: str | None) -> dict[str, Any]:
        out: dict[str, Any] = {"type": self.type, "id": self.id, "name": self.name, "kind": self.kind,
                               "status": self.status, "uri": self.uri, "points_here": self.points_at(base_url)}
        if self.type == "event":
            out["verification"] = self.verification
            out["events"] = list(self.events)
        return out


@dataclass(frozen=True, slots=True)
class Wanted:
    """A hook as hookdev wants it: the body to send (with its secret) and a fingerprint of it."""

    type: HookType
    kind: str
    uri: str
    create: dict[str, Any] = field(repr=False)
    replace: dict[str, Any] = field(repr=False)
    events: tuple[str, ...] = ()

    @property
    def fingerprint(self) -> str:
        """Changes whenever anything sent changes, secrets included (Okta never shows them back)."""
        return hashlib.sha256(json.dumps(self.create, sort_keys=True).encode()).hexdigest()[:32]

    def matches(self, hook: Hook) -> bool:
        """What Okta shows of the hook agrees with this one."""
        channel = self.create["channel"]
        return (hook.uri == self.uri and hook.channel_type == channel["type"]
                and (self.type == "inline" or hook.events == self.events))


def _header_scheme(settings: Settings) -> dict[str, str] | None:
    auth = settings.auth
    if auth.mode == "basic":
        raw = base64.b64encode(f"{auth.username}:{auth.password}".encode()).decode()
        return {"type": "HEADER", "key": "Authorization", "value": f"Basic {raw}"}
    if auth.mode == "header":
        return {"type": "HEADER", "key": auth.header, "value": auth.secret}
    return None


def _oauth_config(settings: Settings, uri: str, public_base: str) -> dict[str, Any]:
    """Okta's OAuth 2.0 channel: Okta fetches a token and calls with it; the receiver verifies it."""
    auth, server = settings.auth, settings.authserver
    local = not auth.issuer and server.mount
    client_id = auth.send_client_id or auth.client_id or (server.clients[0].client_id if server.clients else "")
    if not client_id:
        raise ConfigError("auth.client_id", "oauth mode: say which client Okta gets tokens as ([auth] client_id)")
    if auth.token_url:
        token_url = auth.token_url
    elif auth.issuer:
        token_url = auth.issuer.rstrip("/") + "/v1/token"
    elif local:
        token_url = public_base.rstrip("/") + server.path.rstrip("/") + "/v1/token"  # the tunnel's, Okta's way in
    else:
        raise ConfigError("auth.token_url", "oauth mode: say where Okta gets its tokens ([auth] token_url)")
    config: dict[str, Any] = {"uri": uri, "method": "POST", "headers": [], "clientId": client_id,
                              "tokenUrl": token_url}
    scope = auth.scope or (server.scopes[0] if local and server.scopes else "")
    if scope:
        config["scope"] = scope
    if settings.okta.hook_key_id:
        config.update(authType="private_key_jwt", hookKeyId=settings.okta.hook_key_id)
        return config
    registered = next((c for c in server.clients if c.client_id == client_id), None)
    secret = auth.client_secret or (registered.client_secret if registered and local else "")
    if not secret:
        raise ConfigError("auth.client_secret", f"oauth mode: Okta needs the secret of client {client_id!r} "
                                                "([auth] client_secret), or [okta] hook_key_id for private_key_jwt")
    config.update(authType="client_secret_post", clientSecret=secret)
    return config


def wanted(settings: Settings, kind: str, uri: str, public_base: str) -> Wanted:
    """The hook for one kind pointing at uri, with the auth the receiver checks."""
    if kind == "event":
        scheme = _header_scheme(settings)
        if settings.auth.mode == "oauth":
            raise ConfigError("auth.mode", "event hooks can't use OAuth 2.0 (Okta sends them a header secret), "
                                           "and the receiver in oauth mode would refuse them: use basic or header "
                                           "mode, or leave event out of the kinds")
        events = settings.okta.events or DEFAULT_EVENTS
        config: dict[str, Any] = {"uri": uri, "headers": []}
        if scheme:
            config["authScheme"] = scheme
        body = {"name": hook_name(kind), "events": {"type": "EVENT_TYPE", "items": list(events)},
                "channel": {"type": "HTTP", "version": CHANNEL_VERSION, "config": config}}
        return Wanted("event", kind, uri, body, body, tuple(events))
    if settings.auth.mode == "oauth":
        channel = {"type": "OAUTH", "version": CHANNEL_VERSION, "config": _oauth_config(settings, uri, public_base)}
    else:
        config = {"uri": uri, "method": "POST", "headers": []}
        scheme = _header_scheme(settings)
        if scheme:
            config["authScheme"] = scheme
        channel = {"type": "HTTP", "version": CHANNEL_VERSION, "config": config}
    replace = {"name": hook_name(kind), "version": CHANNEL_VERSION, "channel": channel}
    create = {**replace, "type": INLINE_TYPE[kind]}
    return Wanted("inline", kind, uri, create, replace)

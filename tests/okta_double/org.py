"""The state of a local double of an Okta org: hooks, System Log, credentials, rate limits and injected faults.

It checks hook objects field for field against Okta's Management API (InlineHook, EventHook, their channels)
and refuses what Okta refuses, with Okta's error objects. Plain http hook URIs are accepted on loopback only,
so tests can point hooks at a receiver on 127.0.0.1 (the real org takes https only).
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

INLINE_TYPES = (
    "com.okta.import.transform", "com.okta.oauth2.tokens.transform", "com.okta.saml.tokens.transform",
    "com.okta.telephony.provider", "com.okta.user.credential.password.import", "com.okta.user.pre-registration",
)
MAX_INLINE = 50
"""createInlineHook: "The total number of inline hooks that you can create in an Okta org is limited to 50"."""
MAX_ACTIVE_EVENT = 25
"""developer.okta.com/docs/concepts/event-hooks: "a maximum of 25 active and verified event hooks"."""
SCOPE_OF = {"inlineHooks": "okta.inlineHooks", "eventHooks": "okta.eventHooks", "logs": "okta.logs"}


class ApiError(Exception):
    """An Okta error object with its HTTP status."""

    def __init__(self, status: int, code: str, summary: str, causes: list[str] | None = None,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(summary)
        self.status, self.code, self.summary = status, code, summary
        self.causes = causes or []
        self.headers = headers or {}

    def body(self) -> dict[str, Any]:
        return {"errorCode": self.code, "errorSummary": self.summary, "errorLink": self.code,
                "errorId": "oae" + secrets.token_urlsafe(16), "errorCauses": [{"errorSummary": c} for c in self.causes]}


def invalid(summary: str, *causes: str) -> ApiError:
    return ApiError(400, "E0000001", f"Api validation failed: {summary}", list(causes))


def not_found(what: str) -> ApiError:
    return ApiError(404, "E0000007", f"Not found: Resource not found: {what} (InlineHook)")


def now_iso(epoch: float | None = None) -> str:
    moment = datetime.fromtimestamp(time.time() if epoch is None else epoch, UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def new_id(prefix: str) -> str:
    alphabet = "abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ0123456789"
    return prefix + "".join(secrets.choice(alphabet) for _ in range(17))


def loopback(host: str | None) -> bool:
    return host in ("127.0.0.1", "localhost", "::1")


def check_uri(uri: Any, where: str) -> None:
    if not isinstance(uri, str) or not uri or any(c.isspace() for c in uri) or len(uri) > 1024:
        raise invalid(where, f"{where}: The URI is not valid")
    parts = urlsplit(uri)
    if not (parts.scheme == "https" or (parts.scheme == "http" and loopback(parts.hostname))):
        raise invalid(where, f"{where}: The URI must begin with https://")


def only_keys(obj: Any, allowed: set[str], where: str) -> dict[str, Any]:
    if not isinstance(obj, dict):
        raise invalid(where, f"{where}: must be an object")
    unknown = set(obj) - allowed
    if unknown:
        raise invalid(where, f"{where}: unknown property {sorted(unknown)[0]!r}")
    return obj


def check_headers(headers: Any, where: str) -> list[dict[str, str]]:
    if headers is None:
        return []
    if not isinstance(headers, list):
        raise invalid(where, f"{where}.headers: must be a list")
    for item in headers:
        only_keys(item, {"key", "value"}, f"{where}.headers[]")
    return list(headers)


def check_scheme(scheme: Any, where: str) -> dict[str, str] | None:
    if scheme is None:
        return None
    only_keys(scheme, {"type", "key", "value"}, f"{where}.authScheme")
    if scheme.get("type") != "HEADER":
        raise invalid(where, f"{where}.authScheme.type: only HEADER is supported")
    if not scheme.get("key") or not isinstance(scheme.get("value"), str) or not scheme["value"]:
        raise invalid(where, f"{where}.authScheme: key and value are required")
    return {"type": "HEADER", "key": scheme["key"], "value": scheme["value"]}


@dataclass
class Hook:
    """An inline or event hook as the org keeps it, secrets included (they never go back out)."""

    kind: str  # "inline" or "event"
    id: str
    name: str
    type: str  # the inline hook type, or "" for event hooks
    channel: dict[str, Any]
    events: list[str] = field(default_factory=list)
    status: str = "ACTIVE"
    verification: str = "UNVERIFIED"
    created: str = field(default_factory=now_iso)
    updated: str = field(default_factory=now_iso)

    @property
    def uri(self) -> str:
        return str(self.channel["config"]["uri"])

    def public(self, base: str) -> dict[str, Any]:
        """The hook as the API shows it: no secret values, the header scheme in lower case as Okta returns it."""
        config = {k: v for k, v in self.channel["config"].items() if k not in ("clientSecret",)}
        scheme = config.get("authScheme")
        if isinstance(scheme, dict):
            config["authScheme"] = {"type": "header", "key": str(scheme["key"]).lower()}
        elif self.channel["type"] == "OAUTH":
            config["authScheme"] = None
        channel = {"type": self.channel["type"], "version": self.channel["version"], "config": config}
        here = f"{base}/api/v1/{'inlineHooks' if self.kind == 'inline' else 'eventHooks'}/{self.id}"
        links = {"self": {"href": here}, "deactivate": {"href": here + "/lifecycle/deactivate"}}
        out: dict[str, Any] = {"id": self.id, "status": self.status, "name": self.name, "created": self.created,
                               "lastUpdated": self.updated, "channel": channel, "_links": links}
        if self.kind == "inline":
            out.update(type=self.type, version="1.0.0")
            out["_links"]["execute"] = {"href": here + "/execute"}
        else:
            out.update(events={"type": "EVENT_TYPE", "items": self.events, "filter": None},
                       verificationStatus=self.verification, description=None, createdBy="00uadmin")
            out["_links"]["verify"] = {"href": here + "/lifecycle/verify"}
        return out


def _http_channel(config: dict[str, Any]) -> dict[str, Any]:
    return {"type": "HTTP", "version": "1.0.0",
            "config": {"uri": config["uri"], "method": "POST",
                       "headers": check_headers(config.get("headers"), "channel.config"),
                       "authScheme": check_scheme(config.get("authScheme"), "channel.config")}}


def inline_channel(channel: Any) -> dict[str, Any]:
    """An InlineHookChannelCreate checked field for field."""
    only_keys(channel, {"type", "version", "config"}, "channel")
    if channel.get("version") != "1.0.0":
        raise invalid("channel", "channel.version: the only supported version is 1.0.0")
    kind = channel.get("type")
    if kind == "HTTP":
        config = only_keys(channel.get("config"), {"uri", "method", "headers", "authScheme"}, "channel.config")
        check_uri(config.get("uri"), "channel.config.uri")
        if config.get("method", "POST") != "POST":
            raise invalid("channel", "channel.config.method: must be POST")
        return _http_channel(config)
    if kind == "OAUTH":
        config = only_keys(channel.get("config"), {"uri", "method", "headers", "authType", "clientId", "clientSecret",
                                                   "tokenUrl", "scope", "hookKeyId", "authScheme"}, "channel.config")
        check_uri(config.get("uri"), "channel.config.uri")
        check_uri(config.get("tokenUrl"), "channel.config.tokenUrl")
        if config.get("authScheme") is not None:
            raise invalid("channel", "channel.config.authScheme: must be null for OAuth 2.0")
        if not config.get("clientId"):
            raise invalid("channel", "channel.config.clientId: required")
        auth_type = config.get("authType")
        if auth_type == "client_secret_post" and not config.get("clientSecret"):
            raise invalid("channel", "channel.config.clientSecret: required for client_secret_post")
        if auth_type == "private_key_jwt" and not config.get("hookKeyId"):
            raise invalid("channel", "channel.config.hookKeyId: required for private_key_jwt")
        if auth_type not in ("client_secret_post", "private_key_jwt"):
            raise invalid("channel", "channel.config.authType: client_secret_post or private_key_jwt")
        headers = check_headers(config.get("headers"), "channel.config")
        return {"type": "OAUTH", "version": "1.0.0", "config": {**config, "method": "POST", "headers": headers}}
    raise invalid("channel", "channel.type: HTTP or OAUTH")


def event_channel(channel: Any) -> dict[str, Any]:
    """An EventHookChannel checked field for field (HEADER auth only; method is read-only)."""
    only_keys(channel, {"type", "version", "config"}, "channel")
    if channel.get("type") != "HTTP" or channel.get("version") != "1.0.0":
        raise invalid("channel", "channel: type HTTP and version 1.0.0 are required")
    config = only_keys(channel.get("config"), {"uri", "headers", "authScheme"}, "channel.config")
    check_uri(config.get("uri"), "channel.config.uri")
    return _http_channel(config)


def event_types(events: Any) -> list[str]:
    only_keys(events, {"type", "items", "filter"}, "events")
    items = events.get("items")
    if events.get("type") != "EVENT_TYPE" or not isinstance(items, list) or not items:
        raise invalid("events", "events: type EVENT_TYPE and a non-empty items list are required")
    if len(items) > 300 or not all(isinstance(i, str) for i in items):
        raise invalid("events", "events.items: at most 300 event type names")
    return list(items)


@dataclass
class ServiceApp:
    client_id: str
    public_key: Any
    scopes: set[str]
    require_dpop: bool = False


@dataclass
class Org:
    """Everything the double knows and every fault a test can inject into it."""

    base: str = ""
    token: str = ""
    """A valid SSWS API token of a super admin."""
    api_tokens: set[str] = field(default_factory=set)
    limited_tokens: set[str] = field(default_factory=set)
    """API tokens of an admin without the rights to manage hooks: 403 E0000006."""
    apps: dict[str, ServiceApp] = field(default_factory=dict)
    issued: dict[str, tuple[set[str], str | None]] = field(default_factory=dict)
    """Access token -> (scopes, DPoP key thumbprint or None)."""
    assertion_kids: list[str | None] = field(default_factory=list)
    """The kid of each client assertion the token endpoint was given."""
    dpop_nonce: str = field(default_factory=lambda: secrets.token_urlsafe(12))
    hooks: dict[str, Hook] = field(default_factory=dict)
    log: list[dict[str, Any]] = field(default_factory=list)
    page_size: int = 20
    throttle: int = 0
    """The next N API calls answer 429 with X-Rate-Limit-Reset one second ahead."""
    requests: list[tuple[str, str, float, str]] = field(default_factory=list)
    """(method, path with query, time, Authorization scheme) of every API call, in order."""
    calls: list[dict[str, Any]] = field(default_factory=list)
    """Every call the org made to a hook: method, uri, headers, status, body."""
    times_429: list[float] = field(default_factory=list)
    remaining: int | None = None
    """When set, answers say this many calls are left in a window that resets at the next second (else 99 of a
    minute's)."""
    hook_timeout: float = 3.0

    def hooks_of(self, kind: str) -> list[Hook]:
        return [h for h in self.hooks.values() if h.kind == kind]

    def get(self, kind: str, hook_id: str) -> Hook:
        hook = self.hooks.get(hook_id)
        if hook is None or hook.kind != kind:
            raise not_found(hook_id)
        return hook

    def record(self, event_type: str, hook: Hook | None, request_id: str, *, outcome: str = "SUCCESS",
               reason: str | None = None, debug: dict[str, Any] | None = None, message: str = "") -> dict[str, Any]:
        """A System Log event as Okta writes it."""
        target = [{"id": hook.id, "type": "InlineHook" if hook.kind == "inline" else "EventHook",
                   "alternateId": "unknown", "displayName": hook.name, "detailEntry": None}] if hook else []
        event = {
            "actor": {"id": "00uadmin", "type": "User", "alternateId": "admin@example.com",
                      "displayName": "Org Admin", "detailEntry": None},
            "client": {"userAgent": {"rawUserAgent": "hookdev-test", "os": "Unknown", "browser": "UNKNOWN"},
                       "zone": None, "device": "Unknown", "id": None, "ipAddress": "127.0.0.1",
                       "geographicalContext": None},
            "authenticationContext": {"authenticationProvider": None, "credentialProvider": None,
                                      "credentialType": None, "issuer": None, "interface": None,
                                      "authenticationStep": 0, "externalSessionId": "trs" + request_id[:10]},
            "displayMessage": message or event_type.replace("_", " ").replace(".", " "),
            "eventType": event_type,
            "outcome": {"result": outcome, "reason": reason},
            "published": now_iso(),
            "securityContext": {"asNumber": None, "asOrg": None, "isp": None, "domain": None, "isProxy": None},
            "severity": "INFO" if outcome == "SUCCESS" else "WARN",
            "debugContext": {"debugData": {"requestId": request_id, "requestUri": "/api/v1", **(debug or {})}},
            "legacyEventType": None,
            "transaction": {"type": "WEB", "id": request_id, "detail": {}},
            "uuid": secrets.token_hex(16),
            "version": "0",
            "request": {"ipChain": [{"ip": "127.0.0.1", "geographicalContext": None, "version": "V4", "source": None}]},
            "target": target,
        }
        self.log.append(event)
        return event

"""The double's Management API: hooks CRUD and lifecycle, execute, verify, System Log, auth, rate limits, paging."""

from __future__ import annotations

import base64
import hashlib
import json
import re
import secrets
import time
from datetime import datetime
from email.utils import formatdate
from typing import Any
from urllib.parse import quote, urlencode

import jwt
from aiohttp import web
from multidict import CIMultiDict

from tests.okta_double import outbound
from tests.okta_double.org import (
    INLINE_TYPES,
    MAX_ACTIVE_EVENT,
    MAX_INLINE,
    SCOPE_OF,
    ApiError,
    Hook,
    Org,
    event_channel,
    event_types,
    inline_channel,
    invalid,
    new_id,
    now_iso,
    only_keys,
)

ORG = web.AppKey("org", Org)
_FILTER_PART = re.compile(r'^\s*eventType\s+(eq|sw)\s+"([^"]+)"\s*$')


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def thumbprint(jwk: dict[str, Any]) -> str:
    """RFC 7638 thumbprint of a public JWK."""
    members = ("crv", "kty", "x", "y") if jwk.get("kty") == "EC" else ("e", "kty", "n")
    canonical = json.dumps({k: jwk[k] for k in members}, separators=(",", ":"), sort_keys=True)
    return _b64(hashlib.sha256(canonical.encode()).digest())


def dpop_claims(proof: str | None, method: str, url: str) -> tuple[dict[str, Any], str]:
    """A DPoP proof's claims and key thumbprint, or an ApiError-worthy ValueError."""
    if not proof:
        raise ValueError("The DPoP proof JWT header is missing.")
    header = jwt.get_unverified_header(proof)
    jwk = header.get("jwk")
    if header.get("typ") != "dpop+jwt" or not isinstance(jwk, dict) or "d" in jwk:
        raise ValueError("The DPoP proof JWT header is malformed.")
    key = jwt.PyJWK.from_dict(jwk)
    claims = jwt.decode(proof, key.key, algorithms=[str(header.get("alg"))])
    if claims.get("htm") != method or claims.get("htu") != url:
        raise ValueError("The DPoP proof does not match the request.")
    return claims, thumbprint(jwk)


def _error(err: ApiError, rid: str) -> web.Response:
    return web.json_response(err.body(), status=err.status, headers={"X-Okta-Request-Id": rid, **err.headers})


def _rate_headers(remaining: int, reset: int) -> dict[str, str]:
    return {"X-Rate-Limit-Limit": "100", "X-Rate-Limit-Remaining": str(remaining),
            "X-Rate-Limit-Reset": str(reset), "Date": formatdate(usegmt=True)}


@web.middleware
async def api_middleware(request: web.Request, handler: Any) -> web.StreamResponse:
    org = request.app[ORG]
    rid = secrets.token_hex(12)
    request["rid"] = rid
    if not request.path.startswith("/api/v1/"):
        return await handler(request)
    scheme = request.headers.get("Authorization", "").partition(" ")[0]
    org.requests.append((request.method, request.path_qs, time.time(), scheme))
    if org.throttle > 0:
        org.throttle -= 1
        org.times_429.append(time.time())
        err = ApiError(429, "E0000047", "API call exceeded rate limit due to too many requests.",
                       headers=_rate_headers(0, int(time.time()) + 1))
        return _error(err, rid)
    try:
        _authorize(org, request)
        response = await handler(request)
    except ApiError as err:
        response = _error(err, rid)
    response.headers["X-Okta-Request-Id"] = rid
    if org.remaining is None:
        response.headers.update(_rate_headers(99, int(time.time()) + 60))
    else:
        response.headers.update(_rate_headers(org.remaining, int(time.time()) + 1))
    return response


def _authorize(org: Org, request: web.Request) -> None:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme == "SSWS" and token in org.api_tokens:
        return
    if scheme == "SSWS" and token in org.limited_tokens:
        raise ApiError(403, "E0000006", "You do not have permission to perform the requested action")
    issued = org.issued.get(token) if scheme in ("Bearer", "DPoP") else None
    if issued is None:
        raise ApiError(401, "E0000011", "Invalid token provided",
                       headers={"WWW-Authenticate": 'Bearer error="invalid_token"'} if scheme != "SSWS" else {})
    scopes, jkt = issued
    if jkt is not None:
        try:
            url = f"{org.base}{request.path}"
            claims, print_ = dpop_claims(request.headers.get("DPoP"), request.method, url)
        except (ValueError, jwt.PyJWTError) as exc:
            raise ApiError(401, "E0000011", "Invalid token provided",
                           headers={"WWW-Authenticate": f'DPoP error="invalid_dpop_proof", error_description="{exc}"'}
                           ) from None
        if scheme != "DPoP" or print_ != jkt or claims.get("ath") != _b64(hashlib.sha256(token.encode()).digest()):
            raise ApiError(401, "E0000011", "Invalid token provided",
                           headers={"WWW-Authenticate": 'DPoP error="invalid_dpop_proof"'})
    resource = request.path.split("/")[3]
    base = SCOPE_OF.get(resource, "okta.other")
    needed = {f"{base}.read", f"{base}.manage"} if request.method == "GET" and resource != "logs" else {
        f"{base}.read" if resource == "logs" else f"{base}.manage"}
    if not scopes & needed:
        raise ApiError(403, "E0000006", "You do not have permission to perform the requested action",
                       headers={"WWW-Authenticate": 'Bearer error="insufficient_scope", error_description="The access '
                                                    'token provided does not contain the required scopes."'})


# -- the service app token endpoint ---------------------------------------------------------------------------
async def token(request: web.Request) -> web.Response:
    org = request.app[ORG]
    form = await request.post()
    token_url = f"{org.base}/oauth2/v1/token"

    def refuse(error: str, description: str, status: int = 400, **headers: str) -> web.Response:
        return web.json_response({"error": error, "error_description": description}, status=status, headers=headers)

    if form.get("grant_type") != "client_credentials":
        return refuse("unsupported_grant_type", "The authorization grant type is not supported.")
    assertion = str(form.get("client_assertion", ""))
    try:
        org.assertion_kids.append(jwt.get_unverified_header(assertion).get("kid"))
        client_id = jwt.decode(assertion, options={"verify_signature": False}).get("iss")
        app = org.apps[client_id]
        claims = jwt.decode(assertion, app.public_key, algorithms=["RS256"], audience=token_url, issuer=client_id)
        if claims.get("sub") != client_id:
            raise jwt.InvalidTokenError("sub")
    except (KeyError, jwt.PyJWTError):
        return refuse("invalid_client", "The client_assertion signature is invalid.", 401)
    scopes = set(str(form.get("scope", "")).split())
    if not scopes or not scopes <= app.scopes:
        return refuse("invalid_scope", f"The following scopes are not allowed: {' '.join(sorted(scopes - app.scopes))}")
    jkt: str | None = None
    if app.require_dpop:
        try:
            proof, jkt = dpop_claims(request.headers.get("DPoP"), "POST", token_url)
        except (ValueError, jwt.PyJWTError) as exc:
            return refuse("invalid_dpop_proof", str(exc))
        if proof.get("nonce") != org.dpop_nonce:
            return refuse("use_dpop_nonce", "Authorization server requires nonce in DPoP proof.",
                          **{"DPoP-Nonce": org.dpop_nonce})
    access = secrets.token_urlsafe(32)
    org.issued[access] = (scopes, jkt)
    return web.json_response({"token_type": "DPoP" if jkt else "Bearer", "expires_in": 3600,
                              "access_token": access, "scope": " ".join(sorted(scopes))})


# -- paging ---------------------------------------------------------------------------------------------------
def _page(request: web.Request, items: list[Any], key: Any, *, polling: bool = False) -> web.Response:
    org = request.app[ORG]
    after = request.query.get("after")
    limit = min(int(request.query.get("limit", "100") or 100), 1000, org.page_size)
    start = 0
    if after:
        ids = [key(x) for x in items]
        start = ids.index(after) + 1 if after in ids else len(items)
    page = items[start:start + limit]
    more = start + limit < len(items)
    # Okta sends each link as a header of its own: `link: <...>; rel="self"` then `link: <...>; rel="next"`.
    headers = CIMultiDict([("Link", f'<{org.base}{request.path_qs}>; rel="self"')])
    if more or polling:
        cursor = key(page[-1]) if page else after
        query = {k: v for k, v in request.query.items() if k != "after"}
        if cursor:
            query["after"] = cursor
        headers.add("Link", f'<{org.base}{request.path}?{urlencode(query, quote_via=quote)}>; rel="next"')
    return web.json_response(page, headers=headers)


# -- inline hooks ---------------------------------------------------------------------------------------------
async def _body(request: web.Request) -> Any:
    try:
        return await request.json()
    except ValueError:
        raise ApiError(400, "E0000003", "The request body was not well-formed.") from None


def _name(body: dict[str, Any]) -> str:
    name = body.get("name")
    if not isinstance(name, str) or not 1 <= len(name) <= 255:
        raise invalid("name", "name: The field cannot be left blank")
    return name


def _check_singletons(org: Org, hook: Hook) -> None:
    others = [h for h in org.hooks_of("inline") if h.id != hook.id and h.type == hook.type]
    if hook.type == "com.okta.user.credential.password.import" and others:
        raise invalid("inlineHook", "Only one password import inline hook is allowed per org.")
    if hook.type == "com.okta.telephony.provider" and hook.status == "ACTIVE" and any(
            h.status == "ACTIVE" for h in others):
        raise invalid("inlineHook", "Only one active telephony inline hook is allowed per org.")


async def list_inline(request: web.Request) -> web.Response:
    org = request.app[ORG]
    wanted = request.query.get("type")
    hooks = [h.public(org.base) for h in org.hooks_of("inline") if not wanted or h.type == wanted]
    return _page(request, hooks, lambda h: h["id"])


async def create_inline(request: web.Request) -> web.Response:
    org = request.app[ORG]
    body = only_keys(await _body(request), {"name", "type", "version", "channel"}, "inlineHook")
    if body.get("type") not in INLINE_TYPES:
        raise invalid("type", "type: not a supported inline hook type")
    if body.get("version", "1.0.0") != "1.0.0":
        raise invalid("version", "version: the only supported version is 1.0.0")
    if len(org.hooks_of("inline")) >= MAX_INLINE:
        raise invalid("inlineHook", f"The maximum number of inline hooks ({MAX_INLINE}) has been reached.")
    hook = Hook("inline", new_id("cal"), _name(body), body["type"], inline_channel(body.get("channel")))
    _check_singletons(org, hook)
    org.hooks[hook.id] = hook
    org.record("inline_hook.created", hook, request["rid"])
    return web.json_response(hook.public(org.base))


async def get_hook(request: web.Request) -> web.Response:
    org = request.app[ORG]
    kind = "inline" if request.path.startswith("/api/v1/inlineHooks") else "event"
    return web.json_response(org.get(kind, request.match_info["id"]).public(org.base))


async def replace_inline(request: web.Request) -> web.Response:
    org = request.app[ORG]
    hook = org.get("inline", request.match_info["id"])
    body = only_keys(await _body(request), {"name", "version", "channel"}, "inlineHook")
    hook.name, hook.channel, hook.updated = _name(body), inline_channel(body.get("channel")), now_iso()
    org.record("inline_hook.updated", hook, request["rid"])
    return web.json_response(hook.public(org.base))


async def lifecycle(request: web.Request) -> web.Response:
    org = request.app[ORG]
    kind = "inline" if request.path.startswith("/api/v1/inlineHooks") else "event"
    hook = org.get(kind, request.match_info["id"])
    action = request.match_info["action"]
    prefix = "inline_hook" if kind == "inline" else "event_hook"
    if action == "activate":
        if kind == "event" and sum(h.status == "ACTIVE" and h.verification == "VERIFIED"
                                   for h in org.hooks_of("event") if h.id != hook.id) >= MAX_ACTIVE_EVENT:
            raise invalid("eventHook", f"The maximum number of active event hooks ({MAX_ACTIVE_EVENT}) is reached.")
        hook.status = "ACTIVE"
        if kind == "inline":
            _check_singletons(org, hook)
        org.record(f"{prefix}.activated", hook, request["rid"])
    elif action == "deactivate":
        hook.status = "INACTIVE"
        org.record(f"{prefix}.deactivated", hook, request["rid"])
    elif action == "verify" and kind == "event":
        if hook.status != "ACTIVE":
            raise invalid("eventHook", "Only an active event hook can be verified.")
        await outbound.verify(org, hook, request["rid"])
    else:
        raise ApiError(404, "E0000022", "The endpoint does not support the provided HTTP method")
    return web.json_response(hook.public(org.base))


async def delete_hook(request: web.Request) -> web.Response:
    org = request.app[ORG]
    kind = "inline" if request.path.startswith("/api/v1/inlineHooks") else "event"
    hook = org.get(kind, request.match_info["id"])
    if hook.status != "INACTIVE":
        raise invalid("hook", "Only an INACTIVE hook can be deleted.")
    del org.hooks[hook.id]
    org.record(f"{'inline_hook' if kind == 'inline' else 'event_hook'}.deleted", hook, request["rid"])
    return web.Response(status=204)


async def execute(request: web.Request) -> web.Response:
    org = request.app[ORG]
    hook = org.get("inline", request.match_info["id"])
    status, answer = await outbound.execute(org, hook, await _body(request), request["rid"])
    return web.Response(status=204) if status == 204 else web.json_response(answer)


# -- event hooks ----------------------------------------------------------------------------------------------
async def list_event(request: web.Request) -> web.Response:
    org = request.app[ORG]
    return _page(request, [h.public(org.base) for h in org.hooks_of("event")], lambda h: h["id"])


async def create_event(request: web.Request) -> web.Response:
    org = request.app[ORG]
    body = only_keys(await _body(request), {"name", "events", "channel", "description"}, "eventHook")
    hook = Hook("event", new_id("who"), _name(body), "", event_channel(body.get("channel")),
                events=event_types(body.get("events")))
    org.hooks[hook.id] = hook
    org.record("event_hook.created", hook, request["rid"])
    return web.json_response(hook.public(org.base))


async def replace_event(request: web.Request) -> web.Response:
    org = request.app[ORG]
    hook = org.get("event", request.match_info["id"])
    body = only_keys(await _body(request), {"name", "events", "channel", "description"}, "eventHook")
    channel = event_channel(body.get("channel"))
    if channel != hook.channel:
        hook.verification = "UNVERIFIED"  # a new channel must be verified again
    hook.name, hook.events, hook.updated = _name(body), event_types(body.get("events")), now_iso()
    hook.channel = channel
    org.record("event_hook.updated", hook, request["rid"])
    return web.json_response(hook.public(org.base))


# -- System Log -----------------------------------------------------------------------------------------------
def _when(text: str | None, default: float) -> float:
    if not text:
        return default
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()
    except ValueError:
        raise ApiError(400, "E0000030", f"Invalid date. Dates must be of the form yyyy-MM-dd'T'HH:mm:ss.SSSZZ, "
                                        f"e.g. 2013-01-01T12:00:00.000-07:00: {text}") from None


def _filter(text: str | None) -> Any:
    if not text:
        return lambda event: True
    parts = []
    for clause in text.split(" or "):
        found = _FILTER_PART.match(clause)
        if not found:
            raise ApiError(400, "E0000031", "Invalid search criteria.", [f"Unsupported filter: {clause.strip()}"])
        parts.append((found.group(1), found.group(2)))
    return lambda e: any(e["eventType"] == v if op == "eq" else e["eventType"].startswith(v) for op, v in parts)


async def logs(request: web.Request) -> web.Response:
    org = request.app[ORG]
    now = time.time()
    since = _when(request.query.get("since"), now - 7 * 86400)
    until = _when(request.query.get("until"), now + 1)
    keep = _filter(request.query.get("filter"))
    events = [e for e in org.log if since <= _when(e["published"], 0) <= until and keep(e)]
    if request.query.get("sortOrder") == "DESCENDING":
        events.reverse()
    return _page(request, events, lambda e: e["uuid"], polling="until" not in request.query)


def create_app(org: Org) -> web.Application:
    app = web.Application(middlewares=[api_middleware])
    app[ORG] = org
    r = app.router
    r.add_post("/oauth2/v1/token", token)
    r.add_get("/api/v1/inlineHooks", list_inline)
    r.add_post("/api/v1/inlineHooks", create_inline)
    r.add_get("/api/v1/inlineHooks/{id}", get_hook)
    r.add_put("/api/v1/inlineHooks/{id}", replace_inline)
    r.add_delete("/api/v1/inlineHooks/{id}", delete_hook)
    r.add_post("/api/v1/inlineHooks/{id}/execute", execute)
    r.add_post("/api/v1/inlineHooks/{id}/lifecycle/{action}", lifecycle)
    r.add_get("/api/v1/eventHooks", list_event)
    r.add_post("/api/v1/eventHooks", create_event)
    r.add_get("/api/v1/eventHooks/{id}", get_hook)
    r.add_put("/api/v1/eventHooks/{id}", replace_event)
    r.add_delete("/api/v1/eventHooks/{id}", delete_hook)
    r.add_post("/api/v1/eventHooks/{id}/lifecycle/{action}", lifecycle)
    r.add_get("/api/v1/logs", logs)
    return app

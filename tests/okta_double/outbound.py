"""The calls the double org makes to hooks, as Okta makes them: verification GET, execute POST, deliveries."""

from __future__ import annotations

import json
import secrets
import time
from typing import Any

import aiohttp

from tests.okta_double.org import ApiError, Hook, Org, invalid

INLINE_AGENT = "Okta-Integrations"


async def _auth_headers(org: Org, hook: Hook, http: aiohttp.ClientSession) -> dict[str, str]:
    """The hook's configured headers and credentials: its header secret, or a token fetched as Okta does."""
    config = hook.channel["config"]
    headers = {str(h["key"]): str(h["value"]) for h in config.get("headers") or []}
    if hook.channel["type"] == "HTTP":
        scheme = config.get("authScheme")
        if scheme:
            headers[scheme["key"]] = scheme["value"]
        return headers
    if config["authType"] != "client_secret_post":
        raise invalid("channel", "this double signs no private_key_jwt assertions")
    form = {"grant_type": "client_credentials", "client_id": config["clientId"],
            "client_secret": config["clientSecret"]}
    if config.get("scope"):
        form["scope"] = config["scope"]
    try:
        async with http.post(config["tokenUrl"], data=form, timeout=aiohttp.ClientTimeout(total=org.hook_timeout)) as r:
            data = await r.json(content_type=None)
            status = r.status
    except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
        raise invalid("execute", f"Could not get an access token from {config['tokenUrl']}: {exc}") from None
    if status != 200 or "access_token" not in data:
        raise invalid("execute", f"The token endpoint {config['tokenUrl']} refused the client: HTTP {status}")
    headers["Authorization"] = f"Bearer {data['access_token']}"
    return headers


async def _call(org: Org, hook: Hook, method: str, body: bytes | None, extra: dict[str, str],
                request_id: str, *, retry_4xx: bool = False) -> tuple[int | None, bytes, str]:
    """One call, retried once after a timeout or a 5xx (any error answer for verification); (status, body, error)."""
    async with aiohttp.ClientSession() as http:
        headers = {"Accept": "application/json", "Content-Type": "application/json", "User-Agent": INLINE_AGENT,
                   "X-Okta-Request-Id": request_id, **extra, **await _auth_headers(org, hook, http)}
        status: int | None = None
        raw, error = b"", ""
        for _ in range(2):
            started = time.monotonic()
            try:
                async with http.request(method, hook.uri, data=body, headers=headers, allow_redirects=False,
                                        timeout=aiohttp.ClientTimeout(total=org.hook_timeout)) as resp:
                    status, raw = resp.status, await resp.read()
            except TimeoutError:
                status, error = None, f"no answer within {org.hook_timeout:g} s"
            except aiohttp.ClientError as exc:
                status, error = None, f"connection failed: {exc}"
            org.calls.append({"method": method, "uri": hook.uri, "headers": headers, "status": status, "body": raw,
                              "ms": (time.monotonic() - started) * 1000})
            if status is not None and (status < 400 or (status < 500 and not retry_4xx)):
                break
        return status, raw, error


async def verify(org: Org, hook: Hook, request_id: str) -> None:
    """The one-time verification: GET with a challenge that must come back in {"verification": ...}."""
    challenge = secrets.token_urlsafe(24)
    status, raw, error = await _call(org, hook, "GET", None, {"X-Okta-Verification-Challenge": challenge}, request_id,
                                     retry_4xx=True)
    try:
        echoed = json.loads(raw).get("verification") if status == 200 else None
    except (ValueError, AttributeError):
        echoed = None
    if echoed != challenge:
        why = error or (f"the endpoint answered HTTP {status}" if status != 200 else "the challenge did not come back")
        org.record("event_hook.verified", hook, request_id, outcome="FAILURE", reason=why)
        raise invalid("Verification", f"Verification of the event hook failed: {why}")
    hook.verification = "VERIFIED"
    org.record("event_hook.verified", hook, request_id)


async def execute(org: Org, hook: Hook, payload: Any, request_id: str) -> tuple[int, Any]:
    """POST the payload through the hook's channel and give back its answer, or Okta's 400."""
    if not isinstance(payload, dict) or payload.get("eventType") != hook.type:
        raise invalid("payloadData", f"The payload's eventType must be {hook.type}")
    status, raw, error = await _call(org, hook, "POST", json.dumps(payload).encode(), {}, request_id)
    if status is None or not 200 <= status < 300:
        why = error or f"The external service responded with HTTP {status}"
        org.record("inline_hook.executed", hook, request_id, outcome="FAILURE", reason=why)
        raise ApiError(400, "E0000001", "Api validation failed: inline hook execution", [why])
    try:
        answer = json.loads(raw) if raw.strip() else None
    except ValueError:
        org.record("inline_hook.executed", hook, request_id, outcome="FAILURE", reason="malformed response")
        raise ApiError(400, "E0000001", "Api validation failed: inline hook execution",
                       ["The external service's response is not JSON"]) from None
    org.record("inline_hook.executed", hook, request_id)
    if isinstance(answer, dict) and ("error" in answer or "debugContext" in answer):
        org.record("inline_hook.response.processed", hook, request_id,
                   outcome="FAILURE" if "error" in answer else "SUCCESS",
                   debug={"debugContext": answer.get("debugContext"), "error": answer.get("error")})
    return status, answer


async def deliver(org: Org, event_type: str) -> None:
    """A lifecycle event in the org, delivered to every active, verified event hook subscribed to it."""
    request_id = secrets.token_hex(12)
    event = org.record(event_type, None, request_id, message=f"{event_type} happened")
    for hook in org.hooks_of("event"):
        if hook.status != "ACTIVE" or hook.verification != "VERIFIED" or event_type not in hook.events:
            continue
        body = {"eventType": "com.okta.event_hook", "eventTypeVersion": "1.0", "cloudEventsVersion": "0.1",
                "source": f"{org.base}/api/v1/eventHooks/{hook.id}", "eventId": secrets.token_hex(16),
                "data": {"events": [event]}, "eventTime": event["published"], "contentType": "application/json"}
        agent = {"User-Agent": f"Okta Hook Service v1.0.0 - {hook.id}"}
        # Captured deliveries carry the request id of the event they deliver, while the System Log writes
        # event_hook.delivery in a job of its own: only the hook and the time link that entry to the call.
        delivery_id = secrets.token_hex(12)
        status, _, error = await _call(org, hook, "POST", json.dumps(body).encode(), agent, request_id)
        ok = status is not None and 200 <= status < 300
        org.record("event_hook.delivery", hook, delivery_id, outcome="SUCCESS" if ok else "FAILURE",
                   reason=None if ok else error or f"HTTP {status}")

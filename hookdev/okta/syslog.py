"""Okta System Log events about hooks, and which recorded call each one is about (pure, no I/O)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from hookdev import jsontext
from hookdev.models import Exchange

HOOK_EVENTS_FILTER = 'eventType sw "inline_hook." or eventType sw "event_hook."'
"""The System Log filter for what Okta logs about hooks (executed, response.processed, delivery, verified...)."""
HOOK_TARGETS = ("InlineHook", "EventHook")
CALL_EVENTS = ("inline_hook.executed", "inline_hook.response.processed", "event_hook.delivery", "event_hook.verified")
"""Events about one call Okta made to a hook (the rest are about the hook's lifecycle: created, activated...)."""
MATCH_BEFORE_S = 5.0
MATCH_AFTER_S = 60.0
"""How far an event's `published` may be from its call when only the hook id links them (the log lags)."""
_HOOK_ID_IN_URL = re.compile(r"/api/v1/(?:inline|event)Hooks/([A-Za-z0-9]+)")
_AGENT_HOOK_ID = re.compile(r"Okta Hook Service v[\d.]+ - ([A-Za-z0-9]+)")


def is_hook_event(event: Mapping[str, Any]) -> bool:
    return str(event.get("eventType", "")).startswith(("inline_hook.", "event_hook."))


def published(event: Mapping[str, Any]) -> float | None:
    """The event's `published` time as epoch seconds."""
    value = event.get("published")
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


def _debug_data(event: Mapping[str, Any]) -> Mapping[str, Any]:
    context = event.get("debugContext")
    data = context.get("debugData") if isinstance(context, Mapping) else None
    return data if isinstance(data, Mapping) else {}


def request_id(event: Mapping[str, Any]) -> str | None:
    """The id of the Okta request the event is part of (debugContext.debugData.requestId)."""
    value = _debug_data(event).get("requestId")
    return value if isinstance(value, str) and value else None


def hook_ids(event: Mapping[str, Any]) -> set[str]:
    """The inline or event hooks the event is about (its targets of type InlineHook or EventHook)."""
    ids = {str(t["id"]) for t in event.get("target") or [] if isinstance(t, Mapping) and t.get("type") in HOOK_TARGETS
           and t.get("id")}
    return ids


@dataclass(frozen=True, slots=True)
class Call:
    """What links a recorded exchange to Okta's log: its time, Okta's request id, and the hook that made it."""

    exchange_id: str
    time: float
    request_id: str | None
    hook_id: str | None


def call_of(exchange: Exchange, hook_by_kind: Mapping[str, str]) -> Call:
    """The links of one exchange; hook_by_kind names the hook hookdev connected for each kind."""
    rid = exchange.request.header("X-Okta-Request-Id")
    hook: str | None = None
    body: Any = None
    try:
        body = jsontext.loads(exchange.request.body) if exchange.request.body else None
    except ValueError:
        body = None
    if isinstance(body, dict):
        if rid is None:
            context = (body.get("data") or {}).get("context") if isinstance(body.get("data"), dict) else None
            request = context.get("request") if isinstance(context, dict) else None
            if isinstance(request, dict) and isinstance(request.get("id"), str):
                rid = request["id"]
        found = _HOOK_ID_IN_URL.search(str(body.get("source", "")))
        hook = found.group(1) if found else None
    if hook is None:
        agent = _AGENT_HOOK_ID.search(exchange.request.header("User-Agent") or "")
        hook = agent.group(1) if agent else None
    kind = "event" if exchange.kind == "event_verification" else exchange.kind
    return Call(exchange.id, exchange.time, rid or None, hook or hook_by_kind.get(kind))


def match(events: Iterable[Mapping[str, Any]], calls: Iterable[Call]) -> dict[str, str]:
    """Event uuid -> exchange id: by Okta's request id, else by hook id and the nearest time that fits."""
    calls = list(calls)
    by_request = {c.request_id: c for c in calls if c.request_id}
    out: dict[str, str] = {}
    for event in events:
        uuid = event.get("uuid")
        if not isinstance(uuid, str):
            continue
        rid = request_id(event)
        if rid and rid in by_request:
            out[uuid] = by_request[rid].exchange_id
            continue
        when, hooks = published(event), hook_ids(event)
        if when is None or not hooks or event.get("eventType") not in CALL_EVENTS:
            continue
        near = [c for c in calls if c.hook_id in hooks and -MATCH_BEFORE_S <= when - c.time <= MATCH_AFTER_S]
        if near:
            out[uuid] = min(near, key=lambda c: abs(when - c.time)).exchange_id
    return out

"""Okta System Log events about hooks as text: one line each for lists, a block for the inspector's Okta tab."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from hookdev.io.terminal import safe_text


def _when(event: Mapping[str, Any]) -> str:
    value = str(event.get("published", ""))
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone().strftime("%Y-%m-%d %H:%M:%S")
    except ValueError:
        return safe_text(value) or "?"


def _targets(event: Mapping[str, Any]) -> str:
    names = [f"{t.get('displayName') or t.get('alternateId') or '?'} ({t.get('id')})"
             for t in event.get("target") or [] if isinstance(t, Mapping)]
    return safe_text(", ".join(names))


def _outcome(event: Mapping[str, Any]) -> tuple[str, str]:
    found = event.get("outcome")
    outcome: Mapping[str, Any] = found if isinstance(found, Mapping) else {}
    return safe_text(str(outcome.get("result") or "-")), safe_text(str(outcome.get("reason") or ""))


def event_line(event: Mapping[str, Any], exchange_id: str | None = None) -> str:
    """`2026-06-30 12:00:01  inline_hook.executed  SUCCESS  hookdev token (cal...)  exchange 01h...`"""
    result, reason = _outcome(event)
    parts = [_when(event), safe_text(str(event.get("eventType", "?"))), result]
    if reason:
        parts.append(f"({reason})")
    targets = _targets(event)
    if targets:
        parts.append(targets)
    if exchange_id:
        parts.append(f"exchange {exchange_id}")
    return "  ".join(parts)


def _debug(event: Mapping[str, Any]) -> Mapping[str, Any]:
    context = event.get("debugContext")
    data = context.get("debugData") if isinstance(context, Mapping) else None
    return data if isinstance(data, Mapping) else {}


def event_block(event: Mapping[str, Any]) -> str:
    """One event in full for a reader: what happened, to which hook, the outcome, and Okta's debug data."""
    result, reason = _outcome(event)
    lines = [f"{_when(event)}  {safe_text(str(event.get('eventType', '?')))}  {result}"]
    message = safe_text(str(event.get("displayMessage") or ""))
    if message:
        lines.append(f"  {message}")
    if reason:
        lines.append(f"  reason: {reason}")
    targets = _targets(event)
    if targets:
        lines.append(f"  hook: {targets}")
    debug = _debug(event)
    if debug.get("requestId"):
        lines.append(f"  request id: {safe_text(str(debug['requestId']))}")
    rest = {k: v for k, v in debug.items() if k not in ("requestId", "requestUri", "url")}
    if rest:
        text = json.dumps(rest, indent=2, ensure_ascii=True, default=str)
        lines.append("  debug data: " + text.replace("\n", "\n  "))
    return safe_text("\n".join(lines), multiline=True)


def events_text(events: Iterable[Mapping[str, Any]]) -> str:
    """The Okta tab of one exchange: every event about it, or why there is none yet."""
    blocks = [event_block(e) for e in events]
    if not blocks:
        return ("Nothing from Okta's System Log about this call yet. While `hookdev serve --okta` runs, the log "
                "is read every few seconds (Okta logs a call a little after it made it); `hookdev okta logs` "
                "reads it once.")
    return "\n\n".join(blocks)

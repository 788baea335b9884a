"""Okta's Preview from the terminal: the org executes an inline hook, and the call it made is found in the store."""

from __future__ import annotations

import asyncio
import json
import secrets
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from hookdev.errors import ConfigError, OktaError
from hookdev.models import Exchange, Problem, ResponseSnapshot
from hookdev.okta.validate import check_answer
from hookdev.okta_api.client import OktaClient
from hookdev.okta_api.connect import list_hooks
from hookdev.okta_api.hooks import INLINE_PATH, hook_name
from hookdev.okta_api.state import State

SAMPLES = {"registration": "registration-ssr", "token": "token", "saml": "saml", "telephony": "telephony-sms",
           "password_import": "password-import", "user_import": "user-import"}
"""The sample payload each kind is previewed with when no PAYLOAD is given."""


@dataclass(frozen=True, slots=True)
class PreviewResult:
    kind: str
    hook_id: str
    ok: bool
    okta_status: int | None
    response: Any
    """The hook's answer as Okta handed it back (parsed JSON), or None."""
    error: str | None
    exchange_id: str | None
    problems: tuple[Problem, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "hook_id": self.hook_id, "ok": self.ok, "okta_status": self.okta_status,
                "response": self.response, "error": self.error, "exchange_id": self.exchange_id,
                "problems": [p.to_json() for p in self.problems]}


def fresh(body: dict[str, Any]) -> dict[str, Any]:
    """The payload with its own eventId and eventTime, so the call it causes is easy to find."""
    moment = datetime.now(UTC)
    stamp = moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
    return {**body, "eventId": secrets.token_urlsafe(16), "eventTime": stamp}


async def hook_for(client: OktaClient, state: State, kind: str) -> str:
    """The id of the inline hook of this kind that points at hookdev."""
    entries = state.org(client.base).hooks
    hook_id = next((i for i, e in entries.items() if e.kind == kind and e.connected and e.type == "inline"), None)
    if hook_id:
        return hook_id
    named = [h for h in await list_hooks(client, ("inline",)) if h.name == hook_name(kind) and h.status == "ACTIVE"]
    if named:
        return named[0].id
    raise ConfigError("KIND", f"no {kind} hook of this org points at hookdev: run `hookdev okta connect --kinds "
                              f"{kind}` first")


def find_exchange(store_path: Path, since: float, request_id: str | None, event_id: str) -> Exchange | None:
    """The call Okta made for the preview: by Okta's request id, else by the payload's fresh eventId."""
    if not store_path.exists():
        return None
    from hookdev.receiver.store import Store

    store = Store(store_path)
    try:
        candidates = store.between(since - 1, time.time() + 1)
    finally:
        store.close()
    for ex in reversed(candidates):
        if request_id and ex.request.header("X-Okta-Request-Id") == request_id:
            return ex
    return next((ex for ex in reversed(candidates) if event_id.encode() in ex.request.body), None)


async def preview(client: OktaClient, state: State, store_path: Path, kind: str, body: dict[str, Any]) -> PreviewResult:
    """Ask Okta to execute the kind's hook with body; Okta's verdict, the answer checked, and the exchange."""
    hook_id = await hook_for(client, state, kind)
    payload = fresh(body)
    started = time.time()
    status: int | None
    request_id: str | None
    try:
        reply = await client.call("POST", f"{INLINE_PATH}/{hook_id}/execute", body=payload)
        status, answer, error, request_id = reply.status, reply.data, None, reply.request_id
    except OktaError as exc:
        if exc.status is None or exc.status >= 500 or exc.status in (401, 403, 404, 429):
            raise  # not a verdict on the hook: the org refused, failed, or has no such hook any more
        status, answer, error, request_id = exc.status, None, str(exc), exc.request_id
    problems: tuple[Problem, ...] = ()
    if error is None and status is not None:
        raw = b"" if answer is None else json.dumps(answer).encode()
        problems = check_answer(kind, ResponseSnapshot(status=status, body=raw), payload)  # type: ignore[arg-type]
    # The receiver commits an exchange before its answer leaves, so by now the call Okta made is in the store.
    exchange = await asyncio.to_thread(find_exchange, store_path, started, request_id, payload["eventId"])
    ok = error is None and not problems
    return PreviewResult(kind, hook_id, ok, status, answer, error, exchange.id if exchange else None, problems)

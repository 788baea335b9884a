"""Replay a stored call through the sender: fresh auth, to the running serve by default, recorded as a replay."""

from __future__ import annotations

import asyncio
import dataclasses
import time
from urllib.parse import urlsplit

import aiohttp

from hookdev.auth.oauth_client import TokenCache, ago, jwt_expiry
from hookdev.config import Settings
from hookdev.errors import HookdevError
from hookdev.models import Exchange
from hookdev.receiver.store import Store
from hookdev.runtime import read_runtime
from hookdev.send.payloads import from_exchange
from hookdev.send.sender import OKTA_TIMEOUT_S, SendResult, send


def serve_url(settings: Settings) -> str:
    """The URL of the `hookdev serve` running on this store, from the file it keeps beside the store."""
    store = settings.path(settings.server.store)
    missing = f"no hookdev serve is running on {store}; start one or pass --to URL"
    data = read_runtime(store)
    url = data.get("url") if data is not None else None
    if not isinstance(url, str) or not url:
        raise HookdevError(missing)
    return url.rstrip("/")


def target_url(ex: Exchange, to: str | None, settings: Settings) -> str:
    """Where the replay goes: --to as given (its path, or the captured one when it has none), else the serve."""
    path = ex.request.path + (f"?{ex.request.query}" if ex.request.query else "")
    if to is None:
        return serve_url(settings) + path
    parts = urlsplit(to)
    if parts.path in ("", "/") and not parts.query:
        return to.rstrip("/") + path
    return to


def captured_credential_note(ex: Exchange, settings: Settings) -> str:
    """What became of the credential the original call carried: a replay never re-sends it."""
    captured = ex.request.header("Authorization")
    secret_header = settings.auth.header if settings.auth.mode == "header" else None
    mode = settings.auth.mode
    fresh = {"none": "auth mode is none, so none was sent", "basic": "sent the configured Basic credentials",
             "header": f"sent the configured {settings.auth.header} secret", "oauth": "sent a fresh token"}[mode]
    if captured and captured.lower().startswith("bearer "):
        exp = jwt_expiry(captured.split(" ", 1)[1].strip())
        if exp is not None and exp <= time.time():
            return f"the captured bearer token expired {ago(time.time() - exp)} ago; {fresh}"
        if exp is not None:
            return (
                f"the captured bearer token is still valid for {ago(exp - time.time())}, but replays never reuse it; "
                f"{fresh}"
            )
        return f"the captured bearer token was not re-sent; {fresh}"
    if captured:
        return f"the captured Authorization was not re-sent; {fresh}"
    if secret_header and ex.request.header(secret_header):
        return f"the captured {secret_header} header was not re-sent; {fresh}"
    return f"the original call carried no credential; {fresh}"


async def replay(
    store: Store,
    exchange_id: str,
    settings: Settings,
    *,
    to: str | None = None,
    http: aiohttp.ClientSession | None = None,
    tokens: TokenCache | None = None,
    edited_body: bytes | None = None,
    timeout: float | None = None,
) -> SendResult:
    """Send a stored call again as Okta would; the receiver records it as a new exchange with replay_of = id."""
    ex = await asyncio.to_thread(store.get, exchange_id)
    if ex is None:
        raise HookdevError(f"no exchange {exchange_id!r} in {store.path} (see `hookdev list`)")
    url = target_url(ex, to, settings)
    payload = from_exchange(ex, edited_body)
    result = await send(payload, url, settings, http=http, tokens=tokens, replay_of=ex.id,
                        timeout=OKTA_TIMEOUT_S if timeout is None else timeout)
    note = captured_credential_note(ex, settings)
    if result.token_note:
        note = note.replace("sent a fresh token", f"sent a fresh one: {result.token_note}")
    return dataclasses.replace(result, token_note=note)
